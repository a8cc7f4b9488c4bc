package lint

import (
	"io/fs"

	"github.com/oslayer/oslayer/internal/passwd"
	"github.com/oslayer/oslayer/layer"
)

// VarAdvisor says how to ship /var content of a tree the way bootc and
// systemd extensions allow: made at boot by systemd-tmpfiles.
type VarAdvisor struct {
	users, groups []passwd.Entry
}

// NewVarAdvisor reads the tree's users and groups, which name owners in
// the lines it suggests.
func NewVarAdvisor(fsys fs.FS) *VarAdvisor {
	return &VarAdvisor{users: readAccounts(fsys, "etc/passwd"), groups: readAccounts(fsys, "etc/group")}
}

// Advice is what the var-tmpfiles rule says of the path p (absolute,
// below /var) holding n: the tmpfiles.d line that creates a directory or
// a symlink; for other files, to ship them in /usr/share/factory.
func (a *VarAdvisor) Advice(p string, n *layer.Node) string {
	switch n.Type {
	case layer.TypeDir:
		return "no tmpfiles.d entry; add: " + tmpfilesLine(p, true, n.Mode, nameOf(a.users, int(n.UID)), nameOf(a.groups, int(n.GID)), "")
	case layer.TypeSymlink:
		return "no tmpfiles.d entry; add: " + tmpfilesLine(p, false, 0, "", "", n.Linkname)
	}
	return "a " + n.Type.String() + " in /var cannot be declared in tmpfiles.d; ship it under /usr/share/factory" + p + " and copy it with a C line"
}
