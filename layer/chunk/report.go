package chunk

import (
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Report says what a chunk build wrote, for machines: the image, and per
// layer its components, sizes, and whether a client that has the prior
// build downloads it.
type Report struct {
	Digest     v1.Hash       `json:"digest"`
	Kernel     string        `json:"kernel,omitempty"`
	Components int           `json:"components"`
	Layers     []LayerReport `json:"layers"`
	// Prior is set when the build kept a prior build's placement.
	Prior *PriorReport `json:"prior,omitempty"`
	// Bytes sums the layer blobs: New must be downloaded by a client of
	// the prior build, Reused it has already (all New without a prior).
	Bytes struct {
		Total  int64 `json:"total"`
		New    int64 `json:"new"`
		Reused int64 `json:"reused"`
		Tar    int64 `json:"uncompressed"`
	} `json:"bytes"`
}

// LayerReport is one written layer.
type LayerReport struct {
	Digest     v1.Hash  `json:"digest"`
	DiffID     v1.Hash  `json:"diff_id"`
	Size       int64    `json:"size"`
	TarSize    int64    `json:"uncompressed_size"`
	Components []string `json:"components"`
	// PriorLayer is the index (from 0) of the prior build's layer this one
	// continues, when it does.
	PriorLayer *int `json:"prior_layer,omitempty"`
	// Reused is set when the prior build has this very blob.
	Reused bool `json:"reused"`
}

// PriorReport is what the prior build kept.
type PriorReport struct {
	Layers int `json:"layers"`
	// Continued counts the layers that continue a prior layer, Reused
	// those whose blob is the prior's own.
	Continued int `json:"continued"`
	Reused    int `json:"reused"`
}

// Report describes the result; prior is the placement the build kept (nil
// without --prior).
func (r *Result) Report(prior *Prior) (*Report, error) {
	d, err := r.Image.Digest()
	if err != nil {
		return nil, err
	}
	rep := &Report{Digest: d, Kernel: r.Kernel, Components: len(r.Components)}
	if prior != nil {
		rep.Prior = &PriorReport{Layers: len(prior.Layers)}
	}
	for i, l := range r.Layers {
		b := r.Blobs[i]
		lr := LayerReport{Digest: b.Digest, DiffID: b.DiffID, Size: b.Size, TarSize: b.TarSize, Components: l.Names()}
		if prior != nil && l.Prior >= 0 {
			lr.PriorLayer = &l.Prior
			rep.Prior.Continued++
		}
		if prior != nil && slices.Contains(prior.Digests, b.Digest) {
			lr.Reused = true
			rep.Prior.Reused++
			rep.Bytes.Reused += b.Size
		} else {
			rep.Bytes.New += b.Size
		}
		rep.Bytes.Total += b.Size
		rep.Bytes.Tar += b.TarSize
		rep.Layers = append(rep.Layers, lr)
	}
	return rep, nil
}
