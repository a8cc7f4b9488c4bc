package diff

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"

	"github.com/oslayer/oslayer/internal/enum"
	"github.com/oslayer/oslayer/layer"
)

// Kind is what happened to a path.
type Kind uint8

// The kinds of change, in the order summaries list them.
const (
	Added Kind = iota + 1
	Modified
	Metadata
	TypeChange
	Removed
)

// Kinds lists every Kind in display order.
var Kinds = []Kind{Added, Modified, Metadata, TypeChange, Removed}

var kindNames = enum.Names[Kind]{Added: "added", Modified: "modified", Metadata: "metadata", TypeChange: "typechange", Removed: "removed"}

func (k Kind) String() string { return kindNames.Name(k, "kind") }

// MarshalText spells the kind as String does, for JSON output.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (k *Kind) UnmarshalText(b []byte) error { return kindNames.Parse(b, "change kind", k) }

// Change is one path that differs between the base and the derived tree.
type Change struct {
	// Path is absolute: "/usr/bin/yes".
	Path string
	Kind Kind
	// Type is the object's type after the change (before, when removed).
	Type layer.Type
	// Package owns the path: in the base for every kind but added, in the
	// derived image for added paths. Several owners are joined by ",".
	Package string
	// SizeDelta is the change in content bytes (regular files).
	SizeDelta int64
	// Details says what differs, one item per difference, for people:
	// "content", "target a -> b", "mode 4755 -> 0755", "uid 0 -> 1000",
	// "xattr security.capability changed", "type symlink -> file", "mtime".
	Details []string
	// Layer is the 1-based position, in the derived image, of the layer
	// that wrote the path (0 for removed paths and directory trees).
	Layer int
	// Old and New are the path in the base and in the derived tree (nil
	// where it does not exist, or where the change was found without a
	// tree, from package records).
	Old, New *layer.Node
}

// jsonChange is a Change as the JSON output spells it.
type jsonChange struct {
	Path      string     `json:"path"`
	Kind      Kind       `json:"kind"`
	Type      layer.Type `json:"type"`
	Package   string     `json:"package,omitempty"`
	SizeDelta int64      `json:"size_delta"`
	Details   []string   `json:"details,omitempty"`
	Layer     int        `json:"layer,omitempty"`
	Old       *Attrs     `json:"old,omitempty"`
	New       *Attrs     `json:"new,omitempty"`
}

// MarshalJSON writes the change as oslayer's JSON output spells it, each
// side's attributes in full.
func (c Change) MarshalJSON() ([]byte, error) { return json.Marshal(c.json()) }

func (c *Change) json() jsonChange {
	return jsonChange{Path: c.Path, Kind: c.Kind, Type: c.Type, Package: c.Package, SizeDelta: c.SizeDelta,
		Details: c.Details, Layer: c.Layer, Old: attrsOf(c.Old), New: attrsOf(c.New)}
}

// UnmarshalJSON reads what MarshalJSON wrote; the sides become detached
// nodes holding the attributes the JSON gives (xattr names without their
// values).
func (c *Change) UnmarshalJSON(b []byte) error {
	var j jsonChange
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*c = Change{Path: j.Path, Kind: j.Kind, Type: j.Type, Package: j.Package, SizeDelta: j.SizeDelta,
		Details: j.Details, Layer: j.Layer, Old: j.Old.node(), New: j.New.node()}
	return nil
}

// Mode is a path's permission bits with setuid, setgid and sticky
// (07777); JSON spells it in octal, "4755".
type Mode uint32

func (m Mode) String() string { return fmt.Sprintf("%04o", uint32(m)) }

// MarshalText spells the mode as String does, for JSON output.
func (m Mode) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (m *Mode) UnmarshalText(b []byte) error {
	v, err := strconv.ParseUint(string(b), 8, 32)
	if err != nil || v > 0o7777 {
		return fmt.Errorf("mode %q: want octal permission bits", b)
	}
	*m = Mode(v)
	return nil
}

// Attrs is what the JSON output says about one side of a change.
type Attrs struct {
	Type layer.Type `json:"type"`
	Mode Mode       `json:"mode"`
	UID  uint32     `json:"uid"`
	GID  uint32     `json:"gid"`
	Size int64      `json:"size,omitempty"`
	// Digest is the sha256 of a regular file's bytes (zero when it was
	// not computed).
	Digest *layer.Digest `json:"digest,omitempty"`
	// HoleDigest replaces Digest for a file stored sparse: the sha256 of
	// its blocks that are not all zeros (see layer.Metadata.Sparse), which
	// costs no time for its holes.
	HoleDigest *layer.Digest `json:"hole_digest,omitempty"`
	// Target is a symlink's target, or a device's numbers ("8:1").
	Target string   `json:"target,omitempty"`
	Xattrs []string `json:"xattrs,omitempty"`
}

