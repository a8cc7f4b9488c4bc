package lint

import (
	"bufio"
	"io/fs"
	"path"
	"regexp"
	"strings"
)

// dpkgFilters are dpkg's path-exclude / path-include options, which minimal
// images (Debian's and Ubuntu's container images) use to leave out
// documentation: dpkg still lists the files it did not install.
type dpkgFilters []dpkgFilter

type dpkgFilter struct {
	include bool
	re      *regexp.Regexp
}

// readDpkgFilters reads /etc/dpkg/dpkg.cfg and /etc/dpkg/dpkg.cfg.d/*, in
// the order dpkg does (the main file, then the directory sorted by name).
func readDpkgFilters(fsys fs.FS) dpkgFilters {
	files := []string{"etc/dpkg/dpkg.cfg"}
	if ents, err := fs.ReadDir(fsys, "etc/dpkg/dpkg.cfg.d"); err == nil {
		for _, e := range ents {
			files = append(files, path.Join("etc/dpkg/dpkg.cfg.d", e.Name()))
		}
	}
	var out dpkgFilters
	for _, f := range files {
		data, err := fs.ReadFile(fsys, f)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		for sc.Scan() {
			opt, glob, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
			opt = strings.TrimPrefix(opt, "--")
			if !ok || (opt != "path-exclude" && opt != "path-include") {
				continue
			}
			if re := fnmatchRegexp(strings.TrimSpace(glob)); re != nil {
				out = append(out, dpkgFilter{include: opt == "path-include", re: re})
			}
		}
	}
	return out
}

// excluded says whether dpkg left p out: the last filter that matches
// decides, as in dpkg.
func (fs dpkgFilters) excluded(p string) bool {
	excluded := false
	for _, f := range fs {
		if f.re.MatchString(p) {
			excluded = !f.include
		}
	}
	return excluded
}

// fnmatchRegexp compiles a glob as fnmatch(3) without FNM_PATHNAME reads
// it, as dpkg does: "*" and "?" also match "/".
func fnmatchRegexp(glob string) *regexp.Regexp {
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		case '[':
			j := strings.IndexByte(glob[i+1:], ']')
			if j < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := glob[i+1 : i+1+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += j + 1
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil
	}
	return re
}
