package layer

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"
)

// ReadFiles calls fn with the content of each regular file node of the
// tree in nodes, whatever the tree's content policy: like HoleDigest, it
// reads again from its layer what the policy does not keep, so a few named
// files (the changelogs of updated packages) can be read without keeping
// every file's content. The nodes one layer holds are read in one pass over
// that layer, in the order of their offsets, several layers at once (up to
// the loader's Jobs): reading a hundred files of one layer decompresses it
// once, not a hundred times.
//
// fn is called once for each node, one call at a time, in no set order; r
// is valid during the call only. What fn leaves unread of a file read from
// a layer is read after it, and the file checked against its digest; nodes
// that share their bytes (hardlinks) are read once. An error from fn ends
// the reading and is returned.
func (t *Tree) ReadFiles(ctx context.Context, nodes []*Node, fn func(n *Node, r io.Reader) error) error {
	for _, n := range nodes {
		if n.Type != TypeRegular {
			return fmt.Errorf("/%s: %w", n.Path(), ErrNoContent)
		}
	}
	if t.readFiles != nil {
		return t.readFiles(ctx, nodes, fn)
	}
	open := t.reread
	if open == nil {
		open = t.content
	}
	if open == nil && len(nodes) > 0 {
		return fmt.Errorf("/%s: %w", nodes[0].Path(), ErrNoContent)
	}
	for _, n := range nodes {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := readOpened(open, n, fn); err != nil {
			return err
		}
	}
	return nil
}

// readOpened calls fn with the content open gives for n.
func readOpened(open func(*Node) (io.ReadCloser, error), n *Node, fn func(*Node, io.Reader) error) error {
	rc, err := open(n)
	if err != nil {
		return err
	}
	defer rc.Close()
	return fn(n, rc)
}

// ReadFiles is Tree.ReadFiles for nodes of a tree the loader built from
// img (see Loader.Tree): each layer read once, fn called one node at a
// time.
func (l *Loader) ReadFiles(ctx context.Context, img *Image, nodes []*Node, fn func(*Node, io.Reader) error) error {
	var mu sync.Mutex
	call := func(n *Node, r io.Reader) error {
		mu.Lock()
		defer mu.Unlock()
		return fn(n, r)
	}
	byLayer := map[int][]*Node{}
	for _, n := range nodes {
		if n.Sparse || Kept(n.Path()) && l.store.Has(n.Digest) {
			// From the store, or a sparse file's own reader of its layer.
			err := readOpened(func(n *Node) (io.ReadCloser, error) { return l.open(ctx, img, n, ContentReread) }, n, call)
			if err != nil {
				return err
			}
			continue
		}
		i := int(n.DataLayer)
		if i < 0 || i >= len(img.Layers) {
			return fmt.Errorf("/%s: its bytes cannot be found in a layer", n.Path())
		}
		byLayer[i] = append(byLayer[i], n)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(l.jobs())
	for i, ns := range byLayer {
		g.Go(func() error {
			slices.SortStableFunc(ns, func(a, b *Node) int { return cmp.Compare(start(a), start(b)) })
			r, err := l.rereadLayer(gctx, img, i)
			if err != nil {
				return err
			}
			defer r.Close()
			for len(ns) > 0 {
				same := 1
				for same < len(ns) && start(ns[same]) == start(ns[0]) {
					same++
				}
				if err := r.readShared(ns[:same], call); err != nil {
					return err
				}
				ns = ns[same:]
			}
			return nil
		})
	}
	return g.Wait()
}

// readShared reads the content the nodes share (one node, or the names
// of one hardlinked file) and calls fn for each, checking the content
// against its digest.
func (r *layerReader) readShared(nodes []*Node, fn func(*Node, io.Reader) error) error {
	v, err := r.content(nodes[0])
	if err != nil {
		return err
	}
	if len(nodes) == 1 {
		if err := fn(nodes[0], v); err != nil {
			return err
		}
		_, err := io.Copy(io.Discard, v)
		return err
	}
	if nodes[0].Size > MaxContent {
		return fmt.Errorf("/%s: %d bytes, more than the %d a hardlinked file read by name may have", nodes[0].Path(), nodes[0].Size, MaxContent)
	}
	data, err := io.ReadAll(v)
	if err != nil {
		return err
	}
	for _, n := range nodes {
		if err := fn(n, bytes.NewReader(data)); err != nil {
			return err
		}
	}
	return nil
}
