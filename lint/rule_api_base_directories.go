package lint

import (
	"context"

	"github.com/oslayer/oslayer/layer"
)

// apiDirs are systemd's API file systems, plus /var which bootc requires.
var apiDirs = []string{"dev", "proc", "sys", "run", "tmp", "var"}

var apiBaseDirectories = &Rule{
	ID: "api-base-directories", Level: Fatal, Source: "bootc",
	Description: "/dev, /proc, /sys, /run, /tmp and /var must be directories",
	Help:        "These are mount points of the booted system (https://systemd.io/API_FILE_SYSTEMS/); bootc also needs /var. Create them as empty directories: mkdir -p /dev /proc /sys /run /tmp /var.",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		var out []Finding
		for _, d := range apiDirs {
			switch n := t.lookup("/" + d); {
			case n == nil:
				out = append(out, finding("/"+d, "", "missing API file system directory /"+d))
			case n.Type != layer.TypeDir:
				out = append(out, finding("/"+d, "", "/"+d+" is a "+n.Type.String()+", not a directory"))
			}
		}
		return out, nil
	},
}
