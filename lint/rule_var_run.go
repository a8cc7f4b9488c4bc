package lint

import (
	"context"

	"github.com/oslayer/oslayer/layer"
)

var varRun = &Rule{
	ID: "var-run", Level: Fatal, Source: "bootc",
	Description: "/var/run must be a symlink to /run, never a directory",
	Help:        "Remove the directory and create the link: rm -rf /var/run && ln -s ../run /var/run. Content under /var/run is lost at boot anyway.",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		if n := t.lookup("/var/run"); n != nil && n.Type != layer.TypeSymlink {
			return []Finding{finding("/var/run", "", "/var/run is a "+n.Type.String()+", not a symlink to /run")}, nil
		}
		return nil, nil
	},
}
