package lint

import (
	"context"
	"fmt"
	"slices"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/layer"
)

// varUpdateIgnored are /var areas whose changes between releases are no
// loss: what finalize empties, the machine's own logs, and package-manager
// state (which var-pkgdb judges).
var varUpdateIgnored = []string{"/var/cache", "/var/tmp", "/var/log", "/var/run"}

var varUpdateLost = &Rule{
	ID: "var-update-lost", Level: Fatal, Source: "oslayer", Relative: true, Upgrade: true,
	Description: "content the new release adds or changes under /var never reaches upgraded machines",
	Help: "bootc and ostree install an image's /var only when a machine is first installed; an upgrade never touches it, so a file the new release adds or changes under /var reaches new installs only. " +
		"Create what must exist at boot with tmpfiles.d (a d line for a directory, L for a symlink, f or w for a small file), or ship the content under /usr/share/factory/var/... and copy it with a C line (oslayer finalize --fix-var does that); " +
		"content a machine must get changed on upgrade belongs under /usr (the application reads it there, or a C+ line or a unit copies it over). " +
		"Changes under /var/cache, /var/tmp, /var/log and package-manager state are not reported.",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		declared := readTmpfiles(t.Tree.FS())
		var out []Finding
		var added string // the added directory whose content is being summed up
		count := 0
		flush := func() {
			if added != "" {
				out = append(out, finding(added, t.Owners.Of(added, true), fmt.Sprintf("the new release adds this directory with %d %s below it: upgraded machines never get them", count, plural(count, "path", "paths"))))
			}
			added, count = "", 0
		}
		for _, c := range t.Previous.Changes {
			if !under(c.Path, "/var") || c.Kind == diff.Removed || ignoredVar(c.Path) {
				continue
			}
			if added != "" && under(c.Path, added) {
				count++
				continue
			}
			flush()
			ent, isDeclared := declared[c.Path]
			switch {
			case c.Kind == diff.Added && isDeclared:
				continue // tmpfiles.d creates it on machines that lack it
			case c.Kind == diff.Added && c.Type == layer.TypeDir:
				added = c.Path
			case c.Kind == diff.Added:
				out = append(out, finding(c.Path, c.Package, fmt.Sprintf("the new release adds this %s: upgraded machines never get it", c.Type)))
			default:
				msg := fmt.Sprintf("the new release changes this %s (%s): upgraded machines keep the previous release's", c.Type, whatChanged(c))
				if isDeclared {
					msg += fmt.Sprintf(" (%s declares it with %s, which does not replace what exists)", ent.File, ent.Type)
				}
				out = append(out, finding(c.Path, c.Package, msg))
			}
		}
		flush()
		return out, nil
	},
}

// ignoredVar reports whether a /var path's changes are no loss.
func ignoredVar(p string) bool {
	if slices.ContainsFunc(varUpdateIgnored, func(a string) bool { return under(p, a) }) {
		return true
	}
	for a := range varPackageState {
		if under(p, a) {
			return true
		}
	}
	return false
}
