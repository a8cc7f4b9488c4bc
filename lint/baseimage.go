package lint

import (
	"io/fs"
	"path"

	"github.com/oslayer/oslayer/layer"
)

// baseimageRef is where bootc's package installs its reference copy of a
// base image's root (bootc's baseimage/base: /sysroot, the /ostree link,
// prepare-root.conf). bootc checks it as it checks the root, when there.
const baseimageRef = "usr/share/doc/bootc/baseimage/base"

// checkedRoot is a root the baseimage rules check.
type checkedRoot struct {
	Dir  string // "/" or the reference copy's absolute path
	Node *layer.Node
	FS   fs.FS
}

// path returns the absolute path of rel below the root.
func (r checkedRoot) path(rel string) string { return path.Join(r.Dir, rel) }

// baseimageRoots returns the root and, when it resolves to a directory,
// bootc's reference copy.
func (t *Target) baseimageRoots() []checkedRoot {
	out := []checkedRoot{{Dir: "/", Node: t.Tree.Root, FS: t.Tree.FS()}}
	if n, err := t.Tree.Resolve(baseimageRef); err == nil && n.Type == layer.TypeDir {
		sub, err := fs.Sub(t.Tree.FS(), n.Path())
		if err == nil {
			out = append(out, checkedRoot{Dir: "/" + n.Path(), Node: n, FS: sub})
		}
	}
	return out
}
