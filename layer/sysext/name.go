package sysext

import (
	"fmt"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ImageSuffix ends the file name of an extension image.
const ImageSuffix = ".raw"

// NameOf returns the extension name systemd derives from an image's path:
// a file's name without .raw, a directory's name.
func NameOf(path string) string {
	return strings.TrimSuffix(filepath.Base(filepath.Clean(path)), ImageSuffix)
}

// ValidName checks an extension name as systemd checks image names: a
// file name (no "/", not "." or "..", at most 255 bytes with .raw) of
// UTF-8 without control characters, not hidden.
func ValidName(name string) error {
	switch {
	case name == "" || name == "." || name == "..":
		return fmt.Errorf("extension name %q: not a name", name)
	case len(name)+len(ImageSuffix) > 255:
		return fmt.Errorf("extension name %q: longer than a file name can be", name)
	case strings.HasPrefix(name, "."):
		return fmt.Errorf("extension name %q: systemd ignores hidden names", name)
	case !utf8.ValidString(name):
		return fmt.Errorf("extension name %q: not UTF-8", name)
	case strings.ContainsFunc(name, func(r rune) bool { return r == '/' || unicode.IsControl(r) }):
		return fmt.Errorf("extension name %q: no / or control characters", name)
	}
	return nil
}
