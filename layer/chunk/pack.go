package chunk

import (
	"cmp"
	"fmt"
	"hash/fnv"
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
}

// alone reports whether a component always gets a layer of its own: the
// ones that change with almost every update (the package database, the
// unclaimed rest) or change all at once (the kernel).
func alone(c *Component) bool {
	return c.Kind == KindPkgDB || c.Kind == KindUnclaimed || c.Kind == KindKernel
}

// bin is the stable hash bin of a component name among n bins.
func bin(name string, n int) int {
	h := fnv.New32a()
	h.Write([]byte(name))
	return int(h.Sum32() % uint32(n))
}

// Pack places components into at most maxLayers layers.
//
// Without a prior build: the package database, the unclaimed rest and the
// kernel get a layer each; a quarter of the budget (at least one) are
// bins that the small components are hashed into by name, so a component
// keeps its bin from build to build; the rest of the budget goes to the
// biggest components, one layer each.
//
// With a prior build, every component that the prior build placed stays
// in that layer. A new component gets a layer of its own when it is at
// least as big as the smallest component alone in a prior layer;
// otherwise it is hashed by name over the prior layers that hold several
// components, so new components spread instead of piling into one
// ever-growing layer. Prior layers left empty are dropped.
//
// Either way, while there are more layers than maxLayers, the two smallest
// merge. Layers are ordered: prior ones in prior order, then the big
// components by size, the bins, and the kernel, unclaimed and package
// database layers last.
func Pack(comps []*Component, maxLayers int, prior *Prior) ([]*Layer, error) {
	if maxLayers < 1 {
		return nil, fmt.Errorf("--max-layers must be at least 1, not %d", maxLayers)
	}
	var layers []*Layer
	if prior != nil && len(prior.Layers) > 0 {
		layers = packWithPrior(comps, maxLayers, prior)
	} else {
		layers = packFresh(comps, maxLayers)
	}
	layers = slices.DeleteFunc(layers, func(l *Layer) bool { return len(l.Components) == 0 })
	for len(layers) > maxLayers {
		layers = mergeSmallest(layers)
	}
	for _, l := range layers {
		slices.SortFunc(l.Components, func(a, b *Component) int { return strings.Compare(a.Name, b.Name) })
	}
	return layers, nil
}

func packFresh(comps []*Component, maxLayers int) []*Layer {
	var rest, last []*Component
	for _, c := range comps {
		if alone(c) {
			last = append(last, c)
		} else {
			rest = append(rest, c)
		}
	}
	bins := max(1, maxLayers/4)
	solo := max(0, maxLayers-len(last)-bins)
	if len(rest) <= solo+bins {
		solo, bins = len(rest), 0
	}
	bySize(rest)
	var layers []*Layer
	for _, c := range rest[:solo] {
		layers = append(layers, single(c, -1))
	}
	binned := make([]*Layer, bins)
	for i := range binned {
		binned[i] = &Layer{Prior: -1}
	}
	for _, c := range rest[solo:] {
		binned[bin(c.Name, bins)].add(c)
	}
	layers = append(layers, binned...)
	slices.SortFunc(last, func(a, b *Component) int { return cmp.Compare(kindOrder(a.Kind), kindOrder(b.Kind)) })
	for _, c := range last {
		layers = append(layers, single(c, -1))
	}
	return layers
}

func packWithPrior(comps []*Component, maxLayers int, prior *Prior) []*Layer {
	layers := make([]*Layer, len(prior.Layers))
	for i := range layers {
		layers[i] = &Layer{Prior: i}
	}
	var fresh []*Component
	for _, c := range comps {
		if i, ok := prior.find(c); ok {
			layers[i].add(c)
		} else {
			fresh = append(fresh, c)
		}
	}
	// The smallest component alone in its prior layer sets the size from
	// which a new component deserves a layer; the prior layers holding
	// several components are the bins.
	threshold, bins := int64(-1), []*Layer(nil)
	for i, l := range layers {
		switch {
		case len(prior.Layers[i]) > 1:
			bins = append(bins, l)
		case len(l.Components) == 1 && !alone(l.Components[0]):
			if s := l.Components[0].Size; threshold < 0 || s < threshold {
				threshold = s
			}
		}
	}
	bySize(fresh)
	used := 0
	for _, l := range layers {
		if len(l.Components) > 0 {
			used++
		}
	}
	var extra []*Layer
	var newBin *Layer
	for _, c := range fresh {
		switch {
		case alone(c) || (threshold >= 0 && c.Size >= threshold && used < maxLayers):
			extra = append(extra, single(c, -1))
			used++
		case len(bins) > 0:
			bins[bin(c.Name, len(bins))].add(c)
		default:
			if newBin == nil {
				newBin = &Layer{Prior: -1}
				extra = append(extra, newBin)
			}
			newBin.add(c)
		}
	}
	return append(layers, extra...)
}

// mergeSmallest merges the two smallest layers (the later one into the
// earlier), ties going to the later layers.
func mergeSmallest(layers []*Layer) []*Layer {
	order := make([]int, len(layers))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := cmp.Compare(layers[a].Size, layers[b].Size); c != 0 {
			return c
		}
		return cmp.Compare(b, a)
	})
	a, b := min(order[0], order[1]), max(order[0], order[1])
	for _, c := range layers[b].Components {
		layers[a].add(c)
	}
	return slices.Delete(layers, b, b+1)
}

func single(c *Component, prior int) *Layer {
	l := &Layer{Prior: prior}
	l.add(c)
	return l
}

func bySize(comps []*Component) {
	slices.SortStableFunc(comps, func(a, b *Component) int {
		if c := cmp.Compare(b.Size, a.Size); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
}

func kindOrder(kind string) int {
	return slices.Index([]string{KindKernel, KindUnclaimed, KindPkgDB}, kind)
}
