package sysext

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// ParseRelease reads an os-release or extension-release file
// (os-release(5)): KEY=VALUE lines, the value bare, in double quotes (with
// backslash escapes of " \ $ and `) or in single quotes; blank lines and
// lines starting with # are skipped. A line that is none of these is an
// error naming it.
func ParseRelease(b []byte) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 4096), 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || !validKey(k) {
			return nil, fmt.Errorf("line %d: want KEY=VALUE", n)
		}
		val, err := unquote(v)
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", n, k, err)
		}
		out[k] = val
	}
	return out, sc.Err()
}

func validKey(k string) bool {
	if k == "" {
		return false
	}
	for i, c := range k {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func unquote(v string) (string, error) {
	switch {
	case len(v) >= 2 && v[0] == '\'' && v[len(v)-1] == '\'':
		return v[1 : len(v)-1], nil
	case len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"':
		var b strings.Builder
		s := v[1 : len(v)-1]
		for i := 0; i < len(s); i++ {
			if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
				i++
			} else if s[i] == '"' {
				return "", errors.New("unescaped quote")
			}
			b.WriteByte(s[i])
		}
		return b.String(), nil
	case strings.ContainsAny(v, "\"'`$\\ \t"):
		return "", errors.New("a value with spaces or shell characters must be quoted")
	}
	return v, nil
}

// quote spells a value for a release file: bare when it is one word of
// letters, digits and ._-:+~, else in double quotes.
func quote(v string) string {
	bare := v != ""
	for _, c := range v {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("._-:+~", c)) {
			bare = false
		}
	}
	if bare {
		return v
	}
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range v {
		if strings.ContainsRune("\"\\$`", c) {
			b.WriteByte('\\')
		}
		b.WriteRune(c)
	}
	b.WriteByte('"')
	return b.String()
}

// ReadOSRelease reads the os-release of the tree fsys holds, where
// systemd reads it: /etc/os-release, else /usr/lib/os-release. It says
// which it read, or fs.ErrNotExist when there is neither.
func ReadOSRelease(fsys fs.FS) (path string, fields map[string]string, err error) {
	for _, p := range []string{"etc/os-release", "usr/lib/os-release"} {
		b, err := fs.ReadFile(fsys, p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "/" + p, nil, err
		}
		fields, err := ParseRelease(b)
		if err != nil {
			return "/" + p, nil, fmt.Errorf("/%s: %w", p, err)
		}
		return "/" + p, fields, nil
	}
	return "", nil, fmt.Errorf("no /etc/os-release or /usr/lib/os-release: %w", fs.ErrNotExist)
}
