package diff

import (
	"cmp"
	"slices"

	"github.com/oslayer/oslayer/internal/enum"
	"github.com/oslayer/oslayer/layer/pkgdb"
)

// PackageChange is a package added, removed, upgraded or downgraded.
type PackageChange struct {
	Name    string      `json:"name"`
	Arch    string      `json:"arch,omitempty"`
	Kind    PackageKind `json:"kind"`
	From    string      `json:"from,omitempty"`
	To      string      `json:"to,omitempty"`
	Manager pkgdb.Kind  `json:"manager"`
	// Changelog are the changelog entries between From and To (see
	// AddChangelogs): nil unless asked for, empty when there are none.
	Changelog []ChangelogEntry `json:"changelog,omitzero"`
	// ChangelogOmitted counts the entries a limit left out of Changelog.
	ChangelogOmitted int `json:"changelog_omitted,omitempty"`
	// ChangelogMissing says why the image has no changelog to read.
	ChangelogMissing string `json:"changelog_missing,omitempty"`
}

// FullName is the name with the architecture, spelled as the manager
// spells it: "openssl.x86_64" for rpm, "libc6:amd64" for dpkg.
func (p PackageChange) FullName() string {
	switch {
	case p.Arch == "":
		return p.Name
	case p.Manager == pkgdb.KindDpkg:
		return p.Name + ":" + p.Arch
	}
	return p.Name + "." + p.Arch
}

// PackageKind is what happened to a package.
type PackageKind uint8

// Package change kinds, in the order summaries count them.
const (
	PackageAdded PackageKind = iota + 1
	PackageUpgraded
	PackageDowngraded
	PackageRemoved
)

var packageKindNames = enum.Names[PackageKind]{
	PackageAdded: "added", PackageUpgraded: "upgraded", PackageDowngraded: "downgraded", PackageRemoved: "removed",
}

func (k PackageKind) String() string { return packageKindNames.Name(k, "kind") }

// MarshalText spells the kind as String does, for JSON output.
func (k PackageKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (k *PackageKind) UnmarshalText(b []byte) error {
	return packageKindNames.Parse(b, "package change kind", k)
}

type pkgKey struct {
	kind       pkgdb.Kind
	name, arch string
}

// ComparePackages compares the installed packages of two images. A
// package is known by its manager, name and architecture; when several
// versions of it are installed side by side (kernels), versions present
// on one side only are reported as added or removed.
func ComparePackages(base, derived []*pkgdb.DB) []PackageChange {
	a, b := versions(base), versions(derived)
	keys := map[pkgKey]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	out := []PackageChange{}
	for k := range keys {
		va, vb := a[k], b[k]
		pc := PackageChange{Name: k.name, Arch: k.arch, Manager: k.kind}
		if len(va) == 1 && len(vb) == 1 {
			switch c := pkgdb.CompareVersions(k.kind, va[0], vb[0]); {
			case c < 0:
				pc.Kind, pc.From, pc.To = PackageUpgraded, va[0], vb[0]
				out = append(out, pc)
			case c > 0:
				pc.Kind, pc.From, pc.To = PackageDowngraded, va[0], vb[0]
				out = append(out, pc)
			}
			continue
		}
		for _, v := range va {
			if !slices.Contains(vb, v) {
				pc.Kind, pc.From, pc.To = PackageRemoved, v, ""
				out = append(out, pc)
			}
		}
		for _, v := range vb {
			if !slices.Contains(va, v) {
				pc.Kind, pc.From, pc.To = PackageAdded, "", v
				out = append(out, pc)
			}
		}
	}
	slices.SortFunc(out, func(x, y PackageChange) int {
		return cmp.Or(cmp.Compare(x.Name, y.Name), cmp.Compare(x.Arch, y.Arch),
			cmp.Compare(x.Manager, y.Manager), cmp.Compare(x.From, y.From), cmp.Compare(x.To, y.To))
	})
	return out
}

func versions(dbs []*pkgdb.DB) map[pkgKey][]string {
	out := map[pkgKey][]string{}
	for _, db := range dbs {
		for i := range db.Packages {
			p := &db.Packages[i]
			k := pkgKey{db.Kind, p.Name, p.Arch}
			if evr := p.EVR(); !slices.Contains(out[k], evr) {
				out[k] = append(out[k], evr)
			}
		}
	}
	return out
}
