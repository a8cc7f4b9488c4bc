package lint

import (
	"context"

	"github.com/oslayer/oslayer/layer"
)

var varLog = &Rule{
	ID: "var-log", Level: Warning, Source: "bootc",
	Description: "no non-empty log files under /var/log",
	Help:        "Log files are per-machine state, make images unreproducible and may leak build details; /var content also only reaches a machine at its first install. Truncate or delete them in the build (oslayer finalize cleans /var/cache and /var/tmp, not logs: rm -f /var/log/dnf*.log /var/log/apt/*.log, or truncate -s0).",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		var out []Finding
		t.walkBelow("/var/log", func(p string, n *layer.Node) {
			if n.Type == layer.TypeRegular && n.Size > 0 {
				out = append(out, finding(p, t.Owners.Of(p, false), "non-empty log file ("+itoa(int(n.Size))+" bytes)"))
			}
		})
		return out, nil
	},
}
