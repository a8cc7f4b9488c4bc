package lint

import (
	"context"
	"fmt"

	"github.com/oslayer/oslayer/layer"
)

var extensionShadow = &Rule{
	ID: "extension-shadow", Level: Warning, Source: "oslayer", Extension: true,
	Description: "host files the extension would shadow once merged, with the packages that own them",
	Help:        "An extension is an overlay above the host's /usr, /opt or /etc: where both have a file, the host's is hidden while the extension is merged, and the host's package updates to it are too; where one has a directory and the other not, everything below is hidden. Ship additions only (oslayer sysext refuses changed base files unless --allow-override); an identical copy is harmless until the host updates it.",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		e := t.Extension
		var out []Finding
		for p, n := range e.Tree.Walk() {
			if _, ok := e.inHierarchy(p); !ok || p == "" {
				continue
			}
			h := e.HostTree.Lookup(p)
			if h == nil || n.Type == layer.TypeDir && h.Type == layer.TypeDir {
				continue
			}
			abs := "/" + p
			pkg := e.HostOwners.Of(abs, h.Type == layer.TypeDir)
			switch {
			case n.Type == layer.TypeDir:
				out = append(out, finding(abs, pkg, fmt.Sprintf("a directory in the extension replaces the host's %s: what the host reaches through it is hidden", describe(h))))
			case h.Type == layer.TypeDir:
				out = append(out, finding(abs, pkg, fmt.Sprintf("a %s in the extension hides the host's directory and the %d paths below it", n.Type, below(h))))
			case sameFile(n, h):
				f := finding(abs, pkg, "shadows the host's file, identical for now: the host's updates to it stay hidden")
				f.Level = Info
				out = append(out, f)
			default:
				out = append(out, finding(abs, pkg, fmt.Sprintf("shadows the host's %s, which differs", describe(h))))
			}
		}
		return out, nil
	},
}

var mutableShadow = &Rule{
	ID: "mutable-shadow", Level: Warning, Source: "oslayer", Extension: true,
	Description: "with --mutable-dir, local changes in /var/lib/extensions.mutable that shadow the extension's content",
	Help:        "With systemd-sysext --mutable=yes or auto (systemd 256), /var/lib/extensions.mutable/usr (opt, etc for a confext) is the overlay's upper directory: what the host changes in /usr is kept there, above every extension. A file there hides the extension's file of the same path, also after the extension is updated; a whiteout (a 0:0 character device) keeps a deleted file deleted, an opaque directory hides all the extension has below it. Remove the local copy to get the extension's version back, or make the change in the extension.",
	Applies: func(t *Target) (bool, string) {
		if t.Extension.Mutable == nil {
			return false, "no --mutable-dir given"
		}
		return true, ""
	},
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		e := t.Extension
		var out []Finding
		for _, k := range e.Kinds() {
			for _, top := range k.Hierarchies() {
				upper := e.Mutable.Lookup(top)
				if upper == nil {
					continue
				}
				if h := e.HostTree.Lookup(top); h != nil && upper.Type == layer.TypeDir && upper.Mode&0o777 != h.Mode&0o777 {
					out = append(out, finding("/"+top, "", fmt.Sprintf("the mutable directory's mode is %04o, the host's /%s %04o: systemd-%s --mutable=yes|auto refuses to merge", upper.Mode&0o777, top, h.Mode&0o777, k)))
				}
				for p, u := range e.Mutable.Walk() {
					if p != top && !hasPrefixDir(p, top) {
						continue
					}
					x := e.Tree.Lookup(p)
					if x == nil || p == top {
						continue
					}
					abs := "/" + p
					switch {
					case u.Type == layer.TypeChar && u.Devmajor == 0 && u.Devminor == 0:
						out = append(out, finding(abs, "", "deleted locally (an overlayfs whiteout): hides the extension's "+describe(x)))
					case u.Type == layer.TypeDir && x.Type == layer.TypeDir:
						if u.Xattrs["trusted.overlay.opaque"] == "y" || u.Xattrs["user.overlay.opaque"] == "y" {
							out = append(out, finding(abs, "", fmt.Sprintf("an opaque directory: hides the %d paths the extension has below it", below(x))))
						}
					case sameFile(u, x):
						f := finding(abs, "", "a local copy identical to the extension's: it will hide the extension's next version")
						f.Level = Info
						out = append(out, f)
					default:
						out = append(out, finding(abs, "", fmt.Sprintf("a local %s shadows the extension's %s, which differs", u.Type, describe(x))))
					}
				}
			}
		}
		return out, nil
	},
}

func hasPrefixDir(p, dir string) bool {
	return len(p) > len(dir) && p[:len(dir)] == dir && p[len(dir)] == '/'
}

// describe names a node for messages: its type, and a symlink's target.
func describe(n *layer.Node) string {
	if n.Type == layer.TypeSymlink {
		return "symlink to " + n.Linkname
	}
	return n.Type.String()
}

// below counts the paths below a directory.
func below(n *layer.Node) int {
	c := 0
	for _, ch := range n.Children() {
		c++
		if ch.Type == layer.TypeDir {
			c += below(ch)
		}
	}
	return c
}

// sameFile reports whether two non-directories are the same file: type,
// mode, owner and content or target.
func sameFile(a, b *layer.Node) bool {
	if a.Type != b.Type || a.UID != b.UID || a.GID != b.GID {
		return false
	}
	switch a.Type {
	case layer.TypeRegular:
		return a.Mode == b.Mode && a.Size == b.Size && a.Digest == b.Digest && !a.Digest.IsZero()
	case layer.TypeSymlink:
		return a.Linkname == b.Linkname
	}
	return a.Mode == b.Mode && a.Devmajor == b.Devmajor && a.Devminor == b.Devminor
}
