package chunk

import (
	"cmp"
	"fmt"
	"math/bits"
	"slices"
	"strings"
)

// DefaultMaxLayers is the layer budget when none is given, as rpm-ostree's.
const DefaultMaxLayers = 64

// Layer is one output layer: the components it holds.
type Layer struct {
	Components []*Component // sorted by name
	Size       int64
	// Prior is the index of the prior build's layer this one continues, or
	// -1 for a new layer.
	Prior int
	// download is what fetching the layer costs: its components'
	// estimated compressed bytes (Size for those not estimated).
	download uint64
}

// Names returns the layer's component names, sorted.
func (l *Layer) Names() []string {
	out := make([]string, len(l.Components))
	for i, c := range l.Components {
		out[i] = c.Name
	}
	return out
}

func (l *Layer) add(c *Component) {
	l.Components = append(l.Components, c)
	l.Size += c.Size
	l.download += uint64(cmp.Or(c.Compressed, c.Size))
}

// alone reports whether the layer holds the kernel, pkgdb or unclaimed.
func (l *Layer) alone() bool { return slices.ContainsFunc(l.Components, alone) }

func (l *Layer) weight() uint64 {
	var w uint64
	for _, c := range l.Components {
		w += weight(c)
	}
	return w
}

// first is the smallest component name, to order equal layers.
func (l *Layer) first() string {
	names := l.Names()
	return slices.Min(names)
}

// alone reports whether a component keeps a layer of its own as long as
// others can merge: the ones that change with almost every update (the
// package database, the unclaimed rest) or change all at once (the
// kernel).
func alone(c *Component) bool {
	return c.Kind == KindPkgDB || c.Kind == KindUnclaimed || c.Kind == KindKernel
}

// weight is a component's share in the chance that an update changes its
// layer: one, plus one for each day its package changed lately.
func weight(c *Component) uint64 { return 1 + uint64(c.Changes) }

// Pack places components into at most maxLayers layers, keeping what
// updates are expected to download small.
//
// A layer's expected download is its compressed size (the components'
// Compressed, see Estimate) times the chance that an update changes one of
// its components, taken as proportional to the sum of their weights
// (1 + Changes). Every component starts in a layer of its
// own; with a prior build, the components it placed start in the layer
// they had, together, and only new ones start alone. While there are more
// layers than maxLayers, the two layers whose merge adds the least
// expected download merge: small components that rarely change end up
// together, big and often-changing ones stay alone, and a layer that has
// grown draws no more. The package database, the unclaimed rest and the
// kernel merge only when nothing else can.
//
// Layers are ordered: those continuing a prior layer in prior order, then
// the others by size, the kernel, unclaimed and package database last.
func Pack(comps []*Component, maxLayers int, prior *Prior) ([]*Layer, error) {
	if maxLayers < 1 {
		return nil, fmt.Errorf("--max-layers must be at least 1, not %d", maxLayers)
	}
	var layers []*Layer
	byPrior := map[int]*Layer{}
	for _, c := range comps {
		if i, ok := prior.find(c); ok {
			if byPrior[i] == nil {
				byPrior[i] = &Layer{Prior: i}
				layers = append(layers, byPrior[i])
			}
			byPrior[i].add(c)
		} else {
			layers = append(layers, single(c, -1))
		}
	}
	layers = order(layers)
	layers = merge(layers, maxLayers)
	for _, l := range layers {
		slices.SortFunc(l.Components, compareComponents)
	}
	return order(layers), nil
}

// order sorts layers into their output order.
func order(layers []*Layer) []*Layer {
	key := func(l *Layer) (group, rank int) {
		switch {
		case l.Prior >= 0:
			return 0, l.Prior
		case l.alone():
			return 2, kindOrder(l)
		}
		return 1, 0
	}
	slices.SortStableFunc(layers, func(a, b *Layer) int {
		ga, ra := key(a)
		gb, rb := key(b)
		if c := cmp.Or(cmp.Compare(ga, gb), cmp.Compare(ra, rb), cmp.Compare(b.Size, a.Size)); c != 0 {
			return c
		}
		return strings.Compare(a.first(), b.first())
	})
	return layers
}

