package lint

import (
	"context"
	"path"
	"slices"
	"strings"

	"github.com/oslayer/oslayer/layer"
)

// runtimeOwned are /run entries a container runtime puts there during a
// build; they are not image content.
var runtimeOwned = []string{"/run/.containerenv", "/run/secrets"}

// runtimeFiles are files podman and buildah bind-mount under /run for a
// RUN step (DNS resolution), leaving their parent directories behind in
// the image (bootc issue 2050). They, and parents holding nothing else,
// are not reported.
var runtimeFiles = []string{"/run/systemd/resolve/stub-resolv.conf"}

var nonemptyRunTmp = &Rule{
	ID: "nonempty-run-tmp", Level: Warning, Source: "bootc",
	Description: "/run and /tmp must be empty",
	Help: "Both are tmpfs on the booted system: whatever the image ships there is hidden, and only wastes space. Clean them in the last RUN step (oslayer finalize does). " +
		"Every path is listed; mount points are skipped, and so are /run/systemd/resolve/stub-resolv.conf and its otherwise empty parents, which podman leaves behind for DNS (as bootc does).",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		var found []string
		for _, dir := range []string{"/run", "/tmp"} {
			t.walkBelow(dir, func(p string, n *layer.Node) {
				if n.MountPoint || (t.Running && slices.ContainsFunc(runtimeOwned, func(o string) bool { return under(p, o) })) {
					return
				}
				found = append(found, p)
			})
		}
		var out []Finding
		for _, p := range pruneRuntimeFiles(found) {
			out = append(out, finding(p, t.Owners.Of(p, false), "content in "+strings.Join(strings.SplitN(p, "/", 3)[:2], "/")+" is hidden at runtime"))
		}
		return out, nil
	},
}

// pruneRuntimeFiles removes runtimeFiles from paths, and each of their
// parents below /run that has nothing else below it in paths.
func pruneRuntimeFiles(paths []string) []string {
	for _, f := range runtimeFiles {
		paths = slices.DeleteFunc(paths, func(p string) bool { return p == f })
		for dir := path.Dir(f); under(dir, "/run") && dir != "/run"; dir = path.Dir(dir) {
			if slices.ContainsFunc(paths, func(p string) bool { return strings.HasPrefix(p, dir+"/") }) {
				break
			}
			paths = slices.DeleteFunc(paths, func(p string) bool { return p == dir })
		}
	}
	return paths
}
