package layer

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"

	"golang.org/x/sync/errgroup"
)

// ReadContents reads the contents of regular file nodes of a tree the
// loader built from img (see Loader.Tree) from their layers, each layer
// read once, on up to l.Jobs layers at a time: fn hears each node with a
// reader of its bytes (checked against the node's size and digest at its
// end; a sparse file's holes are zeros), in the order the layer holds
// them. fn may be called concurrently for nodes of different layers. Give
// each content once: two nodes whose bytes are at one place in a layer
// (hard links) cannot both be read.
func (l *Loader) ReadContents(ctx context.Context, img *Image, nodes []*Node, fn func(n *Node, r io.Reader) error) error {
	byLayer := map[int][]*Node{}
	for _, n := range nodes {
		if n.Type != TypeRegular || n.DataLayer < 0 || int(n.DataLayer) >= len(img.Layers) {
			return fmt.Errorf("/%s: its bytes cannot be found in a layer", n.Path())
		}
		byLayer[int(n.DataLayer)] = append(byLayer[int(n.DataLayer)], n)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(l.jobs())
	for i, ns := range byLayer {
		g.Go(func() error {
			slices.SortFunc(ns, func(a, b *Node) int { return cmp.Compare(start(a), start(b)) })
			r, err := l.rereadLayer(gctx, img, i)
			if err != nil {
				return err
			}
			defer r.Close()
			for _, n := range ns {
				var content io.Reader
				if n.Sparse {
					if err := r.skipTo(n); err != nil {
						return layerError(img, i, fmt.Errorf("reading /%s: %w", n.Path(), err))
					}
					f, err := openSparse(&r.cr, n, !n.Digest.IsZero())
					if err != nil {
						return layerError(img, i, fmt.Errorf("reading /%s: %w", n.Path(), err))
					}
					content = f
				} else if content, err = r.content(n); err != nil {
					return err
				}
				if err := fn(n, content); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}
