package diff

import (
	"path"
	"strings"

	"github.com/oslayer/oslayer/layer"
)

// CollapseAfter is how many changes a listing shows before summing them
// up: paths below a directory added or removed whole, and changes of one
// kind to the files of one directory.
const CollapseAfter = 5

// sampleNames is how many names of the changes it sums up a Line keeps.
const sampleNames = 10

// Line is one line of a change listing: a change, or changes summed up.
// It is two pointers, so a listing of a million changes stays small.
type Line struct {
	// Change is the change shown, nil on a line that sums up others.
	Change *Change
	// Sum is what the line sums up, nil on a line that shows a change.
	Sum *Sum
}

// Sum is changes of one kind summed up on one line of a listing.
type Sum struct {
	Kind Kind
	// Dir is the directory the changes are in or (Below) below: a
	// directory added or removed whole, which has its own line just
	// before.
	Dir   string
	Below bool
	// Count is how many changes the line sums up; SizeDelta sums theirs.
	Count     int
	SizeDelta int64
	// Names are the first few names of the changes in Dir (not Below).
	Names []string
	// Regular says whether a change summed up is of a regular file.
	Regular bool
}

// Lines lays out changes, in tree order, as a listing. Unless all, the
// paths below a directory added or removed whole with more than
// CollapseAfter of them become one line after the directory's own, and
// more than CollapseAfter changes of one kind to the non-directories of one
// directory become one line where the first of them was.
func Lines(changes []*Change, all bool) []Line {
	var out []Line
	if all {
		for _, c := range changes {
			out = append(out, Line{Change: c})
		}
		return out
	}
	// Directories added or removed whole swallow what is below them.
	type tree struct{ start, below int }
	var trees []tree
	inTree := make([]bool, len(changes))
	for i := 0; i < len(changes); i++ {
		c := changes[i]
		if c.Type != layer.TypeDir || (c.Kind != Added && c.Kind != Removed) {
			continue
		}
		below := 0
		for j := i + 1; j < len(changes) && changes[j].Kind == c.Kind && strings.HasPrefix(changes[j].Path, c.Path+"/"); j++ {
			below++
		}
		if below > CollapseAfter {
			trees = append(trees, tree{i, below})
			for j := i + 1; j <= i+below; j++ {
				inTree[j] = true
			}
			i += below
		}
	}
	// Count the changes of each kind to the files of each directory.
	type bucket struct {
		dir  string
		kind Kind
	}
	keyOf := func(c *Change) (bucket, bool) {
		if c.Type == layer.TypeDir {
			return bucket{}, false
		}
		return bucket{path.Dir(c.Path), c.Kind}, true
	}
	count := map[bucket]int{}
	for i, c := range changes {
		if k, ok := keyOf(c); ok && !inTree[i] {
			count[k]++
		}
	}
	sums := map[bucket]*Sum{}
	for i := 0; i < len(changes); i++ {
		c := changes[i]
		if len(trees) > 0 && trees[0].start == i {
			t := trees[0]
			trees = trees[1:]
			sum := &Sum{Kind: c.Kind, Dir: c.Path, Below: true, Count: t.below}
			for _, d := range changes[i+1 : i+1+t.below] {
				sum.SizeDelta += d.SizeDelta
				sum.Regular = sum.Regular || d.Type == layer.TypeRegular
			}
			out = append(out, Line{Change: c}, Line{Sum: sum})
			i += t.below
			continue
		}
		k, ok := keyOf(c)
		if !ok || count[k] <= CollapseAfter {
			out = append(out, Line{Change: c})
			continue
		}
		sum := sums[k]
		if sum == nil {
			sum = &Sum{Kind: c.Kind, Dir: k.dir}
			sums[k] = sum
			out = append(out, Line{Sum: sum})
		}
		sum.Count++
		sum.SizeDelta += c.SizeDelta
		sum.Regular = sum.Regular || c.Type == layer.TypeRegular
		if len(sum.Names) < sampleNames {
			sum.Names = append(sum.Names, path.Base(c.Path))
		}
	}
	return out
}
