package diff

import (
	"cmp"

	"github.com/oslayer/oslayer/layer"
)

// CompareOptions tune Compare.
type CompareOptions struct {
	// IncludeMtime reports paths whose only difference is their mtime.
	IncludeMtime bool
}

// Compare returns every path that differs between base and derived, each
// once, parents before children. A directory that exists on one side only
// is reported with everything below it. Mount points of a rootfs are not
// compared.
func Compare(base, derived *layer.Tree, opts CompareOptions) []Change {
	c := &comparer{opts: opts, base: base, derived: derived}
	c.dir("/", base.Root, derived.Root)
	return c.out
}

type comparer struct {
	opts          CompareOptions
	base, derived *layer.Tree
	out           []Change
}

// child is the absolute path of name in the directory at the absolute
// path dir.
func child(dir, name string) string {
	if dir == "/" {
		return "/" + name
	}
	return dir + "/" + name
}

func (c *comparer) layerOf(n *layer.Node) int {
	if n.Layer < 0 {
		return 0
	}
	return int(n.Layer) + 1
}

// dir compares two directories' metadata, then their children, merging
// the two sorted lists. The metadata of a root no layer declared (most
// layers have no "./" entry) is unknown, and not compared.
func (c *comparer) dir(p string, a, b *layer.Node) {
	rootUnknown := p == "/" && (a.Implicit || b.Implicit)
	if d := metadataDetails(a, b, c.opts.IncludeMtime); len(d) > 0 && !rootUnknown {
		c.out = append(c.out, Change{Path: p, Kind: Metadata, Type: b.Type, Details: d,
			Layer: c.layerOf(b), Old: a, New: b})
	}
	as, bs := a.Children(), b.Children()
	for len(as) > 0 || len(bs) > 0 {
		var x, y *layer.Node
		switch {
		case len(bs) == 0 || len(as) > 0 && as[0].Name < bs[0].Name:
			x, as = as[0], as[1:]
		case len(as) == 0 || bs[0].Name < as[0].Name:
			y, bs = bs[0], bs[1:]
		default:
			x, y, as, bs = as[0], bs[0], as[1:], bs[1:]
		}
		name := cmp.Or(x, y).Name
		c.node(child(p, name), x, y)
	}
}

func (c *comparer) node(p string, a, b *layer.Node) {
	switch {
	case (a != nil && a.MountPoint) || (b != nil && b.MountPoint):
		return // another filesystem, not image content
	case a == nil:
		c.all(p, b, Added)
	case b == nil:
		c.all(p, a, Removed)
	case a.Type != b.Type:
		c.out = append(c.out, Change{Path: p, Kind: TypeChange, Type: b.Type,
			SizeDelta: b.Size - a.Size, Details: []string{"type " + a.Type.String() + " -> " + b.Type.String()},
			Layer: c.layerOf(b), Old: a, New: b})
		if a.Type == layer.TypeDir {
			c.children(p, a, Removed)
		}
		if b.Type == layer.TypeDir {
			c.children(p, b, Added)
		}
	case a.Type == layer.TypeDir:
		c.dir(p, a, b)
	default:
		content := c.contentDetails(a, b)
		meta := metadataDetails(a, b, c.opts.IncludeMtime)
		kind := Modified
		if len(content) == 0 {
			if len(meta) == 0 {
				return
			}
			kind = Metadata
		}
		c.out = append(c.out, Change{Path: p, Kind: kind, Type: b.Type, SizeDelta: b.Size - a.Size,
			Details: append(content, meta...), Layer: c.layerOf(b), Old: a, New: b})
	}
}

// contentDetails says how the content of two nodes of the same type
// differs: file bytes, link target or device numbers. Two files of one
// size, one stored sparse and one not, are compared by their hole
// digests (see layer.Tree.HoleDigest).
func (c *comparer) contentDetails(a, b *layer.Node) []string {
	if a.Type != layer.TypeRegular || a.Sparse == b.Sparse || a.Size != b.Size {
		return contentDetails(a, b)
	}
	da, err := c.base.HoleDigest(a)
	if err != nil {
		return []string{"content (not compared: " + err.Error() + ")"}
	}
	db, err := c.derived.HoleDigest(b)
	if err != nil {
		return []string{"content (not compared: " + err.Error() + ")"}
	}
	if da != db {
		return []string{"content"}
	}
	return nil
}

// all reports n and everything below it as added or removed.
func (c *comparer) all(p string, n *layer.Node, kind Kind) {
	ch := Change{Path: p, Kind: kind, Type: n.Type}
	if kind == Added {
		ch.SizeDelta, ch.New, ch.Layer = n.Size, n, c.layerOf(n)
	} else {
		ch.SizeDelta, ch.Old = -n.Size, n
	}
	c.out = append(c.out, ch)
	if n.Type == layer.TypeDir {
		c.children(p, n, kind)
	}
}

func (c *comparer) children(p string, n *layer.Node, kind Kind) {
	for _, ch := range n.Children() {
		c.all(child(p, ch.Name), ch, kind)
	}
}
