package rootdir

import (
	"fmt"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// MaxLinks bounds the symlinks followed in one path, as the kernel does.
const MaxLinks = 40

// Resolve returns where the absolute path p leads below a root, following
// every symlink on the way, the last component's too, as a chroot would:
// an absolute target starts again at the root, and ".." never leaves it.
// Components that do not exist are kept as they are, so the result is
// where p would be. readlink says whether the root-relative real path
// abs is a symlink, and its target. It fails after 40 symlinks.
func Resolve(p string, readlink func(abs string) (target string, ok bool)) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("%q: not an absolute path", p)
	}
	parts := strings.Split(p, "/")
	var done []string
	links := 0
	for len(parts) > 0 {
		part := parts[0]
		parts = parts[1:]
		switch part {
		case "", ".":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		abs := "/" + path.Join(append(done, part)...)
		target, ok := readlink(abs)
		if !ok {
			done = append(done, part)
			continue
		}
		if links++; links > MaxLinks {
			return "", fmt.Errorf("%s: too many levels of symbolic links", p)
		}
		if strings.HasPrefix(target, "/") {
			done = nil
		}
		parts = append(strings.Split(target, "/"), parts...)
	}
	return "/" + path.Join(done...), nil
}

// RealPath is Resolve below this root.
func (r *Dir) RealPath(p string) (string, error) {
	return Resolve(p, func(abs string) (string, bool) {
		dir, name := path.Split(strings.TrimPrefix(abs, "/"))
		fd, err := r.OpenDir(strings.TrimSuffix(dir, "/"))
		if err != nil {
			return "", false
		}
		defer unix.Close(fd)
		buf := make([]byte, unix.PathMax)
		n, err := unix.Readlinkat(fd, name, buf)
		if err != nil {
			return "", false
		}
		return string(buf[:n]), true
	})
}
