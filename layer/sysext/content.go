package sysext

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/oslayer/oslayer/layer"
)

// Contents holds the bytes of the images' regular files, spooled from the
// derived image's layers: each file's once, however many images and hard
// links name it.
type Contents struct {
	f *os.File
}

// Close removes the spool.
func (c *Contents) Close() error { return c.f.Close() }

type contentKey struct {
	d      layer.Digest
	size   int64
	sparse bool
}

type section struct{ off, size int64 }

// Load reads the content of every regular file of the images from the
// derived image's layers that hold them, each layer once, into a spool
// file in dir (the system's temporary directory when ""), unlinked at
// once, and sets their entries' Content. Close the Contents when the
// images are written.
func (b *Build) Load(ctx context.Context, src *layer.Source, loader *layer.Loader, dir string) (*Contents, error) {
	type need struct {
		img *Image
		i   int
	}
	var needs []need
	for _, img := range b.Images {
		for i, e := range img.Entries {
			if e.Type == layer.TypeRegular && e.Hardlink == "" && e.Content == nil && e.Size > 0 {
				needs = append(needs, need{img, i})
			}
		}
	}
	if src.Image == nil {
		return nil, fmt.Errorf("%s: extensions are made from an image's layers, not from a directory", src.Name)
	}
	f, err := os.CreateTemp(dir, "oslayer-sysext-*")
	if err != nil {
		return nil, fmt.Errorf("spool file: %w", err)
	}
	c := &Contents{f: f}
	if err := os.Remove(f.Name()); err != nil {
		c.Close()
		return nil, fmt.Errorf("spool file: %w", err)
	}
	places := map[contentKey]section{}
	var nodes []*layer.Node
	var end int64
	for _, nd := range needs {
		n := nd.img.nodes[nd.img.Entries[nd.i].Path]
		k := contentKey{n.Digest, n.Size, n.Sparse}
		if _, ok := places[k]; !ok {
			places[k] = section{end, n.Size}
			end += n.Size
			nodes = append(nodes, n)
		}
	}
	err = loader.ReadFiles(ctx, src.Image, nodes, func(n *layer.Node, r io.Reader) error {
		s := places[contentKey{n.Digest, n.Size, n.Sparse}]
		w, err := io.Copy(io.NewOffsetWriter(f, s.off), r)
		if err == nil && w != s.size {
			err = fmt.Errorf("%d bytes, not %d", w, s.size)
		}
		if err != nil {
			return fmt.Errorf("spooling /%s: %w", n.Path(), err)
		}
		return nil
	})
	if err != nil {
		c.Close()
		return nil, err
	}
	for _, nd := range needs {
		n := nd.img.nodes[nd.img.Entries[nd.i].Path]
		s := places[contentKey{n.Digest, n.Size, n.Sparse}]
		nd.img.Entries[nd.i].Content = func() (io.ReadCloser, error) {
			return io.NopCloser(io.NewSectionReader(f, s.off, s.size)), nil
		}
	}
	return c, nil
}
