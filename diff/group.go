package diff

import (
	"cmp"
	"slices"
	"strings"
)

// PackageGroup is the changes to the paths one package owns.
type PackageGroup struct {
	// Package is the owner as Change.Package names it: a package name,
	// several joined by ",", or "" for the paths no package owns.
	Package string
	// Versions are what the package diff says of the package (one entry
	// per architecture or version installed side by side); none when it
	// did not change.
	Versions []PackageChange
	// Changes are the group's changes, in tree order.
	Changes []*Change
	// Counts counts the changes per kind; its SizeDelta sums theirs.
	Counts StatRow
}

// GroupByPackage groups changes by the package that owns them, packages
// in name order, then the paths no package owns. pkgs is the package diff.
func GroupByPackage(changes []Change, pkgs []PackageChange) []PackageGroup {
	versions := map[string][]PackageChange{}
	for _, p := range pkgs {
		versions[p.Name] = append(versions[p.Name], p)
	}
	index := map[string]int{}
	var groups []PackageGroup
	for i := range changes {
		c := &changes[i]
		j, ok := index[c.Package]
		if !ok {
			j = len(groups)
			index[c.Package] = j
			g := PackageGroup{Package: c.Package, Counts: StatRow{Name: c.Package}}
			if c.Package != "" {
				for _, name := range strings.Split(c.Package, ",") {
					g.Versions = append(g.Versions, versions[name]...)
				}
			}
			groups = append(groups, g)
		}
		g := &groups[j]
		g.Changes = append(g.Changes, c)
		g.Counts.add(c.Kind, max(c.SizeDelta, 0), max(-c.SizeDelta, 0))
	}
	slices.SortFunc(groups, func(a, b PackageGroup) int {
		return cmp.Or(cmp.Compare(unowned(a.Package), unowned(b.Package)), cmp.Compare(a.Package, b.Package))
	})
	return groups
}

// unowned sorts the paths no package owns last.
func unowned(pkg string) int {
	if pkg == "" {
		return 1
	}
	return 0
}
