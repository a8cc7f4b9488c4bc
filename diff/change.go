package diff

import (
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/oslayer/oslayer/layer"
)

// Kind is what happened to a path.
type Kind string

// The kinds of change, in the order summaries list them.
const (
	Added      Kind = "added"
	Modified   Kind = "modified"
	Metadata   Kind = "metadata"
	TypeChange Kind = "typechange"
	Removed    Kind = "removed"
)

// Kinds lists every Kind in display order.
var Kinds = []Kind{Added, Modified, Metadata, TypeChange, Removed}

// Change is one path that differs between the base and the derived tree.
type Change struct {
	// Path is absolute: "/usr/bin/yes".
	Path string `json:"path"`
	Kind Kind   `json:"kind"`
	// Type is the object's type after the change (before, when removed).
	Type string `json:"type"`
	// Package owns the path: in the base for every kind but added, in the
	// derived image for added paths. Several owners are joined by ",".
	Package string `json:"package,omitempty"`
	// SizeDelta is the change in content bytes (regular files).
	SizeDelta int64 `json:"size_delta"`
	// Details says what differs, one item per difference: "content",
	// "target a -> b", "mode 4755 -> 0755", "uid 0 -> 1000",
	// "xattr security.capability changed", "type symlink -> file", "mtime".
	Details []string `json:"details,omitempty"`
	// Layer is the 1-based position, in the derived image, of the layer
	// that wrote the path (0 for removed paths and directory trees).
	Layer int `json:"layer,omitempty"`
	// Old and New describe the path before and after (absent when it did
	// not exist).
	Old *Attrs `json:"old,omitempty"`
	New *Attrs `json:"new,omitempty"`

	// oldInode and newInode group hardlinks, so summaries count their
	// bytes once.
	oldInode, newInode uint64
}

// Attrs is what a change report says about one side of a path.
type Attrs struct {
	Type   string   `json:"type"`
	Mode   string   `json:"mode"`
	UID    int      `json:"uid"`
	GID    int      `json:"gid"`
	Size   int64    `json:"size,omitempty"`
	Digest string   `json:"digest,omitempty"`
	Target string   `json:"target,omitempty"`
	Xattrs []string `json:"xattrs,omitempty"`
}

func attrsOf(n *layer.Node) *Attrs {
	a := &Attrs{Type: n.Type.String(), Mode: fmt.Sprintf("%04o", n.Mode), UID: n.UID, GID: n.GID}
	switch n.Type {
	case layer.TypeRegular:
		a.Size, a.Digest = n.Size, n.Digest.String()
	case layer.TypeSymlink:
		a.Target = n.Linkname
	case layer.TypeChar, layer.TypeBlock:
		a.Target = fmt.Sprintf("%d:%d", n.Devmajor, n.Devminor)
	}
	a.Xattrs = slices.Sorted(maps.Keys(n.Xattrs))
	return a
}

// contentDetails says how the content of two nodes of the same type
// differs: file bytes, link target or device numbers.
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
