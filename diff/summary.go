package diff

import "strings"

// Areas are the parts of the filesystem summaries count separately.
var Areas = []string{"/usr", "/etc", "/var", "/opt", "other"}

// AreaSummary counts the changes in one area.
type AreaSummary struct {
	Area       string `json:"area"`
	Added      int    `json:"added"`
	Modified   int    `json:"modified"`
	Metadata   int    `json:"metadata"`
	TypeChange int    `json:"typechange"`
	Removed    int    `json:"removed"`
	// BytesAdded is the content size of added files; BytesRemoved of
	// removed ones; SizeDelta the net change over every change. The names
	// of a hardlinked file count its bytes once.
	BytesAdded   int64 `json:"bytes_added"`
	BytesRemoved int64 `json:"bytes_removed"`
	SizeDelta    int64 `json:"size_delta"`
}

// Count returns the number of changes of a kind.
func (a *AreaSummary) Count(k Kind) int {
	switch k {
	case Added:
		return a.Added
	case Modified:
		return a.Modified
	case Metadata:
		return a.Metadata
	case TypeChange:
		return a.TypeChange
	case Removed:
		return a.Removed
	}
	return 0
}

// Changes returns the number of changes of every kind.
func (a *AreaSummary) Changes() int {
	return a.Added + a.Modified + a.Metadata + a.TypeChange + a.Removed
}

// add counts a change whose content bytes change its area's size by delta.
func (a *AreaSummary) add(c *Change, delta int64) {
	switch c.Kind {
	case Added:
		a.Added++
		a.BytesAdded += delta
	case Modified:
		a.Modified++
	case Metadata:
		a.Metadata++
	case TypeChange:
		a.TypeChange++
	case Removed:
		a.Removed++
		a.BytesRemoved -= delta
	}
	a.SizeDelta += delta
}

// Summary sums up a diff.
type Summary struct {
	// Areas has one entry per area of Areas, in that order.
	Areas []AreaSummary `json:"areas"`
	Total AreaSummary   `json:"total"`
	// BaseLayers and DerivedLayers count the layers of each side that the
	// derived image shares with its base and adds to it (comparison
	// "layers"); DerivedBytes is the blob size of the added layers.
	BaseLayers    int   `json:"base_layers"`
	DerivedLayers int   `json:"derived_layers"`
	DerivedBytes  int64 `json:"derived_bytes"`
}

// AreaOf returns the area of an absolute path.
func AreaOf(p string) string {
	for _, a := range Areas[:len(Areas)-1] {
		if p == a || strings.HasPrefix(p, a+"/") {
			return a
		}
	}
	return "other"
}

// Summarize counts changes per area. A hardlinked file's bytes count once
// on each side, at the first of its names that changed.
func Summarize(changes []Change) Summary {
	s := Summary{Total: AreaSummary{Area: "total"}}
	idx := map[string]int{}
	for i, a := range Areas {
		s.Areas = append(s.Areas, AreaSummary{Area: a})
		idx[a] = i
	}
	var counted contentBytes
	for i := range changes {
		c := &changes[i]
		delta := c.SizeDelta // a change found from package records has no nodes
		if c.Old != nil || c.New != nil {
			delta = counted.size(sideDerived, c.New) - counted.size(sideBase, c.Old)
		}
		s.Areas[idx[AreaOf(c.Path)]].add(c, delta)
		s.Total.add(c, delta)
	}
	return s
}
