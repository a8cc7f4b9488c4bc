package lint

import (
	"context"
	"strings"

	"github.com/oslayer/oslayer/layer"
)

// varLeftover is a part of /var where a build leaves what no machine
// needs: the fix is to delete it, not to ship it.
type varLeftover struct {
	dir  string // absolute; what is below it is a leftover
	what string
	fix  string
}

// varLeftovers are caches, logs and repository metadata that package
// managers and builds leave in /var.
var varLeftovers = []varLeftover{
	{"/var/cache", "a cache left by the build", "delete it: oslayer finalize empties /var/cache"},
	{"/var/log", "a log of the build", "delete it in the build (rm -rf /var/log/...)"},
	{"/var/lib/apt/lists", "apt's repository lists, downloaded again by apt-get update", "delete them in the build: rm -rf /var/lib/apt/lists/*"},
	{"/var/lib/dnf/repos", "dnf's repository metadata, downloaded again when needed", "delete it in the build: rm -rf /var/lib/dnf/repos/*"},
}

// leftoverAt returns the leftover area p is below, if any.
func leftoverAt(p string) (varLeftover, bool) {
	for _, l := range varLeftovers {
		if strings.HasPrefix(p, l.dir+"/") {
			return l, true
		}
	}
	return varLeftover{}, false
}

var varTmpfiles = &Rule{
	ID: "var-tmpfiles", Level: Warning, Source: "bootc",
	Description: "content in /var needs systemd tmpfiles.d entries",
	Help: "bootc unpacks an image's /var only at the first install and never updates it: content added to /var by a later image never reaches existing machines. " +
		"Keep /var empty in the image and create directories and links at boot with tmpfiles.d (the finding gives the line to add to /usr/lib/tmpfiles.d/NAME.conf, owner named from the image's passwd and group); " +
		"ship files that must exist on a machine under /usr/share/factory/var and copy them with a C line (oslayer finalize --fix-var does that). " +
		"Caches, build logs and repository metadata (/var/cache, /var/log, /var/lib/apt/lists, /var/lib/dnf/repos) are not shipped but deleted: oslayer finalize empties /var/cache. " +
		"Declared paths are matched through the image's symlinks, as bootc does (d /root/.ssh declares /var/roothome/.ssh where /root links to var/roothome). " +
		"tmpfiles.d is read as systemd-tmpfiles reads it, where bootc merges /etc and /usr/lib line by line: a file in /etc/tmpfiles.d replaces the /usr/lib file of the same name. " +
		"Like bootc, which runs this check only on the live root (RUN bootc container lint), oslayer skips it for lint --rootfs DIR and finalize --rootfs DIR; it runs inside a build (/) and on images.",
	Applies: func(t *Target) (bool, string) {
		if t.Image == nil && !t.Running {
			return false, "bootc checks /var only on the live root: run oslayer finalize or oslayer lint inside the build, or lint the image"
		}
		return true, ""
	},
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		fsys := t.Tree.FS()
		entries := readTmpfiles(fsys)
		advice := NewVarAdvisor(fsys)
		var out []Finding
		t.walkBelow("/var", func(p string, n *layer.Node) {
			if n.MountPoint {
				return
			}
			if _, ok := entries[p]; ok {
				return
			}
			pkg := ""
			if _, leftover := leftoverAt(p); leftover || n.Type != layer.TypeDir && n.Type != layer.TypeSymlink {
				pkg = t.Owners.Of(p, false)
			}
			out = append(out, finding(p, pkg, advice.Advice(p, n)))
		})
		return out, nil
	},
}
