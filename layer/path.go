package layer

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// CleanPath turns a tar entry name into the canonical relative form used in
// Entries and Trees: no leading "./", no "." or empty components, no trailing
// slash; the root is "". Names that are not UTF-8, contain NUL, are absolute
// or have ".." components are rejected: bootc refuses them, and they are the
// raw material of path-traversal attacks.
func CleanPath(name string) (string, error) {
	if len(name) > maxPathLen {
		return "", fmt.Errorf("name of %d bytes is longer than PATH_MAX (%d)", len(name), maxPathLen)
	}
	if !utf8.ValidString(name) {
		return "", fmt.Errorf("name %q is not valid UTF-8", name)
	}
	if strings.IndexByte(name, 0) >= 0 {
		return "", fmt.Errorf("name %q contains a NUL byte", name)
	}
	if strings.HasPrefix(name, "/") {
		return "", fmt.Errorf("name %q is absolute", name)
	}
	var b strings.Builder
	b.Grow(len(name))
	for part := range strings.SplitSeq(name, "/") {
		switch part {
		case "", ".":
			continue
		case "..":
			return "", fmt.Errorf("name %q contains \"..\"", name)
		}
		if b.Len() > 0 {
			b.WriteByte('/')
		}
		b.WriteString(part)
	}
	return b.String(), nil
}

// maxPathLen is Linux's PATH_MAX: no file system a layer is unpacked on
// holds a longer path, and symlink targets are at most maxPathLen-1 bytes.
const maxPathLen = 4096

// split returns the parent directory and the base name of a clean path.
func split(p string) (dir, base string) {
	i := strings.LastIndexByte(p, '/')
	if i < 0 {
		return "", p
	}
	return p[:i], p[i+1:]
}

// join joins a clean directory path and a name.
func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// Abs returns the absolute form of a clean path, as users see it: "/usr/bin/ls".
func Abs(p string) string { return "/" + p }

// isClean reports whether p is already in CleanPath's canonical form.
func isClean(p string) bool {
	c, err := CleanPath(p)
	return err == nil && c == p
}