// merge merges layers pairwise, cheapest first, until at most maxLayers
// are left. Each layer remembers its cheapest partner, so a merge costs a
// pass over the layers rather than over all pairs.
func merge(layers []*Layer, maxLayers int) []*Layer {
	n := len(layers)
	if n <= maxLayers {
		return layers
	}
	live := make([]bool, n)
	for i := range live {
		live[i] = true
	}
	// Layers holding the kernel, pkgdb or unclaimed join in only when
	// fewer than two others are left.
	others := 0
	for _, l := range layers {
		if !l.alone() {
			others++
		}
	}
	eligible := func(i int) bool { return live[i] && (others < 2 || !layers[i].alone()) }
	best := make([]int, n) // cheapest eligible partner, -1 for none
	find := func(i int) {
		best[i] = -1
		for j := range n {
			if j != i && eligible(j) && (best[i] < 0 || less(layers, i, j, i, best[i])) {
				best[i] = j
			}
		}
	}
	for i := range n {
		find(i)
	}
	for left := n; left > maxLayers; left-- {
		a, b := -1, -1
		for i := range n {
			if eligible(i) && best[i] >= 0 && (a < 0 || less(layers, i, best[i], a, b)) {
				a, b = i, best[i]
			}
		}
		a, b = min(a, b), max(a, b)
		for _, c := range layers[b].Components {
			layers[a].add(c)
		}
		if p := layers[b].Prior; p >= 0 && (layers[a].Prior < 0 || p < layers[a].Prior) {
			layers[a].Prior = p
		}
		live[b] = false
		if !layers[b].alone() {
			others--
		}
		if others < 2 {
			// The kernel, pkgdb and unclaimed layers are now eligible.
			for i := range n {
				if live[i] {
					find(i)
				}
			}
			continue
		}
		for i := range n {
			switch {
			case !eligible(i):
			case i == a || best[i] < 0 || best[i] == a || best[i] == b:
				find(i)
			case less(layers, i, a, i, best[i]):
				best[i] = a
			}
		}
	}
	var out []*Layer
	for i, l := range layers {
		if live[i] {
			out = append(out, l)
		}
	}
	return out
}

// less orders the merges of layer pairs (a, b) and (c, d) by the expected
// download they add, W_a·D_b + W_b·D_a (weights W, compressed sizes D)
// computed exactly in 128 bits, ties going to the pair of earlier layers.
func less(layers []*Layer, a, b, c, d int) bool {
	x, y := mergeCost(layers[a], layers[b]), mergeCost(layers[c], layers[d])
	if x != y {
		return x.hi < y.hi || x.hi == y.hi && x.lo < y.lo
	}
	return cmp.Or(cmp.Compare(min(a, b), min(c, d)), cmp.Compare(max(a, b), max(c, d))) < 0
}

type u128 struct{ hi, lo uint64 }

func mergeCost(a, b *Layer) u128 {
	h1, l1 := bits.Mul64(a.weight(), b.download)
	h2, l2 := bits.Mul64(b.weight(), a.download)
	lo, carry := bits.Add64(l1, l2, 0)
	return u128{h1 + h2 + carry, lo}
}

func single(c *Component, prior int) *Layer {
	l := &Layer{Prior: prior}
	l.add(c)
	return l
}

// kindOrder ranks a layer of the kernel, unclaimed or pkgdb by the first
// of those kinds it holds.
func kindOrder(l *Layer) int {
	rank := 3
	for _, c := range l.Components {
		if i := slices.Index([]Kind{KindKernel, KindUnclaimed, KindPkgDB}, c.Kind); i >= 0 {
			rank = min(rank, i)
		}
	}
	return rank
}
