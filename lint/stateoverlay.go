package lint

import (
	"path"

	"github.com/oslayer/oslayer/internal/rootdir"
	"github.com/oslayer/oslayer/layer"
)

// stateOverlayUnit names the instance of ostree's state overlay template
// (ostree-state-overlay@.service, ostree 2023.9) that mounts a writable
// overlay on the directory at the clean absolute path dir: what a machine
// writes there is kept in /var and carried over upgrades, and files the
// new image changed win over local copies.
func stateOverlayUnit(dir string) string {
	name, err := escapeUnitPath(dir)
	if err != nil {
		// Only a relative path or a ".." component can fail; dir is clean and absolute.
		panic(err)
	}
	return "ostree-state-overlay@" + name + ".service"
}

// stateOverlay reports whether an enabled state overlay keeps what is
// written at the real path p: one on p or on a directory above it.
func (t *Target) stateOverlay(p string) bool {
	for dir := p; dir != "/"; dir = path.Dir(dir) {
		if t.unitEnabled(stateOverlayUnit(dir)) {
			return true
		}
	}
	return false
}

// realPath returns where the absolute path p leads in the tree (see
// rootdir.Resolve); p itself when it loops.
func (t *Target) realPath(p string) string {
	real, err := rootdir.Resolve(p, func(abs string) (string, bool) {
		n := t.lookup(abs)
		if n == nil || n.Type != layer.TypeSymlink {
			return "", false
		}
		return n.Linkname, true
	})
	if err != nil {
		return path.Clean(p)
	}
	return real
}
