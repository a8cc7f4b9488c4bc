package lint

import "context"

var baseimageComposefs = &Rule{
	ID: "baseimage-composefs", Level: Warning, Source: "bootc",
	Description: "prepare-root.conf should enable composefs",
	Help:        "bootc recommends the ostree composefs backend, which keeps the whole root read-only and verifiable. Ship /usr/lib/ostree/prepare-root.conf with:\n[composefs]\nenabled = true",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		pr := readPrepareRoot(t.Tree.FS())
		switch {
		case pr.Path == "":
			return []Finding{finding("/usr/lib/ostree/prepare-root.conf", "", "missing: composefs is not enabled")}, nil
		case !pr.composefsEnabled():
			return []Finding{finding(pr.Path, t.Owners.Of(pr.Path, false), "composefs is not enabled ([composefs] enabled = "+quoteOr(pr.Composefs, "unset")+")")}, nil
		}
		return nil, nil
	},
}

func quoteOr(s, none string) string {
	if s == "" {
		return none
	}
	return `"` + s + `"`
}
