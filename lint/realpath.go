package lint

import (
	"io/fs"
	"strings"

	"github.com/oslayer/oslayer/internal/rootdir"
)

// realDir returns the path, free of symlinks, of the directory that the
// clean root-relative path p names ("" is the root), following symlinks as
// a chroot would (see rootdir.Resolve): absolute targets and ".." never
// leave the root. It reports false when p does not resolve to a
// directory: a component is missing, is not a directory, cannot be read,
// or the links loop.
func realDir(fsys fs.ReadLinkFS, p string) (string, bool) {
	real, err := rootdir.Resolve("/"+p, func(abs string) (string, bool) {
		rel := strings.TrimPrefix(abs, "/")
		if fi, err := fsys.Lstat(rel); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			return "", false
		}
		target, err := fsys.ReadLink(rel)
		return target, err == nil
	})
	if err != nil {
		return "", false
	}
	rel := strings.TrimPrefix(real, "/")
	if rel == "" {
		return "", true
	}
	if fi, err := fsys.Lstat(rel); err != nil || !fi.IsDir() {
		return "", false
	}
	return rel, true
}
