package diff

import (
	"bytes"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer"
)

// release is a candidate of a graph test: its tag and labels.
type release struct {
	tag    string
	labels map[string]string
}

// candidates makes an image of each release: each adds one layer of its
// own to the layers of those before it (one shared base layer first), but
// the releases tagged alone have their own layer only.
func candidates(t *testing.T, rels []release, alone ...string) ([]Candidate, []v1.Layer) {
	t.Helper()
	layers := []v1.Layer{fixtures.Layer(t, fixtures.Reg("/usr/lib/os-release", "base", 0o644))}
	var cands []Candidate
	for i, r := range rels {
		own := fixtures.Layer(t, fixtures.Reg(fmt.Sprintf("/usr/lib/release-%d", i), strings.Repeat(r.tag, 100*(i+1)), 0o644))
		layers = append(layers, own)
		imgLayers := layers
		if slices.Contains(alone, r.tag) {
			imgLayers = []v1.Layer{own}
		}
		img, err := layer.FromV1(layer.Reference{Transport: layer.TransportDocker, Name: "registry.example/myos:" + r.tag},
			fixtures.Image(t, r.labels, nil, imgLayers...))
		if err != nil {
			t.Fatal(err)
		}
		cands = append(cands, Candidate{Name: r.tag, Image: img})
	}
	return cands, layers
}

func version(v string, flags ...string) map[string]string {
	labels := map[string]string{layer.VersionLabel: v}
	for _, f := range flags {
		k, val, _ := strings.Cut(f, "=")
		labels[layer.ReleaseLabelPrefix+k] = val
	}
	return labels
}

// edgeList spells the edges as "FROM->TO".
func edgeList(g *UpdateGraph) []string {
	var out []string
	for _, e := range g.Edges {
		out = append(out, g.Releases[e.From].Release.Version+"->"+g.Releases[e.To].Release.Version)
	}
	return out
}

func TestBuildGraph(t *testing.T) {
	// Each release holds the layers of those before it. Given out of
	// order, with a tag sharing an image, one without a version and one
	// whose version orders by no rules.
	rels := []release{
		{"1.0.0", version("1.0.0")},
		{"nightly", map[string]string{"org.example": "x"}},
		{"1.1.0", version("1.1.0")},
		{"1.2.0", version("1.2.0", "barrier=true")},
		{"1.3.0", version("1.3.0", "deadend=https://example.com/issues/1")},
		{"broken", version("next")},
		{"1.4.0", version("1.4.0")},
		{"1.5.0", version("1.5.0")},
	}
	cands, _ := candidates(t, rels)
	latest := cands[7]
	latest.Name = "latest"
	cands = append(cands, latest)
	rand.New(rand.NewSource(2)).Shuffle(len(cands), func(i, j int) { cands[i], cands[j] = cands[j], cands[i] })
	g, err := BuildGraph("docker://registry.example/myos", cands, "")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range g.Releases {
		got = append(got, r.Release.String()+" "+strings.Join(r.Tags, ","))
	}
	sameStrings(t, "releases", []string{"1.0.0 1.0.0", "1.1.0 1.1.0", "1.2.0 (barrier) 1.2.0",
		"1.3.0 (dead-end: https://example.com/issues/1) 1.3.0", "1.4.0 1.4.0", "1.5.0 1.5.0,latest"}, got)
	if g.Scheme != SchemeSemver {
		t.Errorf("scheme %s", g.Scheme)
	}
	// Up to the barrier from before it, from it onwards; nothing from the
	// dead-end, which 1.2.0 goes past.
	sameStrings(t, "edges", []string{"1.0.0->1.1.0", "1.0.0->1.2.0", "1.1.0->1.2.0",
		"1.2.0->1.3.0", "1.2.0->1.4.0", "1.2.0->1.5.0", "1.4.0->1.5.0"}, edgeList(g))
	got = nil
	for _, s := range g.Skipped {
		got = append(got, s.Name+": "+s.Reason)
	}
	sameStrings(t, "skipped", []string{`broken: version "next" is neither SemVer (1.2.3, 1.2.3-rc.1) nor rpm-style ([EPOCH:]VERSION[-RELEASE] starting with a digit, of letters, digits and . _ + ~ ^)`,
		"nightly: no org.opencontainers.image.version label"}, got)

	// Download bytes are diff --layers's; each release adds one layer to
	// the previous one's, so a release downloads what came after its own.
	for _, e := range g.Edges {
		from, to := g.Releases[e.From], g.Releases[e.To]
		want := CompareLayers(from.image, to.image)
		if e.Download != want.Download || e.NewLayers != want.NewLayers || e.Download <= 0 {
			t.Errorf("%s -> %s: %d bytes in %d layers, want %d in %d", from.Release.Version, to.Release.Version, e.Download, e.NewLayers, want.Download, want.NewLayers)
		}
		var sum int64
		for _, l := range to.image.Layers[len(from.image.Layers):] {
			sum += l.Size
		}
		if len(to.image.Layers) <= len(from.image.Layers) {
			t.Fatalf("%s has no layers after %s's", to.Release.Version, from.Release.Version)
		}
		if e.Download != sum {
			t.Errorf("%s -> %s: %d bytes, want the %d of the layers after %s's", from.Release.Version, to.Release.Version, e.Download, sum, from.Release.Version)
		}
	}
	var total int64
	for _, l := range g.Releases[0].image.Layers {
		total += l.Size
	}
	if g.Releases[0].TotalBytes != total {
		t.Errorf("total bytes %d, want %d", g.Releases[0].TotalBytes, total)
	}

	var buf bytes.Buffer
	if err := WriteGraphJSON(&buf, g); err != nil {
		t.Fatal(err)
	}
	nodes, _ := fixtures.CheckCincinnati(t, buf.Bytes())
	for i, n := range nodes {
		if !n.Reachable {
			t.Errorf("%s unreachable", n.Version)
		}
		if want := "registry.example/myos@" + g.Releases[i].Digest.String(); n.Payload != want {
			t.Errorf("payload %s, want %s", n.Payload, want)
		}
	}
	if md := nodes[5].Metadata; md[GraphTagsKey] != "1.5.0,latest" || md[GraphDownloadKeyPrefix+"1.4.0"] != fmt.Sprint(g.Edges[6].Download) {
		t.Errorf("1.5.0's metadata: %v", md)
	}
	if md := nodes[3].Metadata; md[CincinnatiDeadEndKey] != "true" || md[CincinnatiDeadEndReasonKey] != "https://example.com/issues/1" {
		t.Errorf("the dead-end's metadata: %v", md)
	}

	buf.Reset()
	if err := WriteGraphText(&buf, g); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"docker://registry.example/myos: 6 releases (versions ordered by semver rules), 7 updates, 2 skipped\n",
		"  1.2.0    1.2.0         sha256:",
		"barrier\n",
		"dead-end: https://example.com/issues/1\n",
		"  1.5.0    1.5.0,latest  sha256:",
		"  1.2.0 -> 1.5.0  583 B     4\n",
		"  nightly  sha256:",
	} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, buf.String())
		}
	}
}

