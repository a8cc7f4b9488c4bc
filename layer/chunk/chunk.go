package chunk

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/oslayer/oslayer/layer"
)

// Options for Build.
type Options struct {
	MaxLayers int // DefaultMaxLayers when 0
	Prior     *Prior
	Write     WriteOptions
	// Labels are set (non-nil value) or removed (nil) on the output.
	Labels map[string]*string
	// Warn, when set, hears about problems that leave a usable image.
	Warn func(string)
}

// Result is a chunked image whose blobs are still in temporary files:
// write it out, then Close it.
type Result struct {
	Image      v1.Image
	Layers     []*Layer
	Blobs      []*Blob
	Components []*Component
	Kernel     string
	files      *layer.BlobFiles
}

// Close removes the blob files.
func (r *Result) Close() { removeBlobs(r.files, r.Blobs) }

// Sizes returns the bytes of the layers: uncompressed, and as blobs.
func (r *Result) Sizes() (tar, blobs int64) {
	for _, b := range r.Blobs {
		tar += b.TarSize
		blobs += b.Size
	}
	return tar, blobs
}

// Build groups the source's paths into components, packs them into
// layers, writes the layers and assembles the image. The source must be
// able to read every file (a rootfs, or an image with layer.ContentSpool)
// and have its package databases read.
func Build(ctx context.Context, src *layer.Source, opts Options) (*Result, error) {
	warn := opts.Warn
	if warn == nil {
		warn = func(string) {}
	}
	comps := Components(src.Tree, src.Packages)
	if len(comps) == 0 {
		return nil, errors.New("the image holds no files: nothing to chunk")
	}
	if err := Estimate(ctx, src.Tree, comps); err != nil {
		return nil, fmt.Errorf("estimating compressed sizes: %w", err)
	}
	maxLayers := opts.MaxLayers
	if maxLayers == 0 {
		maxLayers = DefaultMaxLayers
	}
	layers, err := Pack(comps, maxLayers, opts.Prior)
	if err != nil {
		return nil, err
	}
	kernel, err := Kernel(src.Tree)
	if err != nil {
		warn(err.Error())
	}
	if opts.Write.Files == nil {
		opts.Write.Files = layer.TempBlobFiles("")
	}
	blobs, err := writeLayers(ctx, src.Tree, layers, opts.Write)
	if err != nil {
		return nil, err
	}
	res := &Result{Layers: layers, Blobs: blobs, Components: comps, Kernel: kernel, files: opts.Write.Files}
	created := time.Unix(0, 0).UTC()
	switch {
	case opts.Write.Epoch != nil:
		created = time.Unix(*opts.Write.Epoch, 0).UTC()
	case src.Image != nil && !src.Image.Config.Created.IsZero():
		created = src.Image.Config.Created.UTC()
	}
	var config *v1.ConfigFile
	if src.Image != nil {
		config = src.Image.Config
	}
	res.Image, err = Image(layers, blobs, ImageOptions{
		Config:      config,
		Created:     created,
		Kernel:      kernel,
		Labels:      opts.Labels,
		Compression: opts.Write.Compression,
	})
	if err != nil {
		res.Close()
		return nil, err
	}
	return res, nil
}

// Kernel returns the version of the one kernel in /usr/lib/modules (the
// directory holding vmlinuz), or an error saying why there is none.
func Kernel(tree *layer.Tree) (string, error) {
	switch found := layer.Kernels(tree); len(found) {
	case 0:
		return "", errors.New("no /usr/lib/modules/<version>/vmlinuz: ostree.linux is not set")
	case 1:
		return found[0], nil
	default:
		return "", fmt.Errorf("%d kernels in /usr/lib/modules (%s): ostree.linux is not set", len(found), strings.Join(found, ", "))
	}
}
