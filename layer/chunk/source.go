package chunk

import (
	"context"
	"fmt"

	"github.com/oslayer/oslayer/layer"
)

// Input names what to chunk and how to read it.
type Input struct {
	// Image is a reference (see layer.ParseReference); Rootfs a root
	// filesystem directory. Exactly one is set.
	Image  string
	Rootfs string
	// Prior is a previous build whose placement to keep ("" for none).
	Prior   string
	Options layer.Options
	Loader  *layer.Loader
	// TmpDir holds the spool of the image's layers ("" for the system's
	// temporary directory).
	TmpDir string
	// Warn, when set, hears about a prior build that was not chunked.
	Warn func(string)
}

// Load reads the prior build's placement and the source: an image's layers
// are spooled (see layer.Loader.SpoolTree), a rootfs is walked. Close the
// source when done.
func Load(ctx context.Context, in Input) (*Source, *Prior, error) {
	var prior *Prior
	if in.Prior != "" {
		p, err := layer.Open(ctx, in.Prior, in.Options)
		if err != nil {
			return nil, nil, fmt.Errorf("--prior: %w", err)
		}
		prior = PriorFromManifest(p.Manifest)
		p.Close()
		if prior == nil && in.Warn != nil {
			in.Warn(fmt.Sprintf("--prior %s names no components in its layers (not chunked): packing afresh", in.Prior))
		}
	}
	if in.Rootfs != "" {
		tree, err := layer.TreeFromDir(ctx, in.Rootfs, layer.DirOptions{Exclude: in.Loader.Dirs()})
		if err != nil {
			return nil, nil, err
		}
		src := &Source{Tree: tree, close: func() error { return nil }}
		for _, n := range tree.Walk() {
			src.Size += n.Size
		}
		return src, prior, nil
	}
	img, err := layer.Open(ctx, in.Image, in.Options)
	if err != nil {
		return nil, nil, err
	}
	spooled, err := in.Loader.SpoolTree(ctx, img, in.TmpDir)
	if err != nil {
		img.Close()
		return nil, nil, err
	}
	return &Source{Tree: spooled.Tree, Config: img.Config, Size: spooled.Size, close: func() error {
		err := spooled.Close()
		if cerr := img.Close(); err == nil {
			err = cerr
		}
		return err
	}}, prior, nil
}
