// Package listing describes filesystems one line a path, for tests that
// compare what a tool extracted or mounted with what it should hold.
package listing

import (
	"crypto/sha256"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/layer"
)

// Tree describes a filesystem one line a path, for comparing a tree a
// tool extracted or mounted with what it should hold: path, type, mode,
// owner, and per type the content digest, link target or device numbers,
// the xattrs (security.selinux left out), and for the later names of a
// hard-linked file "= FIRST" (the group's first name in path order).
// Modification times are left out. Lines are sorted.
func Tree(t testing.TB, tree *layer.Tree, keep func(p string) bool) []string {
	t.Helper()
	var out []string
	first := map[uint32]string{}
	for p, n := range tree.Walk() {
		if p == "" || keep != nil && !keep(p) {
			continue
		}
		link := ""
		if n.Inode != 0 && n.Type != layer.TypeDir {
			if f, ok := first[n.Inode]; ok {
				link = f
			} else {
				first[n.Inode] = p
			}
		}
		d := n.Digest
		if n.Type == layer.TypeRegular && d.IsZero() {
			d = digestOf(t, tree, n)
		}
		out = append(out, listingLine(p, n.Metadata, d, link))
	}
	slices.Sort(out)
	return out
}

// Entries is Tree for the entries of a layer to write: their
// contents are read to hash them.
func Entries(t testing.TB, entries []layer.TarEntry) []string {
	t.Helper()
	byPath := map[string]*layer.TarEntry{}
	var out []string
	for i := range entries {
		e := &entries[i]
		byPath[e.Path] = e
		if e.Path == "" {
			continue
		}
		md, link := e.Metadata, ""
		if e.Hardlink != "" {
			target := byPath[e.Hardlink]
			if target == nil {
				t.Fatalf("/%s: hard link to /%s, listed after it", e.Path, e.Hardlink)
			}
			md, link = target.Metadata, e.Hardlink
			for byPath[link].Hardlink != "" {
				link = byPath[link].Hardlink
			}
		}
		var d layer.Digest
		if md.Type == layer.TypeRegular {
			h := sha256.New()
			if src := byPath[orSelf(link, e.Path)]; src.Content != nil {
				rc, err := src.Content()
				if err != nil {
					t.Fatal(err)
				}
				if _, err := io.Copy(h, rc); err != nil {
					t.Fatal(err)
				}
				rc.Close()
			}
			copy(d[:], h.Sum(nil))
		}
		out = append(out, listingLine(e.Path, md, d, link))
	}
	slices.Sort(out)
	return out
}

func orSelf(link, self string) string {
	if link != "" {
		return link
	}
	return self
}

func digestOf(t testing.TB, tree *layer.Tree, n *layer.Node) layer.Digest {
	t.Helper()
	rc, err := tree.Open(n)
	if err != nil {
		t.Fatalf("/%s: %v", n.Path(), err)
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		t.Fatalf("/%s: %v", n.Path(), err)
	}
	var d layer.Digest
	copy(d[:], h.Sum(nil))
	return d
}

func listingLine(p string, md layer.Metadata, d layer.Digest, link string) string {
	var b strings.Builder
	mode := md.Mode
	if md.Type == layer.TypeSymlink {
		mode = 0o777 // symlink modes mean nothing, and tools differ
	}
	fmt.Fprintf(&b, "/%s %s %04o %d:%d", p, md.Type, mode, md.UID, md.GID)
	switch md.Type {
	case layer.TypeRegular:
		fmt.Fprintf(&b, " %d %s", md.Size, d.Hex()[:16])
	case layer.TypeSymlink:
		fmt.Fprintf(&b, " -> %s", md.Linkname)
	case layer.TypeChar, layer.TypeBlock:
		fmt.Fprintf(&b, " %d:%d", md.Devmajor, md.Devminor)
	}
	for _, k := range slices.Sorted(maps.Keys(md.Xattrs)) {
		if k != "security.selinux" {
			fmt.Fprintf(&b, " %s=%x", k, md.Xattrs[k])
		}
	}
	if link != "" {
		fmt.Fprintf(&b, " = /%s", link)
	}
	return b.String()
}

// WithoutXattrsAndLinks drops the xattrs and the hard link marks from
// lines, for tools that extract neither.
func WithoutXattrsAndLinks(lines []string) []string {
	out := make([]string, 0, len(lines))
	for _, l := range lines {
		if i := strings.Index(l, " = /"); i >= 0 {
			l = l[:i]
		}
		fields := strings.Fields(l)
		kept := fields[:0]
		for _, f := range fields {
			if k, _, ok := strings.Cut(f, "="); ok && strings.Contains(k, ".") && !strings.HasPrefix(f, "/") {
				continue // an xattr, name=hex
			}
			kept = append(kept, f)
		}
		out = append(out, strings.Join(kept, " "))
	}
	return out
}
