package lint

import (
	"context"

	"github.com/oslayer/oslayer/layer"
)

var varTmpfiles = &Rule{
	ID: "var-tmpfiles", Level: Warning, Source: "bootc",
	Description: "content in /var needs systemd tmpfiles.d entries",
	Help:        "bootc unpacks an image's /var only at the first install and never updates it: content added to /var by a later image never reaches existing machines. Keep /var empty in the image and create directories and links at boot with tmpfiles.d (the finding gives the line to add to /usr/lib/tmpfiles.d/NAME.conf); ship files under /usr/share/factory/var and copy them with a C line (oslayer finalize --fix-var does that).",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		entries := readTmpfiles(t.Tree.FS())
		advice := NewVarAdvisor(t.Tree.FS())
		var out []Finding
		t.walkBelow("/var", func(p string, n *layer.Node) {
			if n.MountPoint {
				return
			}
			if _, ok := entries[p]; ok {
				return
			}
			pkg := ""
			if n.Type != layer.TypeDir && n.Type != layer.TypeSymlink {
				pkg = t.Owners.Of(p, false)
			}
			out = append(out, finding(p, pkg, advice.Advice(p, n)))
		})
		return out, nil
	},
}
