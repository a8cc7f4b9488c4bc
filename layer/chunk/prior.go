package chunk

import (
	"context"
	"fmt"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/oslayer/oslayer/layer"
)

// Per-layer annotations naming the components a layer holds.
const (
	// ComponentsAnnotation is ours and rpm-ostree's (ostree-ext): sorted
	// component names joined by ",".
	ComponentsAnnotation = "ostree.components"
	// ChunkahAnnotation is chunkah's.
	ChunkahAnnotation = "org.chunkah.component"
)

// Prior is the component placement of a previous build.
type Prior struct {
	// legacy is set for a prior build by oslayer before labels had kinds:
	// its kernel, pkgdb and unclaimed components are named bare.
	legacy bool
	// Layers holds, per layer of the prior image, the component labels
	// (see Component.Label).
	Layers [][]string
	// Digests are the prior image's layer blob digests, in order: a layer
	// written again with one of them is not downloaded again.
	Digests []v1.Hash
	where   map[string]int
}

// PriorFromManifest reads a prior build's placement from the per-layer
// annotations of its manifest. Layers without them (rpm-ostree's final
// commit layer) hold no components. It returns nil when no layer names any
// component: the image was not chunked.
func PriorFromManifest(m *v1.Manifest) *Prior {
	p := &Prior{where: map[string]int{}}
	for i, d := range m.Layers {
		v, ok := d.Annotations[ComponentsAnnotation]
		if !ok {
			v = d.Annotations[ChunkahAnnotation]
		}
		var names []string
		if v != "" {
			for n := range strings.SplitSeq(v, ",") {
				n = unescapeName(n)
				names = append(names, n)
				if _, seen := p.where[n]; !seen {
					p.where[n] = i
				}
			}
		}
		p.Layers = append(p.Layers, names)
		p.Digests = append(p.Digests, d.Digest)
	}
	if len(p.where) == 0 {
		return nil
	}
	p.legacy = true
	for n := range p.where {
		if strings.HasPrefix(n, ":") {
			p.legacy = false
		}
	}
	return p
}

// find returns the prior layer of c: the one naming c, or else one naming
// any of its binary packages (a prior build by rpm-ostree names packages,
// not sources).
func (p *Prior) find(c *Component) (int, bool) {
	if p == nil {
		return 0, false
	}
	if i, ok := p.where[c.Label()]; ok {
		return i, true
	}
	if c.Kind != KindPackage {
		i, ok := p.where[c.Name]
		return i, ok && p.legacy && c.Kind != KindXattr && c.Kind != KindBig
	}
	for _, b := range c.Packages {
		if i, ok := p.where[b]; ok {
			return i, true
		}
	}
	return 0, false
}

// Annotation returns the ostree.components value of a layer: its
// components' sorted labels (see Component.Label), "%" and "," in them
// escaped as %25 and %2C.
func (l *Layer) Annotation() string {
	labels := make([]string, len(l.Components))
	for i, c := range l.Components {
		labels[i] = escapeName(c.Label())
	}
	slices.Sort(labels)
	return strings.Join(labels, ",")
}

var (
	nameEscaper   = strings.NewReplacer("%", "%25", ",", "%2C")
	nameUnescaper = strings.NewReplacer("%25", "%", "%2C", ",")
)

func escapeName(n string) string   { return nameEscaper.Replace(n) }
func unescapeName(n string) string { return nameUnescaper.Replace(n) }

// LoadPrior reads the placement of a previous build (ref) from its
// manifest; nil, with a warning, when its layers name no components.
func LoadPrior(ctx context.Context, ref string, opts layer.Options, warn func(string)) (*Prior, error) {
	p, err := layer.Open(ctx, ref, opts)
	if err != nil {
		return nil, fmt.Errorf("--prior: %w", err)
	}
	defer p.Close()
	prior := PriorFromManifest(p.Manifest)
	if prior == nil && warn != nil {
		warn(fmt.Sprintf("--prior %s names no components in its layers (not chunked): packing afresh", ref))
	}
	return prior, nil
}
