// Package pathglob matches absolute paths of an image against shell-style
// patterns: path.Match wildcards within a component (*, ?, [...] and
// [!...], \ to escape), "**" for any number of components, and a pattern
// that names a directory matches everything below it.
package pathglob

import (
	"errors"
	"fmt"
	"path"
	"strings"
)

// Glob is a compiled pattern.
type Glob struct {
	pattern string
	// parts are the pattern's components, "**" alone for any number of
	// components, the others in path.Match syntax.
	parts []string
}

// Compile checks a pattern and compiles it. A pattern is absolute
// ("/usr/lib/**/*.pyc") or starts with "**" ("**/*.pyc", anywhere);
// repeated and trailing slashes are ignored ("/etc/" is "/etc").
func Compile(pattern string) (*Glob, error) {
	if pattern == "" {
		return nil, errors.New("empty pattern")
	}
	if !strings.HasPrefix(pattern, "/") && !strings.HasPrefix(pattern, "**") {
		return nil, errors.New("want an absolute path such as /etc/**, or **/NAME for a name anywhere")
	}
	g := &Glob{pattern: pattern}
	for _, p := range strings.Split(pattern, "/") {
		switch p {
		case "":
			continue
		case ".", "..":
			return nil, fmt.Errorf("component %q: paths here are clean, with no . or .. components", p)
		case "**":
			if n := len(g.parts); n > 0 && g.parts[n-1] == "**" {
				continue // "**/**" is "**"
			}
			g.parts = append(g.parts, p)
			continue
		}
		p = bangClasses(p)
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("component %q: malformed (an unclosed [ or a trailing \\?)", p)
		}
		g.parts = append(g.parts, p)
	}
	return g, nil
}

// String returns the pattern as it was given.
func (g *Glob) String() string { return g.pattern }

// Match reports whether the absolute path p, or a directory above it,
// matches the pattern: "/etc" matches "/etc" and "/etc/ssh/sshd_config",
// not "/etcetera".
func (g *Glob) Match(p string) bool {
	var parts []string
	for _, c := range strings.Split(p, "/") {
		if c != "" {
			parts = append(parts, c)
		}
	}
	return match(g.parts, parts)
}

// match reports whether pat matches the first components of parts (all of
// them, or the directory some of the rest are below).
func match(pat, parts []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for i := 0; i <= len(parts); i++ {
				if match(pat[1:], parts[i:]) {
					return true
				}
			}
			return false
		}
		if len(parts) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], parts[0]); !ok {
			return false
		}
		pat, parts = pat[1:], parts[1:]
	}
	return true // what is left is below the matched directory
}

// bangClasses spells the shell's negated class [!...] as path.Match's
// [^...]; a "!" elsewhere, escaped or inside a class, stays.
func bangClasses(p string) string {
	b := []byte(p)
	inClass := false
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == '\\':
			i++
		case !inClass && b[i] == '[':
			inClass = true
			if i+1 < len(b) && b[i+1] == '!' {
				b[i+1] = '^'
				i++
			}
		case inClass && b[i] == ']':
			inClass = false
		}
	}
	return string(b)
}
