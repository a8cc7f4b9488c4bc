package lint

import (
	"context"
	"strings"
)

var baseimageComposefs = &Rule{
	ID: "baseimage-composefs", Level: Warning, Source: "bootc",
	Description: "prepare-root.conf should enable composefs",
	Help: "bootc recommends the ostree composefs backend, which keeps the whole root read-only and verifiable. Ship /usr/lib/ostree/prepare-root.conf with:\n[composefs]\nenabled = true\n" +
		"A prepare-root.conf that ostree cannot parse, or whose [root] transient is not a boolean, is a fatal finding: bootc stops with an error on it, and ostree-prepare-root fails at boot. " +
		"Like bootc, oslayer checks bootc's reference copy in /" + baseimageRef + " the same way when it is there.",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		var out []Finding
		for _, r := range t.baseimageRoots() {
			pr := readPrepareRoot(r.FS)
			if pr.Path == "" {
				p := r.path(prepareRootPaths[1])
				out = append(out, finding(p, "", "missing: composefs is not enabled"))
				continue
			}
			p := r.path(pr.Path)
			pkg := t.Owners.Of(p, false)
			if len(pr.Errors) > 0 {
				f := finding(p, pkg, "ostree cannot read it: "+strings.Join(pr.Errors, "; "))
				f.Level = Fatal
				out = append(out, f)
			}
			if !pr.overlayfsEnabled() {
				value := "unset"
				if pr.ComposefsValue != "" {
					value = `"` + pr.ComposefsValue + `"`
					if _, err := parseComposefsMode(pr.ComposefsValue); err != nil {
						value += ", " + err.Error()
					}
				}
				out = append(out, finding(p, pkg, "composefs is not enabled ([composefs] enabled = "+value+")"))
			}
		}
		return out, nil
	},
}