// TestBuildGraphCuts: a barrier that is also a dead-end cuts the graph;
// a dead-end that is the oldest release leaves it alone; a release that
// shares no layer downloads all of its own.
func TestBuildGraphCuts(t *testing.T) {
	cands, _ := candidates(t, []release{
		{"1", version("1", "deadend=end of the 1 series")},
		{"2", version("2")},
		{"3", version("3", "barrier=true", "deadend=bad migration")},
		{"4", version("4")},
	}, "4")
	g, err := BuildGraph("refs", cands, "registry.example/public")
	if err != nil {
		t.Fatal(err)
	}
	if g.Scheme != SchemeRPM {
		t.Errorf("scheme %s", g.Scheme)
	}
	sameStrings(t, "edges", []string{"2->3"}, edgeList(g))
	var buf bytes.Buffer
	WriteGraphJSON(&buf, g)
	nodes, _ := fixtures.CheckCincinnati(t, buf.Bytes())
	for i, want := range []bool{true, false, false, false} {
		if nodes[i].Reachable != want {
			t.Errorf("%s reachable %v", nodes[i].Version, nodes[i].Reachable)
		}
	}
	if !strings.HasPrefix(nodes[0].Payload, "registry.example/public@sha256:") {
		t.Errorf("payload %s, want the repository given", nodes[0].Payload)
	}
	if g.Releases[3].TotalBytes != g.Releases[3].image.Layers[0].Size {
		t.Errorf("total %d", g.Releases[3].TotalBytes)
	}
}

// TestBuildGraphRefuses: what would make a wrong graph is an error, not a
// skipped tag.
func TestBuildGraphRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		rels []release
		err  string
	}{
		{"same version twice", []release{{"a", version("1.0.0")}, {"b", version("1.1.0")}, {"c", version("1.0.0")}},
			"two images are version 1.0.0: a ("},
		{"same precedence", []release{{"a", version("1.0.0+x")}, {"b", version("v1.0.0")}}, "two images are versions "},
		{"barrier without a version", []release{{"a", version("1.0.0")}, {"b", map[string]string{layer.BarrierLabel: "true"}}},
			"b: flagged barrier but no org.opencontainers.image.version label"},
		{"dead-end with a bad version", []release{{"a", version("latest", "deadend=x")}},
			`a: flagged dead-end: x but version "latest" is neither`},
		{"malformed flag", []release{{"a", version("1.0.0", "barrier=1")}}, "a: label org.oslayer.release.barrier=\"1\": want true or false"},
		{"misspelt flag", []release{{"a", version("1.0.0", "dead-end=x")}}, "unknown release label"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cands, _ := candidates(t, tc.rels)
			if _, err := BuildGraph("x", cands, ""); err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("error %v, want %q", err, tc.err)
			}
		})
	}
	// A reference outside a registry needs the repository for payloads.
	cands, _ := candidates(t, []release{{"a", version("1")}})
	cands[0].Image.Ref = layer.Reference{Transport: layer.TransportOCI, Name: "dir", Tag: "a"}
	if _, err := BuildGraph("x", cands, ""); err == nil || !strings.Contains(err.Error(), "no registry repository") {
		t.Errorf("oci: reference without a payload repository: %v", err)
	}
}

// TestEmptyGraph: no release is still a graph Zincati reads: empty
// arrays, not nulls.
func TestEmptyGraph(t *testing.T) {
	g, err := BuildGraph("x", nil, "")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteGraphJSON(&buf, g); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(strings.Fields(buf.String()), ""); got != `{"nodes":[],"edges":[]}` {
		t.Errorf("empty graph: %s", buf.String())
	}
	fixtures.CheckCincinnati(t, buf.Bytes())
}
