package lint

import (
	"path"

	"github.com/oslayer/oslayer/internal/enum"
	"github.com/oslayer/oslayer/layer"
)

// Baseline says whether the derived layers caused a finding.
type Baseline uint8

// Baselines: a finding is New when the derived layers added or changed its
// path (or something below it), or when the rule's verdict on the base
// differs; Inherited when the base alone gets the same finding. Without a
// base, findings have no baseline.
const (
	New Baseline = iota + 1
	Inherited
)

var baselineNames = enum.Names[Baseline]{New: "new", Inherited: "inherited"}

func (b Baseline) String() string { return baselineNames.Name(b, "baseline") }

// MarshalText spells the baseline for JSON.
func (b Baseline) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (b *Baseline) UnmarshalText(s []byte) error { return baselineNames.Parse(s, "baseline", b) }

// baseTarget is the target's base, to be linted the same way: its tree,
// packages, image (for its labels) and mode, no base of its own.
func (t *Target) baseTarget() *Target {
	b := t.Base
	return &Target{
		Name: b.Name, Tree: b.Tree, Image: b.Image, Running: t.Running,
		Packages: b.Packages, Owners: layer.NewOwners(b.Tree, b.Packages), Options: t.Options,
	}
}

// classify sets the baseline of each finding of the target. A finding of
// a relative rule is new (those judge only what the derived layers
// changed). One the base has word for word is inherited, even where the
// derived layers rewrote the file (a package database, /etc/passwd). Else
// it is new when its path, something below it or a directory above it was
// changed, or when the base has no finding of the same rule, level and
// path (for a finding without a path, the same message); inherited
// otherwise (the base's finding says it with other numbers).
func classify(found []Finding, relative map[string]bool, changed changes, base []Finding) {
	type key struct {
		rule  string
		level Level
		path  string
		msg   string
	}
	exact, loose := map[key]bool{}, map[key]bool{}
	for _, f := range base {
		exact[key{f.Rule, f.Level, f.Path, f.Message}] = true
		if f.Path != "" {
			loose[key{f.Rule, f.Level, f.Path, ""}] = true
		}
	}
	for i := range found {
		f := &found[i]
		switch {
		case relative[f.Rule]:
			f.Baseline = New
		case exact[key{f.Rule, f.Level, f.Path, f.Message}]:
			f.Baseline = Inherited
		case f.Path == "" || changed.touched(f.Path) || !loose[key{f.Rule, f.Level, f.Path, ""}]:
			f.Baseline = New
		default:
			f.Baseline = Inherited
		}
	}
}

// changes are the paths the derived layers changed (exact), and the
// directories that hold a change somewhere below them (below).
type changes struct {
	exact, below map[string]bool
}

func changesOf(b *Base) changes {
	c := changes{exact: map[string]bool{}, below: map[string]bool{}}
	for _, ch := range b.Changes {
		c.exact[ch.Path] = true
		for p := path.Dir(ch.Path); p != "/" && p != "." && !c.below[p]; p = path.Dir(p) {
			c.below[p] = true
		}
	}
	return c
}

// touched reports whether the derived layers changed p, something below
// it, or a directory above it (a directory added or replaced whole).
func (c changes) touched(p string) bool {
	if c.below[p] {
		return true
	}
	for ; p != "/" && p != "."; p = path.Dir(p) {
		if c.exact[p] {
			return true
		}
	}
	return false
}
