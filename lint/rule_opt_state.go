package lint

import (
	"context"
	"fmt"
	"strings"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/layer"
)

// stateAreas are where software often keeps state next to its code.
var stateAreas = []string{"/opt", "/usr/local"}

var optState = &Rule{
	ID: "opt-state", Level: Warning, Source: "oslayer", Relative: true,
	Description: "content under /opt or /usr/local is read-only (or first-boot-only) on a booted system",
	Help: "On a booted bootc system /opt and /usr/local are part of the read-only image, unless prepare-root.conf enables a transient root ([root] transient = true); " +
		"where they are symlinks into /var (Fedora: /opt -> var/opt), what the build writes lands in /var and reaches a machine only at its first install. " +
		"Keep code there, move state to /var: make the application write under /var/lib/NAME (a symlink from /opt/NAME/data to /var/lib/NAME, created by a tmpfiles.d L line, works) and declare the directory in tmpfiles.d.",
	Applies: func(t *Target) (bool, string) {
		if readPrepareRoot(t.Tree.FS()).Transient {
			return false, "prepare-root.conf enables a transient root"
		}
		return true, ""
	},
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		var out []Finding
		for _, area := range stateAreas {
			real, viaVar := area, false
			if n := t.lookup(area); n != nil && n.Type == layer.TypeSymlink {
				target, err := t.Tree.Resolve(strings.TrimPrefix(area, "/"))
				if err != nil || target.Type != layer.TypeDir {
					continue
				}
				real = "/" + target.Path()
				viaVar = under(real, "/var")
			}
			for _, g := range t.stateGroups(real) {
				what := fmt.Sprintf("%d %s (%d bytes)", g.files, plural(g.files, "file", "files"), g.bytes)
				msg := what + " will be read-only on a booted system"
				if viaVar {
					msg = fmt.Sprintf("%s land in %s through the %s symlink: bootc installs /var content only at first boot", what, real, area)
				}
				out = append(out, finding(g.path, t.Owners.Of(g.path, true), msg))
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
