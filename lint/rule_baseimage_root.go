package lint

import (
	"context"

	"github.com/oslayer/oslayer/layer"
)

var baseimageRoot = &Rule{
	ID: "baseimage-root", Level: Fatal, Source: "bootc",
	Description: "/sysroot must be a directory and /ostree a symlink to sysroot/ostree",
	Help: "Every bootc base image has them; a derived image that lost them was probably built FROM a non-bootable image or had them removed. Restore with mkdir /sysroot && ln -s sysroot/ostree /ostree. " +
		"Like bootc, oslayer checks bootc's reference copy in /" + baseimageRef + " the same way when it is there.",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		var out []Finding
		for _, r := range t.baseimageRoots() {
			sysroot, ostree := r.path("sysroot"), r.path("ostree")
			switch n := r.Node.Child("sysroot"); {
			case n == nil:
				out = append(out, finding(sysroot, "", "missing "+sysroot))
			case n.Type != layer.TypeDir:
				out = append(out, finding(sysroot, "", sysroot+" is a "+n.Type.String()+", not a directory"))
			}
			switch n := r.Node.Child("ostree"); {
			case n == nil:
				out = append(out, finding(ostree, "", "missing "+ostree+" -> sysroot/ostree link"))
			case n.Type != layer.TypeSymlink:
				out = append(out, finding(ostree, "", ostree+" is a "+n.Type.String()+", not a symlink"))
			case n.Linkname != "sysroot/ostree":
				out = append(out, finding(ostree, "", ostree+" links to "+n.Linkname+", not sysroot/ostree"))
			}
		}
		return out, nil
	},
}
