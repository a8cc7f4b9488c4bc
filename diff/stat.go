package diff

import (
	"cmp"
	"slices"

	"github.com/oslayer/oslayer/layer"
)

// Stat counts changes per area and per owning package, like git diff
// --stat: each list is sorted by bytes changed (NewBytes + OldBytes), most
// first.
type Stat struct {
	// Areas has a row per area of Areas with changes.
	Areas []StatRow `json:"areas"`
	// Packages has a row per owner (Change.Package) with changes, "" for
	// paths no package owns.
	Packages []StatRow `json:"packages"`
	Total    StatRow   `json:"total"`
}

// StatRow counts the changes of one area or package.
type StatRow struct {
	// Name is the area ("/usr", "other", "total") or the package.
	Name       string `json:"name"`
	Changes    int    `json:"changes"`
	Added      int    `json:"added"`
	Modified   int    `json:"modified"`
	Metadata   int    `json:"metadata"`
	TypeChange int    `json:"typechange"`
	Removed    int    `json:"removed"`
	// NewBytes is the content the changes write: the size in the derived
	// image of the regular files added, modified or changed in type.
	// OldBytes is the content they replace or remove: the size in the base
	// of the files modified, changed in type or removed. A modified file
	// counts on both sides, as git counts a changed line as one deletion
	// and one insertion; metadata changes count no bytes. The names of a
	// hardlinked file count its bytes once.
	NewBytes int64 `json:"new_bytes"`
	OldBytes int64 `json:"old_bytes"`
	// SizeDelta is the net change in content bytes.
	SizeDelta int64 `json:"size_delta"`
}

// Count returns the number of changes of a kind.
func (r *StatRow) Count(k Kind) int {
	switch k {
	case Added:
		return r.Added
	case Modified:
		return r.Modified
	case Metadata:
		return r.Metadata
	case TypeChange:
		return r.TypeChange
	case Removed:
		return r.Removed
	}
	return 0
}

// Bytes is the content bytes the row's changes write and replace.
func (r *StatRow) Bytes() int64 { return r.NewBytes + r.OldBytes }

func (r *StatRow) add(k Kind, newBytes, oldBytes int64) {
	r.Changes++
	switch k {
	case Added:
		r.Added++
	case Modified:
		r.Modified++
	case Metadata:
		r.Metadata++
	case TypeChange:
		r.TypeChange++
	case Removed:
		r.Removed++
	}
	r.NewBytes += newBytes
	r.OldBytes += oldBytes
	r.SizeDelta += newBytes - oldBytes
}

// StatOf counts changes per area and per owning package.
func StatOf(changes []Change) *Stat {
	s := &Stat{Total: StatRow{Name: "total"}, Areas: []StatRow{}, Packages: []StatRow{}}
	areas := map[string]*StatRow{}
	pkgs := map[string]*StatRow{}
	row := func(m map[string]*StatRow, name string) *StatRow {
		r := m[name]
		if r == nil {
			r = &StatRow{Name: name}
			m[name] = r
		}
		return r
	}
	var counted contentBytes
	for i := range changes {
		c := &changes[i]
		var nb, ob int64
		switch {
		case c.Kind == Metadata:
		case c.Old == nil && c.New == nil: // found from package records
			nb, ob = max(c.SizeDelta, 0), max(-c.SizeDelta, 0)
		default:
			if regular(c.New) {
				nb = counted.size(sideDerived, c.New)
			}
			if regular(c.Old) {
				ob = counted.size(sideBase, c.Old)
			}
		}
		row(areas, AreaOf(c.Path)).add(c.Kind, nb, ob)
		row(pkgs, c.Package).add(c.Kind, nb, ob)
		s.Total.add(c.Kind, nb, ob)
	}
	for _, r := range areas {
		s.Areas = append(s.Areas, *r)
	}
	for _, r := range pkgs {
		s.Packages = append(s.Packages, *r)
	}
	areaOrder := func(name string) int { return slices.Index(Areas, name) }
	slices.SortFunc(s.Areas, func(a, b StatRow) int {
		return cmp.Or(cmp.Compare(b.Bytes(), a.Bytes()), cmp.Compare(b.Changes, a.Changes), cmp.Compare(areaOrder(a.Name), areaOrder(b.Name)))
	})
	slices.SortFunc(s.Packages, func(a, b StatRow) int {
		return cmp.Or(cmp.Compare(b.Bytes(), a.Bytes()), cmp.Compare(b.Changes, a.Changes), cmp.Compare(a.Name, b.Name))
	})
	return s
}

func regular(n *layer.Node) bool { return n != nil && n.Type == layer.TypeRegular }
