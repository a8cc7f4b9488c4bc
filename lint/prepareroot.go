package lint

import (
	"bufio"
	"io/fs"
	"strings"
)

// prepareRootPaths are where ostree-prepare-root looks for its
// configuration; the first that exists wins.
var prepareRootPaths = []string{"etc/ostree/prepare-root.conf", "usr/lib/ostree/prepare-root.conf"}

// prepareRoot is what oslayer needs from prepare-root.conf.
type prepareRoot struct {
	Path      string // "" when there is none
	Composefs string // [composefs] enabled
	Transient bool   // [root] transient
}

// composefsEnabled follows ostree-ext: composefs yes/true/1/maybe/signed/
// verity, or a transient root, count as enabled; no value is disabled.
func (p prepareRoot) composefsEnabled() bool {
	switch p.Composefs {
	case "yes", "true", "1", "maybe", "signed", "verity":
		return true
	}
	return p.Transient
}

// readPrepareRoot reads the first prepare-root.conf of the tree, a GKeyFile
// ("[group]" headers, "key = value", "#" comments).
func readPrepareRoot(fsys fs.FS) prepareRoot {
	for _, p := range prepareRootPaths {
		data, err := fs.ReadFile(fsys, p)
		if err != nil {
			continue
		}
		out := prepareRoot{Path: "/" + p}
		group := ""
		sc := bufio.NewScanner(strings.NewReader(string(data)))
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			switch {
			case line == "" || strings.HasPrefix(line, "#"):
			case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
				group = line[1 : len(line)-1]
			default:
				k, v, ok := strings.Cut(line, "=")
				if !ok {
					continue
				}
				k, v = strings.TrimSpace(k), strings.TrimSpace(v)
				switch {
				case group == "composefs" && k == "enabled":
					out.Composefs = v
				case group == "root" && k == "transient":
					out.Transient = v == "true" || v == "1"
				}
			}
		}
		return out
	}
	return prepareRoot{}
}