func attrsOf(n *layer.Node) *Attrs {
	if n == nil {
		return nil
	}
	a := &Attrs{Type: n.Type, Mode: Mode(n.Mode), UID: n.UID, GID: n.GID}
	switch n.Type {
	case layer.TypeRegular:
		a.Size, a.Digest = n.Size, &n.Digest
		if n.Sparse {
			a.Digest, a.HoleDigest = nil, &n.Digest
		}
	case layer.TypeSymlink:
		a.Target = n.Linkname
	case layer.TypeChar, layer.TypeBlock:
		a.Target = fmt.Sprintf("%d:%d", n.Devmajor, n.Devminor)
	}
	a.Xattrs = slices.Sorted(maps.Keys(n.Xattrs))
	return a
}

// node turns attributes read from JSON back into a detached node.
func (a *Attrs) node() *layer.Node {
	if a == nil {
		return nil
	}
	n := &layer.Node{Metadata: layer.Metadata{Type: a.Type, Mode: uint32(a.Mode), UID: a.UID, GID: a.GID, Size: a.Size}}
	if a.Digest != nil {
		n.Digest = *a.Digest
	}
	if a.HoleDigest != nil {
		n.Digest, n.Sparse = *a.HoleDigest, true
	}
	switch a.Type {
	case layer.TypeSymlink:
		n.Linkname = a.Target
	case layer.TypeChar, layer.TypeBlock:
		fmt.Sscanf(a.Target, "%d:%d", &n.Devmajor, &n.Devminor)
	}
	for _, x := range a.Xattrs {
		if n.Xattrs == nil {
			n.Xattrs = map[string]string{}
		}
		n.Xattrs[x] = ""
	}
	return n
}

// contentDetails says how the content of two nodes of the same type, and
// of the same storage (both sparse or neither), differs: file bytes, link
// target or device numbers.
func contentDetails(a, b *layer.Node) []string {
	switch a.Type {
	case layer.TypeRegular:
		if a.Digest != b.Digest || a.Size != b.Size {
			return []string{"content"}
		}
	case layer.TypeSymlink:
		if a.Linkname != b.Linkname {
			return []string{fmt.Sprintf("target %s -> %s", a.Linkname, b.Linkname)}
		}
	case layer.TypeChar, layer.TypeBlock:
		if a.Devmajor != b.Devmajor || a.Devminor != b.Devminor {
			return []string{fmt.Sprintf("device %d:%d -> %d:%d", a.Devmajor, a.Devminor, b.Devmajor, b.Devminor)}
		}
	}
	return nil
}

// selinuxXattr is not compared: bootc relabels every file from the image's
// own policy, so labels in layers (or on a build host's rootfs) are noise.
const selinuxXattr = "security.selinux"

// metadataDetails says how mode, owner, xattrs (and mtime, if asked)
// differ.
func metadataDetails(a, b *layer.Node, mtime bool) []string {
	var out []string
	if a.Mode != b.Mode && a.Type != layer.TypeSymlink {
		out = append(out, fmt.Sprintf("mode %04o -> %04o", a.Mode, b.Mode))
	}
	if a.UID != b.UID {
		out = append(out, fmt.Sprintf("uid %d -> %d", a.UID, b.UID))
	}
	if a.GID != b.GID {
		out = append(out, fmt.Sprintf("gid %d -> %d", a.GID, b.GID))
	}
	for _, k := range slices.Sorted(maps.Keys(a.Xattrs)) {
		if k == selinuxXattr {
			continue
		}
		v2, ok := b.Xattrs[k]
		switch {
		case !ok:
			out = append(out, "xattr "+k+" removed")
		case v2 != a.Xattrs[k]:
			out = append(out, "xattr "+k+" changed")
		}
	}
	for _, k := range slices.Sorted(maps.Keys(b.Xattrs)) {
		if _, ok := a.Xattrs[k]; !ok && k != selinuxXattr {
			out = append(out, "xattr "+k+" added")
		}
	}
	if mtime && a.ModTime != b.ModTime {
		out = append(out, fmt.Sprintf("mtime %s -> %s", stamp(a.ModTime), stamp(b.ModTime)))
	}
	return out
}

func stamp(ns int64) string { return time.Unix(0, ns).UTC().Format(time.RFC3339Nano) }
