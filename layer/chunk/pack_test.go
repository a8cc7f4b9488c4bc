package chunk

import (
	"cmp"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// comps makes n package components of decreasing size, plus the three
// that always go alone.
func comps(n int) []*Component {
	var out []*Component
	for i := range n {
		out = append(out, &Component{Name: fmt.Sprintf("pkg%03d", i), Kind: KindPackage, Size: int64(1000 * (n - i))})
	}
	return append(out,
		&Component{Name: "kernel", Kind: KindKernel, Size: 50000},
		&Component{Name: "pkgdb", Kind: KindPkgDB, Size: 10},
		&Component{Name: "unclaimed", Kind: KindUnclaimed, Size: 10},
	)
}

func where(layers []*Layer) map[string]int {
	out := map[string]int{}
	for i, l := range layers {
		for _, c := range l.Components {
			out[c.Name] = i
		}
	}
	return out
}

// cost is what Pack minimises: each layer's size times its weight.
func cost(layers []*Layer) float64 {
	var sum float64
	for _, l := range layers {
		sum += float64(l.weight()) * float64(l.Size)
	}
	return sum
}

// hashed packs the way a size-blind chunker does: the biggest components
// alone, the rest hashed by name into a quarter of the budget.
func hashed(cs []*Component, maxLayers int) []*Layer {
	rest := slices.Clone(cs)
	slices.SortFunc(rest, func(a, b *Component) int { return cmp.Compare(b.Size, a.Size) })
	bins := make([]*Layer, maxLayers/4)
	for i := range bins {
		bins[i] = &Layer{Prior: -1}
	}
	var out []*Layer
	for i, c := range rest {
		if i < maxLayers-len(bins) {
			out = append(out, single(c, -1))
			continue
		}
		h := fnv.New32a()
		h.Write([]byte(c.Name))
		bins[h.Sum32()%uint32(len(bins))].add(c)
	}
	return append(out, bins...)
}

func TestPackFresh(t *testing.T) {
	cs := comps(200)
	cs[150].Changes = 40 // a small package that changes often
	layers, err := Pack(cs, 64, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 64 {
		t.Fatalf("%d layers", len(layers))
	}
	w := where(layers)
	if len(w) != len(cs) {
		t.Errorf("%d of %d components placed", len(w), len(cs))
	}
	for _, name := range []string{"kernel", "pkgdb", "unclaimed", "pkg150"} {
		if n := len(layers[w[name]].Components); n != 1 {
			t.Errorf("%s shares its layer with %d others", name, n-1)
		}
	}
	// Its neighbours in size that rarely change share layers.
	for _, name := range []string{"pkg149", "pkg151", "pkg199"} {
		if n := len(layers[w[name]].Components); n == 1 {
			t.Errorf("%s has a layer of its own", name)
		}
	}
	// The last three layers are the volatile ones; the others go by size.
	if got := []string{layers[61].Names()[0], layers[62].Names()[0], layers[63].Names()[0]}; !slices.Equal(got, []string{"kernel", "unclaimed", "pkgdb"}) {
		t.Errorf("last layers %v", got)
	}
	if !slices.IsSortedFunc(layers[:61], func(a, b *Layer) int { return cmp.Compare(b.Size, a.Size) }) {
		t.Error("layers are not ordered by size")
	}
	// The expected download is below a size-blind packing's.
	if got, blind := cost(layers), cost(hashed(cs, 64)); got >= blind {
		t.Errorf("expected download %.0f, hashed bins %.0f", got, blind)
	}
	// The same components in another order pack the same way.
	rev := slices.Clone(cs)
	slices.Reverse(rev)
	again, _ := Pack(rev, 64, nil)
	for i := range layers {
		if !slices.Equal(layers[i].Names(), again[i].Names()) {
			t.Fatalf("layer %d: %v, then %v", i, layers[i].Names(), again[i].Names())
		}
	}
}

func TestPackBudget(t *testing.T) {
	for _, max := range []int{1, 2, 3, 4, 7, 64} {
		layers, err := Pack(comps(100), max, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(layers) > max || len(where(layers)) != 103 {
			t.Errorf("max %d: %d layers, %d components", max, len(layers), len(where(layers)))
		}
	}
	if _, err := Pack(comps(1), 0, nil); err == nil {
		t.Error("max 0 accepted")
	}
}

// annotated turns packed layers into a prior build's manifest.
func annotated(layers []*Layer) *v1.Manifest {
	m := &v1.Manifest{}
	for _, l := range layers {
		m.Layers = append(m.Layers, v1.Descriptor{Annotations: map[string]string{ComponentsAnnotation: l.Annotation()}})
	}
	// rpm-ostree's last layer names nothing.
	m.Layers = append(m.Layers, v1.Descriptor{})
	return m
}

// changed returns the layers that a client holding the prior build would
// download: new ones, and those whose components differ from their prior
// layer's.
func changed(layers []*Layer, prior []*Layer) []*Layer {
	var out []*Layer
	for _, l := range layers {
		if l.Prior < 0 || !slices.Equal(l.Names(), prior[l.Prior].Names()) {
			out = append(out, l)
		}
	}
	return out
}

func TestPackWithPrior(t *testing.T) {
	first, _ := Pack(comps(200), 64, nil)
	prior := PriorFromManifest(annotated(first))
	// The next build: pkg010 grew, pkg199 (alone in no layer) is gone, 30
	// new small packages and one big one arrive.
	next := comps(200)
	next[10].Size *= 3
	next = slices.Delete(next, 199, 200)
	for i := range 30 {
		next = append(next, &Component{Name: fmt.Sprintf("new%02d", i), Kind: KindPackage, Size: 5})
	}
	next = append(next, &Component{Name: "newbig", Kind: KindPackage, Size: 1 << 20})
	layers, err := Pack(next, 64, prior)
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 64 {
		t.Fatalf("%d layers", len(layers))
	}
	w0, w := where(first), where(layers)
	// Components placed before stay together.
	for _, l := range first {
		var at []int
		for _, c := range l.Components {
			if _, ok := w[c.Name]; ok {
				at = append(at, w[c.Name])
			}
		}
		slices.Sort(at)
		if at = slices.Compact(at); len(at) > 1 {
			t.Errorf("prior layer %v split over layers %v", l.Names(), at)
		}
	}
	for _, c := range comps(199) {
		if p := layers[w[c.Name]].Prior; p != w0[c.Name] && !slices.Contains(changed(layers, first), layers[w[c.Name]]) {
			t.Errorf("%s moved from prior layer %d to %d", c.Name, w0[c.Name], p)
		}
	}
	if len(layers[w["newbig"]].Components) != 1 {
		t.Errorf("newbig shares a layer")
	}
	// The 32 new or gone components change five layers: the one that lost
	// pkg199, newbig's, the one the small new ones share, and the two
	// merges of prior layers that make room for them.
	if got := changed(layers, first); len(got) > 5 {
		for _, l := range got {
			t.Logf("changed: %v", l.Names())
		}
		t.Errorf("%d layers changed", len(got))
	}
}

// TestPackRebalances chains ten builds, each adding 30 components of
// assorted sizes to the last: the new ones must not pile into one
// ever-growing layer, and the packing must stay about as good as packing
// everything afresh.
func TestPackRebalances(t *testing.T) {
	cs := comps(200)
	layers, _ := Pack(cs, 64, nil)
	for round := range 10 {
		for i := range 30 {
			cs = append(cs, &Component{Name: fmt.Sprintf("r%d-%02d", round, i), Kind: KindPackage, Size: int64(1 + (i*7919+round*104729)%20000)})
		}
		var err error
		layers, err = Pack(cs, 64, PriorFromManifest(annotated(layers)))
		if err != nil {
			t.Fatal(err)
		}
		if len(layers) != 64 || len(where(layers)) != len(cs) {
			t.Fatalf("round %d: %d layers, %d of %d components", round, len(layers), len(where(layers)), len(cs))
		}
	}
	most := 0
	for _, l := range layers {
		n := 0
		for _, c := range l.Components {
			if strings.HasPrefix(c.Name, "r") {
				n++
			}
		}
		most = max(most, n)
	}
	if most > 30 {
		t.Errorf("one layer holds %d of the 300 new components", most)
	}
	fresh, _ := Pack(cs, 64, nil)
	if got, want := cost(layers), cost(fresh); got > 1.25*want {
		t.Errorf("after 10 builds the expected download is %.2f× a fresh packing's", got/want)
	}
}

func TestPriorMatchesBinaryPackages(t *testing.T) {
	m := &v1.Manifest{Layers: []v1.Descriptor{
		{Annotations: map[string]string{ComponentsAnnotation: "kernel-core,kernel-modules"}},
		{Annotations: map[string]string{ChunkahAnnotation: "bash"}},
		{Annotations: map[string]string{ComponentsAnnotation: "a%2Cb,pkgdb"}},
		{Annotations: map[string]string{ComponentsAnnotation: ":unclaimed"}},
	}}
	p := PriorFromManifest(m)
	for _, tc := range []struct {
		c    *Component
		want int
	}{
		{&Component{Name: "kernel", Kind: KindPackage, Packages: []string{"kernel-core", "kernel-modules"}}, 0},
		{&Component{Name: "bash", Kind: KindPackage}, 1},
		{&Component{Name: "a,b", Kind: KindPackage}, 2},
	} {
		if i, ok := p.find(tc.c); !ok || i != tc.want {
			t.Errorf("%s: layer %d, %v; want %d", tc.c.Name, i, ok, tc.want)
		}
	}
	// "pkgdb" in an annotation is a package of that name, not the
	// package database component (":pkgdb").
	if i, ok := p.find(&Component{Name: "pkgdb", Kind: KindPkgDB}); ok {
		t.Errorf("the pkgdb component matched prior layer %d, named by a package pkgdb", i)
	}
	// A prior build by oslayer before labels had kinds names its kernel,
	// pkgdb and unclaimed components bare.
	legacy := PriorFromManifest(&v1.Manifest{Layers: []v1.Descriptor{
		{Annotations: map[string]string{ComponentsAnnotation: "bash"}},
		{Annotations: map[string]string{ComponentsAnnotation: "kernel"}},
		{Annotations: map[string]string{ComponentsAnnotation: "pkgdb,unclaimed"}},
	}})
	for _, tc := range []struct {
		c    *Component
		want int
	}{
		{&Component{Name: "kernel", Kind: KindKernel}, 1},
		{&Component{Name: "pkgdb", Kind: KindPkgDB}, 2},
		{&Component{Name: "unclaimed", Kind: KindUnclaimed}, 2},
	} {
		if i, ok := legacy.find(tc.c); !ok || i != tc.want {
			t.Errorf("legacy prior: %s: layer %d, %v; want %d", tc.c.Label(), i, ok, tc.want)
		}
	}
	if PriorFromManifest(&v1.Manifest{Layers: []v1.Descriptor{{}}}) != nil {
		t.Error("an unchunked image gave a prior placement")
	}
}

// TestPackWeighsCompressedBytes: what a merge adds to the expected
// download is counted in compressed bytes when they are estimated.
func TestPackWeighsCompressedBytes(t *testing.T) {
	mk := func(estimated bool) []*Component {
		cs := []*Component{
			{Name: "incompressible", Kind: KindPackage, Size: 5e6, Compressed: 5e6},
			{Name: "text", Kind: KindPackage, Size: 10e6, Compressed: 1e6},
			{Name: "small", Kind: KindPackage, Size: 3e6, Compressed: 3e6},
		}
		if !estimated {
			for _, c := range cs {
				c.Compressed = 0
			}
		}
		return cs
	}
	for _, tc := range []struct {
		estimated bool
		partner   string
	}{{true, "text"}, {false, "incompressible"}} {
		layers, err := Pack(mk(tc.estimated), 2, nil)
		if err != nil {
			t.Fatal(err)
		}
		w := where(layers)
		if w["small"] != w[tc.partner] {
			t.Errorf("estimated %v: small joined %v, want %s", tc.estimated, layers[w["small"]].Names(), tc.partner)
		}
	}
}
