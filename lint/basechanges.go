package lint

import (
	"context"
	"fmt"
	"strings"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/layer/pkgdb"
)

// baseChanges returns what the target changes in base content: compared
// with its base image when there is one, else with its package records.
func (t *Target) baseChanges(ctx context.Context) ([]diff.Change, error) {
	if t.Base != nil {
		return t.Base.Changes, nil
	}
	return t.Verified(ctx)
}

// under reports whether an absolute path is area or below it.
func under(p, area string) bool { return p == area || strings.HasPrefix(p, area+"/") }

// whatChanged says what a change did, in the words of usr-override:
// content, mode, owner, xattrs, removed, type.
func whatChanged(c diff.Change) string {
	if c.Kind == diff.Removed {
		return "removed"
	}
	if len(c.Details) == 0 {
		return c.Kind.String()
	}
	return strings.Join(c.Details, ", ")
}

// packageNote says what happened to the package owning a changed path:
// upgraded, downgraded or removed by the derived layers (with a base), or
// which installed version the file no longer matches (without).
func (t *Target) packageNote(c diff.Change) string {
	if c.Package == "" {
		return ""
	}
	name, _, _ := strings.Cut(c.Package, ",")
	if t.Base != nil {
		for _, pc := range t.Base.PackageChanges {
			if pc.Name != name {
				continue
			}
			switch pc.Kind {
			case diff.PackageUpgraded, diff.PackageDowngraded:
				return fmt.Sprintf("; base package %s was %s %s -> %s by the derived layers", name, pc.Kind, pc.From, pc.To)
			case diff.PackageRemoved:
				return fmt.Sprintf("; base package %s %s was removed by the derived layers", name, pc.From)
			}
		}
		return fmt.Sprintf("; owned by base package %s %s", name, version(t.Base.Packages, name))
	}
	return fmt.Sprintf("; differs from what package %s %s installed", name, version(t.Packages, name))
}

func version(dbs []*pkgdb.DB, name string) string {
	for _, db := range dbs {
		for i := range db.Packages {
			if db.Packages[i].Name == name {
				return db.Packages[i].EVR()
			}
		}
	}
	return ""
}
