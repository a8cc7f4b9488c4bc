package chunk

import (
	"fmt"
	"slices"
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

func TestPackFresh(t *testing.T) {
	cs := comps(200)
	layers, err := Pack(cs, 64, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) > 64 || len(layers) < 50 {
		t.Fatalf("%d layers", len(layers))
	}
	w := where(layers)
	if len(w) != len(cs) {
		t.Errorf("%d of %d components placed", len(w), len(cs))
	}
	for _, name := range []string{"kernel", "pkgdb", "unclaimed", "pkg000"} {
		if n := len(layers[w[name]].Components); n != 1 {
			t.Errorf("%s shares its layer with %d others", name, n-1)
		}
	}
	// The last three layers are the volatile ones.
	if got := []string{layers[len(layers)-3].Names()[0], layers[len(layers)-2].Names()[0], layers[len(layers)-1].Names()[0]}; !slices.Equal(got, []string{"kernel", "unclaimed", "pkgdb"}) {
		t.Errorf("last layers %v", got)
	}
	// Small components stay in their bin when others come and go.
	again, _ := Pack(append(comps(200), &Component{Name: "newcomer", Kind: KindPackage, Size: 1}), 64, nil)
	w2 := where(again)
	for _, name := range []string{"pkg150", "pkg199"} {
		if !slices.Equal(layers[w[name]].Names(), slices.DeleteFunc(again[w2[name]].Names(), func(n string) bool { return n == "newcomer" })) {
			t.Errorf("%s's bin changed", name)
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

func TestPackWithPrior(t *testing.T) {
	first, _ := Pack(comps(200), 64, nil)
	prior := PriorFromManifest(annotated(first))
	// The next build: pkg010 grew, pkg020 is gone, 30 new small packages
	// and one big one arrive.
	next := comps(200)
	next[10].Size *= 3
	next = slices.Delete(next, 20, 21)
	for i := range 30 {
		next = append(next, &Component{Name: fmt.Sprintf("new%02d", i), Kind: KindPackage, Size: 5})
	}
	next = append(next, &Component{Name: "newbig", Kind: KindPackage, Size: 1 << 20})
	layers, err := Pack(next, 64, prior)
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) > 64 {
		t.Fatalf("%d layers", len(layers))
	}
	w0, w := where(first), where(layers)
	for _, c := range comps(200) {
		if c.Name == "pkg020" {
			continue
		}
		if layers[w[c.Name]].Prior != w0[c.Name] {
			t.Errorf("%s moved from prior layer %d to %d", c.Name, w0[c.Name], layers[w[c.Name]].Prior)
		}
	}
	if len(layers[w["newbig"]].Components) != 1 {
		t.Errorf("newbig shares a layer")
	}
	// New small components spread over the bins instead of piling up.
	perLayer := map[int]int{}
	for i := range 30 {
		perLayer[w[fmt.Sprintf("new%02d", i)]]++
	}
	if len(perLayer) < 5 {
		t.Errorf("30 new components went into only %d layers", len(perLayer))
	}
}

func TestPriorMatchesBinaryPackages(t *testing.T) {
	m := &v1.Manifest{Layers: []v1.Descriptor{
		{Annotations: map[string]string{ComponentsAnnotation: "kernel-core,kernel-modules"}},
		{Annotations: map[string]string{ChunkahAnnotation: "bash"}},
		{Annotations: map[string]string{ComponentsAnnotation: "a%2Cb,pkgdb"}},
	}}
	p := PriorFromManifest(m)
	for _, tc := range []struct {
		c    *Component
		want int
	}{
		{&Component{Name: "kernel", Packages: []string{"kernel-core", "kernel-modules"}}, 0},
		{&Component{Name: "bash"}, 1},
		{&Component{Name: "a,b"}, 2},
	} {
		if i, ok := p.find(tc.c); !ok || i != tc.want {
			t.Errorf("%s: layer %d, %v; want %d", tc.c.Name, i, ok, tc.want)
		}
	}
	if PriorFromManifest(&v1.Manifest{Layers: []v1.Descriptor{{}}}) != nil {
		t.Error("an unchunked image gave a prior placement")
	}
}
