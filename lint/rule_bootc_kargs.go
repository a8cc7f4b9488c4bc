package lint

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"strings"
)

var bootcKargs = &Rule{
	ID: "bootc-kargs", Level: Fatal, Source: "bootc",
	Description: "/usr/lib/bootc/kargs.d must be a directory whose *.toml files parse",
	Help:        `Each file is TOML with kargs = ["name=value", ...] and optionally match-architectures = ["x86_64", ...]; no other key is allowed. bootc refuses to deploy an image whose kargs.d does not parse, or is not a directory.`,
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		fsys := t.Tree.FS()
		info, err := fs.Stat(fsys, kargsDir)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, nil
		case err != nil:
			return []Finding{finding("/"+kargsDir, "", "cannot be read: "+err.Error())}, nil
		case !info.IsDir():
			return []Finding{finding("/"+kargsDir, t.Owners.Of("/"+kargsDir, false), "not a directory")}, nil
		}
		ents, err := fs.ReadDir(fsys, kargsDir)
		if err != nil {
			return nil, err
		}
		var out []Finding
		for _, e := range ents {
			if !isKargsFile(e.Name()) {
				continue
			}
			p := path.Join(kargsDir, e.Name())
			data, err := fs.ReadFile(fsys, p)
			if err != nil {
				out = append(out, finding("/"+p, t.Owners.Of("/"+p, false), "cannot read: "+err.Error()))
				continue
			}
			if err := parseKargs(string(data)); err != nil {
				out = append(out, finding("/"+p, t.Owners.Of("/"+p, false), err.Error()))
			}
		}
		return out, nil
	},
}

// isKargsFile reports whether bootc reads the kargs.d entry name: its
// extension is .toml (".toml" alone is a name without one).
func isKargsFile(name string) bool {
	return strings.HasSuffix(name, ".toml") && name != ".toml"
}
