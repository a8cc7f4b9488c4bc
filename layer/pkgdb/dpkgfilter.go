package pkgdb

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
)

// dpkgConfig is dpkg's configuration file; the files of dpkgConfig+".d"
// follow it, in name order.
const dpkgConfig = "etc/dpkg/dpkg.cfg"

// DpkgFilter is one path-exclude or path-include option of dpkg's
// configuration (dpkg.cfg(5)): minimal images (Debian's and Ubuntu's
// container images) leave documentation out with them. dpkg does not
// install the files a filter excludes, yet lists them as the package's.
type DpkgFilter struct {
	// Include is set for path-include, which takes back what an earlier
	// path-exclude left out.
	Include bool
	// Glob is the option's value, an fnmatch(3) pattern in which "*" also
	// matches "/".
	Glob string
	// File is the configuration file that sets it ("/etc/dpkg/dpkg.cfg.d/docker").
	File string
	re   *regexp.Regexp
}

// String spells the filter as the configuration does.
func (f *DpkgFilter) String() string {
	opt := "path-exclude"
	if f.Include {
		opt = "path-include"
	}
	return opt + " " + f.Glob
}

// DpkgFilters are the path filters of an image's dpkg configuration, in
// the order dpkg applies them.
type DpkgFilters []DpkgFilter

// ReadDpkgFilters reads the path-exclude and path-include options of
// etc/dpkg/dpkg.cfg, then of the files of etc/dpkg/dpkg.cfg.d in name
// order, as dpkg does. Options are written "option value" or
// "option=value", the value possibly quoted; "#" starts a comment line.
// Missing files are no filters.
func ReadDpkgFilters(fsys fs.FS) (DpkgFilters, error) {
	files := []string{dpkgConfig}
	entries, err := fs.ReadDir(fsys, dpkgConfig+".d")
	if err != nil && !isAbsent(err) {
		return nil, fmt.Errorf("reading /%s.d: %w", dpkgConfig, err)
	}
	for _, e := range entries {
		if !e.IsDir() {
			files = append(files, path.Join(dpkgConfig+".d", e.Name()))
		}
	}
	var out DpkgFilters
	for _, name := range files {
		data, err := fs.ReadFile(fsys, name)
		if isAbsent(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading /%s: %w", name, err)
		}
		sc := bufio.NewScanner(bytes.NewReader(data))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			i := strings.IndexAny(line, " \t=")
			if i < 0 || line[0] == '#' {
				continue
			}
			opt, glob := line[:i], strings.TrimSpace(line[i+1:])
			if len(glob) >= 2 && (glob[0] == '"' || glob[0] == '\'') && glob[len(glob)-1] == glob[0] {
				glob = glob[1 : len(glob)-1]
			}
			if (opt != "path-exclude" && opt != "path-include") || glob == "" {
				continue
			}
			out = append(out, DpkgFilter{Include: opt == "path-include", Glob: glob, File: "/" + name, re: fnmatchRegexp(glob)})
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("reading /%s: %w", name, err)
		}
	}
	return out, nil
}

// Excluding returns the filter by which dpkg leaves out the absolute path
// p, nil when it installs it: the last filter that matches decides.
func (fs DpkgFilters) Excluding(p string) *DpkgFilter {
	var last *DpkgFilter
	for i := range fs {
		if fs[i].re.MatchString(p) {
			last = &fs[i]
		}
	}
	if last == nil || last.Include {
		return nil
	}
	return last
}

// fnmatchRegexp compiles a glob as fnmatch(3) reads it without
// FNM_PATHNAME, as dpkg does: "*" and "?" also match "/"; "[...]" is a
// class ("[!...]" negated), an unclosed "[" a plain character; "\" quotes
// the next character.
func fnmatchRegexp(glob string) *regexp.Regexp {
	g := []rune(glob)
	var b strings.Builder
	b.WriteString(`(?s)^`)
	for i := 0; i < len(g); i++ {
		switch g[i] {
		case '*':
			b.WriteString(`.*`)
		case '?':
			b.WriteString(`.`)
		case '\\':
			if i+1 < len(g) {
				i++
			}
			b.WriteString(regexp.QuoteMeta(string(g[i])))
		case '[':
			end := slices.Index(g[i+1:], ']')
			if end < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := string(g[i+1 : i+1+end])
			b.WriteString(`[`)
			if rest, ok := strings.CutPrefix(class, "!"); ok {
				b.WriteString(`^`)
				class = rest
			}
			b.WriteString(strings.NewReplacer(`\`, `\\`, `[`, `\[`, `^`, `\^`).Replace(class) + `]`)
			i += end + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(g[i])))
		}
	}
	b.WriteString(`$`)
	re, err := regexp.Compile(b.String())
	if err != nil {
		// A class regexp rejects ("[z-a]") matches nothing, as in fnmatch.
		return regexp.MustCompile(`^\b\B$`)
	}
	return re
}
