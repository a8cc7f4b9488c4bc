package lint

import (
	"context"
	"fmt"
	"strings"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/layer"
)

// stateAreas are where software often keeps state next to its code, each
// with the directory of the state overlay rpm-ostree enables for it
// (opt-usrlocal: stateoverlay, which makes /opt a symlink to usr/lib/opt).
var stateAreas = []struct{ path, overlayDir string }{
	{"/opt", "/usr/lib/opt"},
	{"/usr/local", "/usr/local"},
}

var optState = &Rule{
	ID: "opt-state", Level: Warning, Source: "oslayer", Relative: true,
	Description: "content under /opt or /usr/local is read-only, lost at reboot or first-boot-only on a booted system",
	Help: "On a booted bootc system /opt and /usr/local are part of the read-only image; with a transient root (prepare-root.conf: [root] transient = true) they are writable, " +
		"but what is written there, as everywhere outside /etc and /var, is lost at reboot. Where they are symlinks into /var (Fedora: /opt -> var/opt), what the build writes lands in /var and reaches a machine only at its first install. " +
		"For software that writes next to its code, enable ostree's state overlay for the directory (the unit each finding names; " +
		"RUN systemctl enable ostree-state-overlay@usr-local.service, or for /opt as a symlink to usr/lib/opt, ostree-state-overlay@usr-lib-opt.service): " +
		"what a machine writes there persists, and files a newer image changes win on upgrade. " +
		"Otherwise keep code there and move state to /var: make the application write under /var/lib/NAME (a symlink from /opt/NAME/data to /var/lib/NAME, created by a tmpfiles.d L line, works) and declare the directory in tmpfiles.d.",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		transient := readPrepareRoot(t.Tree.FS()).Transient
		var out []Finding
		for _, area := range stateAreas {
			if t.lookup(area.path) == nil {
				continue
			}
			real := t.realPath(area.path)
			groups := t.stateGroups(real)
			if len(groups) == 0 {
				continue
			}
			overlay := stateOverlayUnit(area.overlayDir)
			var fix string
			switch {
			case under(real, "/var") && area.overlayDir == area.path:
				fix = fmt.Sprintf("to update it with the image, make %s a directory and enable %s for what software writes there", area.path, overlay)
			case under(real, "/var"):
				fix = fmt.Sprintf("to update it with the image, make %s a symlink to %s and enable %s for what software writes there", area.path, strings.TrimPrefix(area.overlayDir, "/"), overlay)
			default:
				fix = "if the software writes there, enable " + stateOverlayUnit(real)
			}
			if !under(real, area.overlayDir) && t.unitEnabled(overlay) {
				fix += fmt.Sprintf(" (%s is enabled, but %s leads to %s, which it does not cover)", overlay, area.path, real)
			}
			for _, g := range groups {
				if t.stateOverlay(g.path) {
					continue
				}
				what := fmt.Sprintf("%d %s (%d bytes)", g.files, plural(g.files, "file", "files"), g.bytes)
				var msg string
				switch {
				case under(real, "/var"):
					msg = fmt.Sprintf("%s land in %s through the %s symlink: bootc installs /var content only at first boot", what, real, area.path)
				case transient:
					msg = what + ": writable with the transient root, but what is written there is lost at reboot"
				default:
					msg = what + " will be read-only on a booted system"
				}
				out = append(out, finding(g.path, t.Owners.Of(g.path, true), msg+"; "+fix))
			}
		}
		return out, nil
	},
}

type stateGroup struct {
	path         string
	files, bytes int
}

// stateGroups sums up the content below dir by its top-level entries:
// content the derived layers added when there is a base, all of it else.
func (t *Target) stateGroups(dir string) []stateGroup {
	var groups []stateGroup
	idx := map[string]int{}
	add := func(p string, size int64) {
		rest := strings.TrimPrefix(p, dir+"/")
		top, _, _ := strings.Cut(rest, "/")
		key := dir + "/" + top
		i, ok := idx[key]
		if !ok {
			i = len(groups)
			idx[key] = i
			groups = append(groups, stateGroup{path: key})
		}
		groups[i].files++
		groups[i].bytes += int(size)
	}
	if t.Base != nil {
		for _, c := range t.Base.Changes {
			if c.Kind == diff.Added && strings.HasPrefix(c.Path, dir+"/") && c.Type != layer.TypeDir {
				add(c.Path, c.SizeDelta)
			}
		}
		return groups
	}
	t.walkBelow(dir, func(p string, n *layer.Node) {
		if n.Type != layer.TypeDir {
			add(p, n.Size)
		}
	})
	return groups
}
