package lint

import "github.com/oslayer/oslayer/layer"

// walkBelow calls fn for every node below the directory at abs (not the
// directory itself), parents first, siblings in name order, without
// entering mount points. It does nothing when abs is not a directory.
func (t *Target) walkBelow(abs string, fn func(p string, n *layer.Node)) {
	root := t.lookup(abs)
	if root == nil || root.Type != layer.TypeDir || root.MountPoint {
		return
	}
	var visit func(p string, n *layer.Node)
	visit = func(p string, n *layer.Node) {
		for _, c := range n.Children() {
			cp := p + "/" + c.Name
			fn(cp, c)
			if c.Type == layer.TypeDir && !c.MountPoint {
				visit(cp, c)
			}
		}
	}
	visit(abs, root)
}
