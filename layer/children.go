package layer

import (
	"maps"
	"slices"
	"strings"
)

// children are a directory node's entries, behind one pointer so that
// files pay 8 bytes for them. They are a slice sorted by name as long as
// the layers list a directory's entries in order, as tar writers do; a
// big directory whose entries come out of order (or lose some to
// whiteouts) is a map by name while the tree is built, turned back into a
// sorted slice once it is (see Tree.freeze). Either way lookups stay
// O(log n) or better, and a built tree lists children without sorting.
type children struct {
	byName map[string]*Node
	sorted []*Node
}

// smallDir is the size up to which a directory stays a sorted slice
// whatever order its entries come in: inserting into it is cheap.
const smallDir = 32

func search(nodes []*Node, name string) (int, bool) {
	return slices.BinarySearchFunc(nodes, name, func(n *Node, name string) int { return strings.Compare(n.Name, name) })
}

// Child returns the child called name, or nil.
func (n *Node) Child(name string) *Node {
	switch c := n.kids; {
	case c == nil:
		return nil
	case c.byName != nil:
		return c.byName[name]
	}
	if i, ok := search(n.kids.sorted, name); ok {
		return n.kids.sorted[i]
	}
	return nil
}

// Children returns the children sorted by name. The slice belongs to the
// tree: callers must not change it.
func (n *Node) Children() []*Node {
	switch c := n.kids; {
	case c == nil:
		return nil
	case c.byName == nil:
		return c.sorted
	}
	return slices.SortedFunc(maps.Values(n.kids.byName), func(a, b *Node) int { return strings.Compare(a.Name, b.Name) })
}

// NumChildren returns the number of children.
func (n *Node) NumChildren() int {
	if n.kids == nil {
		return 0
	}
	return len(n.kids.byName) + len(n.kids.sorted)
}

// all returns the children in no particular order, without sorting.
func (n *Node) all() []*Node {
	switch c := n.kids; {
	case c == nil:
		return nil
	case c.byName == nil:
		return c.sorted
	}
	return slices.Collect(maps.Values(n.kids.byName))
}

// addChild adds c, replacing a child of the same name.
func (n *Node) addChild(c *Node) {
	c.Parent = n
	k := n.kids
	switch {
	case k == nil:
		n.kids = &children{sorted: []*Node{c}}
		return
	case k.byName != nil:
		k.byName[c.Name] = c
		return
	}
	switch i, found := search(k.sorted, c.Name); {
	case found:
		k.sorted[i] = c
	case i == len(k.sorted):
		k.sorted = append(k.sorted, c)
	case len(k.sorted) < smallDir:
		k.sorted = slices.Insert(k.sorted, i, c)
	default:
		k.toMap()
		k.byName[c.Name] = c
	}
}

func (n *Node) removeChild(name string) {
	k := n.kids
	switch {
	case k == nil:
	case k.byName != nil:
		delete(k.byName, name)
	case len(k.sorted) < smallDir:
		if i, ok := search(k.sorted, name); ok {
			k.sorted = slices.Delete(k.sorted, i, i+1)
		}
	default:
		k.toMap()
		delete(k.byName, name)
	}
}

func (n *Node) clearChildren() { n.kids = nil }

func (k *children) toMap() {
	k.byName = make(map[string]*Node, len(k.sorted)+1)
	for _, c := range k.sorted {
		k.byName[c.Name] = c
	}
	k.sorted = nil
}

// freeze turns every directory's children into a sorted slice of just
// their size: the tree is built.
func (t *Tree) freeze() {
	var visit func(n *Node)
	visit = func(n *Node) {
		k := n.kids
		if k == nil {
			return
		}
		switch {
		case k.byName != nil:
			k.sorted, k.byName = n.Children(), nil
		case cap(k.sorted) > len(k.sorted)+len(k.sorted)/4:
			k.sorted = slices.Clone(k.sorted)
		}
		for _, c := range k.sorted {
			visit(c)
		}
	}
	visit(t.Root)
}
