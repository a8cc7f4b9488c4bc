package lint

import (
	"io/fs"

	"github.com/oslayer/oslayer/layer"
)

// VarAdvisor says how to ship /var content of a tree the way bootc and
// systemd extensions allow: made at boot by systemd-tmpfiles, or deleted
// when it is a build's leftover.
type VarAdvisor struct {
	users, groups idNames
}

// NewVarAdvisor reads the tree's users and groups, which name owners in
// the lines it suggests.
func NewVarAdvisor(fsys fs.FS) *VarAdvisor {
	return &VarAdvisor{users: readIDNames(fsys, "passwd"), groups: readIDNames(fsys, "group")}
}

// Advice is what the var-tmpfiles rule says of the path p (absolute,
// below /var) holding n: to delete a cache, log or repository metadata;
// the tmpfiles.d line that creates a directory or a symlink; for other
// files, to ship them in /usr/share/factory.
func (a *VarAdvisor) Advice(p string, n *layer.Node) string {
	if l, ok := leftoverAt(p); ok {
		msg := l.what + ": " + l.fix
		if n.Type == layer.TypeDir && l.dir == "/var/log" {
			msg += "; if a service needs the directory, declare it: " + tmpfilesDirLine(p, n.Mode, a.users.name(n.UID), a.groups.name(n.GID))
		}
		return msg
	}
	switch n.Type {
	case layer.TypeDir:
		return "no tmpfiles.d entry; add: " + tmpfilesDirLine(p, n.Mode, a.users.name(n.UID), a.groups.name(n.GID))
	case layer.TypeSymlink:
		return "no tmpfiles.d entry; add: " + tmpfilesLinkLine(p, n.Linkname)
	}
	return "a " + n.Type.String() + " in /var cannot be declared in tmpfiles.d; ship it under /usr/share/factory" + p + " and copy it with a C line"
}
