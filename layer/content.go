package layer

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime"

	"golang.org/x/sync/errgroup"
)

// MaxContent bounds what oslayer reads of one file into memory (a config
// file it parses, an ostree object held until its hardlinks are read).
const MaxContent = 64 << 20

// Content says which file contents a Tree built from image layers can
// read back through Tree.Open.
type Content uint8

const (
	// ContentKept: only the kept files (see Kept), from the content
	// store. Cheap, and what a cached index can answer without reading a
	// layer; other files give ErrNoContent.
	ContentKept Content = iota
	// ContentReread: kept files from the store, every other regular file
	// by decompressing its layer again up to it.
	ContentReread
	// ContentSpool: every file, from a spool of each layer's uncompressed
	// stream written while the layers were read (see Loader.SpoolTree).
	ContentSpool
)

// openLayerEntry streams the content of a regular file node of a tree the
// loader built from img by reading its layer again, from the start up to
// the file. The reader checks the content against the node's digest (when
// known) at its end.
func (l *Loader) openLayerEntry(ctx context.Context, img *Image, n *Node) (io.ReadCloser, error) {
	i := int(n.DataLayer)
	if i < 0 || i >= len(img.Layers) || (n.Offset < 0 && n.Header < 0) {
		return nil, fmt.Errorf("/%s: its bytes cannot be found in a layer", n.Path())
	}
	fail := func(err error) error {
		return layerError(img, i, fmt.Errorf("reading /%s: %w", n.Path(), err))
	}
	rc, err := img.Layers[i].layer.Compressed()
	if err != nil {
		return nil, fail(err)
	}
	zr, err := decompress(ctxReader{ctx, rc})
	if err != nil {
		rc.Close()
		return nil, fail(err)
	}
	closeAll := func() error { zr.Close(); return rc.Close() }
	var content io.Reader
	if n.Offset >= 0 {
		if _, err := io.CopyN(io.Discard, zr, n.Offset); err != nil {
			closeAll()
			return nil, fail(err)
		}
		content = io.LimitReader(zr, n.Size)
	} else {
		// A sparse file: its entry is read again by a tar reader.
		if _, err := io.CopyN(io.Discard, zr, n.Header); err != nil {
			closeAll()
			return nil, fail(err)
		}
		tr := tar.NewReader(zr)
		if _, err := tr.Next(); err != nil {
			closeAll()
			return nil, fail(err)
		}
		content = io.LimitReader(tr, n.Size)
	}
	v := &verifiedReader{r: content, n: n, left: n.Size, fail: fail, close: closeAll}
	if !n.Digest.IsZero() {
		v.h = sha256.New()
	}
	return v, nil
}

// verifiedReader is a node's content read again from its layer; at the
// end it must have the node's size and digest.
type verifiedReader struct {
	r     io.Reader
	n     *Node
	h     hash.Hash
	left  int64
	fail  func(error) error
	close func() error
}

func (v *verifiedReader) Read(p []byte) (int, error) {
	k, err := v.r.Read(p)
	if v.h != nil {
		v.h.Write(p[:k])
	}
	v.left -= int64(k)
	if err == io.EOF {
		switch {
		case v.left > 0:
			return k, v.fail(io.ErrUnexpectedEOF)
		case v.h != nil && Digest(v.h.Sum(nil)) != v.n.Digest:
			return k, v.fail(errors.New("content does not match the indexed digest"))
		}
	} else if err != nil {
		err = v.fail(err)
	}
	return k, err
}

func (v *verifiedReader) Close() error { return v.close() }

// keepContent makes sure the store holds the content of every kept file
// of a merged tree (see Kept). What the indexes captured is there already;
// a kept path that is a hardlink whose target was captured under another
// name (an ostree object too big to hold, a link that did not follow its
// object, a merged-/usr symlink in a layer's path) is read again from its
// layer now. The result is the same whatever the cache held before.
func (l *Loader) keepContent(ctx context.Context, img *Image, t *Tree) error {
	var need []*Node
	seen := map[Digest]bool{}
	for _, n := range keptNodes(t) {
		if n.Type != TypeRegular || seen[n.Digest] || l.store.Has(n.Digest) {
			continue
		}
		seen[n.Digest] = true
		need = append(need, n)
	}
	if len(need) == 0 {
		return nil
	}
	g, gctx := errgroup.WithContext(ctx)
	jobs := l.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	g.SetLimit(jobs)
	for _, n := range need {
		g.Go(func() error {
			rc, err := l.openLayerEntry(gctx, img, n)
			if err != nil {
				return err
			}
			defer rc.Close()
			return l.store.putReader(n.Digest, rc)
		})
	}
	return g.Wait()
}

// open opens a node's content under a content policy (not ContentSpool,
// whose tree reads its own spool).
func (l *Loader) open(ctx context.Context, img *Image, n *Node, policy Content) (io.ReadCloser, error) {
	if !n.Digest.IsZero() && l.store.Has(n.Digest) {
		return l.store.Open(n.Digest)
	}
	if policy != ContentReread {
		return nil, ErrNoContent
	}
	return l.openLayerEntry(ctx, img, n)
}
