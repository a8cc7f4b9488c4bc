package diff

import (
	"encoding/json"
	"io"
	"strconv"
	"strings"
)

// Node metadata keys of the Cincinnati graph. Zincati reads the Fedora
// CoreOS ones (src/cincinnati/mod.rs, src/rpm_ostree/mod.rs): a node
// without the scheme and the age index is one it cannot parse, and it
// shows the dead-end reason of the release a machine runs. The barrier key
// is the one Fedora CoreOS's graph builder writes; clients need not read
// it, as the edges already keep to the barriers. oslayer's own keys carry
// what Cincinnati has no place for.
const (
	// CincinnatiSchemeKey is "oci": the payload is a pull spec.
	CincinnatiSchemeKey = "org.fedoraproject.coreos.scheme"
	// CincinnatiAgeIndexKey is the node's position in version order:
	// Zincati updates to the target with the highest.
	CincinnatiAgeIndexKey = "org.fedoraproject.coreos.releases.age_index"
	// CincinnatiBarrierKey is "true" on a barrier.
	CincinnatiBarrierKey = "org.fedoraproject.coreos.updates.barrier"
	// CincinnatiDeadEndKey is "true" on a dead-end, whose reason is
	// CincinnatiDeadEndReasonKey.
	CincinnatiDeadEndKey       = "org.fedoraproject.coreos.updates.deadend"
	CincinnatiDeadEndReasonKey = "org.fedoraproject.coreos.updates.deadend_reason"
	// GraphTagsKey lists the tags naming the release, joined by ",".
	GraphTagsKey = "org.oslayer.graph.tags"
	// GraphTotalBytesKey is what a machine with none of the release's
	// layers downloads.
	GraphTotalBytesKey = "org.oslayer.graph.total_bytes"
	// GraphDownloadKeyPrefix, followed by the version of an edge's source,
	// is on the edge's target: the bytes that update downloads.
	GraphDownloadKeyPrefix = "org.oslayer.graph.download_bytes.from."
)

// CincinnatiScheme is the payload scheme of container images.
const CincinnatiScheme = "oci"

// CincinnatiNode is a node of Cincinnati's graph: every metadata value
// is a string.
type CincinnatiNode struct {
	Version  string            `json:"version"`
	Payload  string            `json:"payload"`
	Metadata map[string]string `json:"metadata"`
}

// CincinnatiGraph is the graph as Cincinnati's /v1/graph serves it: edges
// are pairs of node indices, [from, to].
type CincinnatiGraph struct {
	Nodes []CincinnatiNode `json:"nodes"`
	Edges [][2]int         `json:"edges"`
}

// Cincinnati returns the graph in Cincinnati's form. An edge has no
// metadata there, so what it downloads is on its target node, under
// GraphDownloadKeyPrefix and the source's version: node metadata is the
// part of the format every client and graph filter keeps, and a version,
// unlike an index, names the source in any graph made of these nodes.
func (g *UpdateGraph) Cincinnati() CincinnatiGraph {
	out := CincinnatiGraph{Nodes: make([]CincinnatiNode, len(g.Releases)), Edges: make([][2]int, len(g.Edges))}
	for i, r := range g.Releases {
		md := map[string]string{
			CincinnatiSchemeKey:   CincinnatiScheme,
			CincinnatiAgeIndexKey: strconv.Itoa(i),
			GraphTagsKey:          strings.Join(r.Tags, ","),
			GraphTotalBytesKey:    strconv.FormatInt(r.TotalBytes, 10),
		}
		if r.Release.Barrier {
			md[CincinnatiBarrierKey] = "true"
		}
		if r.Release.DeadEnd != "" {
			md[CincinnatiDeadEndKey] = "true"
			md[CincinnatiDeadEndReasonKey] = r.Release.DeadEnd
		}
		out.Nodes[i] = CincinnatiNode{Version: r.Release.Version, Payload: r.Payload, Metadata: md}
	}
	for i, e := range g.Edges {
		out.Edges[i] = [2]int{e.From, e.To}
		out.Nodes[e.To].Metadata[GraphDownloadKeyPrefix+g.Releases[e.From].Release.Version] = strconv.FormatInt(e.Download, 10)
	}
	return out
}

// WriteGraphJSON writes the graph as Cincinnati serves it (see Cincinnati).
func WriteGraphJSON(w io.Writer, g *UpdateGraph) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(g.Cincinnati())
}
