package lint

import (
	"context"
	"io/fs"
	"path"
)

var bootcKargs = &Rule{
	ID: "bootc-kargs", Level: Fatal, Source: "bootc",
	Description: "every /usr/lib/bootc/kargs.d/*.toml must parse",
	Help:        `Each file is TOML with kargs = ["name=value", ...] and optionally match-architectures = ["x86_64", ...]; no other key is allowed. bootc refuses to deploy an image whose kargs.d does not parse.`,
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		fsys := t.Tree.FS()
		ents, err := fs.ReadDir(fsys, kargsDir)
		if err != nil {
			return nil, nil
		}
		var out []Finding
		for _, e := range ents {
			if path.Ext(e.Name()) != ".toml" {
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
