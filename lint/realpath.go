package lint

import (
	"io/fs"
	"strings"
)

// maxLinkHops is how many symlinks one resolution follows, as the kernel.
const maxLinkHops = 40

// realDir returns the path, free of symlinks, of the directory that the
// clean root-relative path p names ("" is the root), following symlinks as
// a chroot would: absolute targets and ".." never leave the root. It
// reports false when p does not resolve to a directory: a component is
// missing, is not a directory, cannot be read, or the links loop.
func realDir(fsys fs.ReadLinkFS, p string) (string, bool) {
	var done []string
	todo := strings.Split(p, "/")
	hops := 0
	for len(todo) > 0 {
		part := todo[0]
		todo = todo[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		cur := strings.Join(append(done, part), "/")
		fi, err := fsys.Lstat(cur)
		switch {
		case err != nil:
			return "", false
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := fsys.ReadLink(cur)
			if hops++; err != nil || hops > maxLinkHops {
				return "", false
			}
			if strings.HasPrefix(target, "/") {
				done = done[:0]
			}
			todo = append(strings.Split(target, "/"), todo...)
		case fi.IsDir():
			done = append(done, part)
		default:
			return "", false
		}
	}
	return strings.Join(done, "/"), true
}
