package diff

import (
	"fmt"
	"slices"
	"strings"

	"github.com/oslayer/oslayer/internal/pathglob"
)

// Filter keeps the file changes at some paths, of some kinds.
type Filter struct {
	paths []*pathglob.Glob
	kinds []Kind
}

// NewFilter returns a filter keeping the changes whose path matches one of
// the patterns (or any path, without patterns) and whose kind is one of
// kinds (or any kind, without kinds). A pattern is absolute or starts with
// "**": path.Match wildcards within a component (*, ?, [...], [!...]),
// "**" across components, and a pattern matching a directory matches
// everything below it. A malformed pattern is a *PatternError.
func NewFilter(patterns []string, kinds []Kind) (*Filter, error) {
	f := &Filter{}
	for _, p := range patterns {
		g, err := pathglob.Compile(p)
		if err != nil {
			return nil, &PatternError{Pattern: p, Err: err}
		}
		f.paths = append(f.paths, g)
	}
	for _, k := range kinds {
		if _, ok := kindNames[k]; !ok {
			return nil, fmt.Errorf("filter: %v is not a kind of change", k)
		}
		if !slices.Contains(f.kinds, k) {
			f.kinds = append(f.kinds, k)
		}
	}
	slices.Sort(f.kinds)
	return f, nil
}

// PatternError is a path pattern NewFilter cannot compile.
type PatternError struct {
	Pattern string
	Err     error
}

func (e *PatternError) Error() string { return fmt.Sprintf("path pattern %q: %v", e.Pattern, e.Err) }

func (e *PatternError) Unwrap() error { return e.Err }

// ParseKind reads a kind of change as the JSON and text output spell it.
func ParseKind(s string) (Kind, error) {
	var k Kind
	if err := k.UnmarshalText([]byte(s)); err != nil {
		names := make([]string, len(Kinds))
		for i, k := range Kinds {
			names[i] = k.String()
		}
		return 0, fmt.Errorf("%w: want one of %s", err, strings.Join(names, ", "))
	}
	return k, nil
}

// Keeps reports whether the filter keeps a change.
func (f *Filter) Keeps(c *Change) bool {
	if len(f.kinds) > 0 && !slices.Contains(f.kinds, c.Kind) {
		return false
	}
	if len(f.paths) == 0 {
		return true
	}
	for _, g := range f.paths {
		if g.Match(c.Path) {
			return true
		}
	}
	return false
}

// Apply returns the changes the filter keeps, in their order, reusing
// the slice's memory, and what it did.
func (f *Filter) Apply(changes []Change) ([]Change, *Filtered) {
	report := &Filtered{Unfiltered: len(changes), Kinds: slices.Clone(f.kinds)}
	for _, g := range f.paths {
		report.Paths = append(report.Paths, g.String())
	}
	kept := changes[:0]
	for i := range changes {
		if f.Keeps(&changes[i]) {
			kept = append(kept, changes[i])
		}
	}
	clear(changes[len(kept):]) // let the nodes of dropped changes go
	return kept, report
}

// Filtered says how a result's file changes were filtered.
type Filtered struct {
	// Paths are the path patterns, Kinds the kinds kept (empty: any).
	Paths []string `json:"paths,omitempty"`
	Kinds []Kind   `json:"kinds,omitempty"`
	// Unfiltered counts the changes before filtering.
	Unfiltered int `json:"unfiltered_changes"`
}

// String says what was kept, for people: "paths /etc/**, kinds added".
func (f *Filtered) String() string {
	var parts []string
	if len(f.Paths) > 0 {
		parts = append(parts, "paths "+strings.Join(f.Paths, " "))
	}
	if len(f.Kinds) > 0 {
		names := make([]string, len(f.Kinds))
		for i, k := range f.Kinds {
			names[i] = k.String()
		}
		parts = append(parts, "kinds "+strings.Join(names, " "))
	}
	return strings.Join(parts, ", ")
}
