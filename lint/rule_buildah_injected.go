package lint

import (
	"context"

	"github.com/oslayer/oslayer/layer"
)

var buildahInjected = &Rule{
	ID: "buildah-injected", Level: Warning, Source: "bootc",
	Description: "no empty /etc/hostname or /etc/resolv.conf left by the container builder",
	Help:        "buildah and podman bind-mount these files during RUN steps and can leave empty ones in the image, which then override what the booted host would generate. Remove them in the last RUN step (oslayer finalize does not, as they are bind mounts there) or with a later layer, or ship real content.",
	Applies: func(t *Target) (bool, string) {
		if t.Running {
			return false, "inside a build these files are the builder's bind mounts"
		}
		return true, ""
	},
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		var out []Finding
		for _, p := range []string{"/etc/hostname", "/etc/resolv.conf"} {
			if n := t.lookup(p); n != nil && n.Type == layer.TypeRegular && n.Size == 0 && !n.MountPoint {
				out = append(out, finding(p, "", p+" is an empty file, probably synthesized by the container build"))
			}
		}
		return out, nil
	},
}
