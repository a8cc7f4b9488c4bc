package lint

import (
	"context"
	"strings"

	"github.com/oslayer/oslayer/layer"
)

var kernel = &Rule{
	ID: "kernel", Level: Fatal, Source: "bootc",
	Description: "at most one kernel: one /usr/lib/modules/<kver> with a vmlinuz",
	Help:        "bootc deploys exactly one kernel per image. Remove the old kernel when installing a new one (dnf: install the new kernel with --setopt=installonly_limit=1, or remove the old kernel-core; apt: purge the old linux-image package).",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		kvers := layer.Kernels(t.Tree)
		if len(kvers) <= 1 {
			return nil, nil
		}
		var out []Finding
		for _, k := range kvers {
			p := "/usr/lib/modules/" + k
			out = append(out, finding(p, t.Owners.Of(p+"/vmlinuz", false), "one of "+itoa(len(kvers))+" kernels: "+strings.Join(kvers, ", ")))
		}
		return out, nil
	},
}
