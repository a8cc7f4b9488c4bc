package layer

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
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

// layerReader reads one layer of an image again, from its start, handing
// out the content of nodes in the order of their offsets.
type layerReader struct {
	img   *Image
	i     int
	rc    io.ReadCloser
	zr    io.ReadCloser
	cr    countingReader
	meter Meter
}

// rereadLayer starts reading layer i of img again; its Progress meter
// counts what is read until the reader is closed.
func (l *Loader) rereadLayer(ctx context.Context, img *Image, i int) (*layerReader, error) {
	r := &layerReader{img: img, i: i, meter: startMeter(l.Progress, readingName(img, i), img.Layers[i].Size)}
	var err error
	if r.rc, err = img.Layers[i].layer.Compressed(); err != nil {
		r.meter.Done()
		return nil, layerError(img, i, err)
	}
	if r.zr, err = decompress(ctxReader{ctx, MeterReader(r.rc, r.meter)}); err != nil {
		r.rc.Close()
		r.meter.Done()
		return nil, layerError(img, i, err)
	}
	r.cr.r = r.zr
	return r, nil
}

func (r *layerReader) Close() error {
	r.zr.Close()
	err := r.rc.Close()
	r.meter.Done()
	return err
}

// start is where a node's entry is read from: its content, or for a sparse
// file its header (a tar reader expands it again).
func start(n *Node) int64 {
	if n.Offset >= 0 {
		return n.Offset
	}
	return n.Header
}

// content skips to n, which must not start before what was read already,
// and returns a reader of its content that checks the node's size and
// digest (when known) at its end.
func (r *layerReader) content(n *Node) (*verifiedReader, error) {
	fail := func(err error) error {
		return layerError(r.img, r.i, fmt.Errorf("reading /%s: %w", n.Path(), err))
	}
	if err := r.skipTo(n); err != nil {
		return nil, fail(err)
	}
	var content io.Reader = io.LimitReader(&r.cr, n.Size)
	if n.Offset < 0 {
		tr := tar.NewReader(&r.cr)
		if _, err := tr.Next(); err != nil {
			return nil, fail(err)
		}
		content = io.LimitReader(tr, n.Size)
	}
	v := &verifiedReader{r: content, n: n, left: n.Size, fail: fail}
	if !n.Digest.IsZero() {
		v.h = sha256.New()
	}
	return v, nil
}

// skipTo reads up to where n's entry is read from, which must not be
// before what was read already.
func (r *layerReader) skipTo(n *Node) error {
	at := start(n)
	if at < 0 || at < r.cr.n {
		return errors.New("its bytes cannot be found in the layer")
	}
	_, err := io.CopyN(io.Discard, &r.cr, at-r.cr.n)
	return err
}

// openLayerEntry streams the content of a regular file node of a tree the
// loader built from img by reading its layer again, from the start up to
// the file.
func (l *Loader) openLayerEntry(ctx context.Context, img *Image, n *Node) (io.ReadCloser, error) {
	i := int(n.DataLayer)
	if i < 0 || i >= len(img.Layers) {
		return nil, fmt.Errorf("/%s: its bytes cannot be found in a layer", n.Path())
	}
	r, err := l.rereadLayer(ctx, img, i)
	if err != nil {
		return nil, err
	}
	if n.Sparse {
		err := r.skipTo(n)
		var f *SparseFile
		if err == nil {
			f, err = openSparse(&r.cr, n, !n.Digest.IsZero())
		}
		if err != nil {
			r.Close()
			return nil, layerError(img, i, fmt.Errorf("reading /%s: %w", n.Path(), err))
		}
		f.close = r.Close
		return f, nil
	}
	v, err := r.content(n)
	if err != nil {
		r.Close()
		return nil, err
	}
	v.close = r.Close
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
// of a merged tree (see Kept), checked against its digest. What the
// indexes captured is there already; a kept path that is a hardlink whose
// target was captured under another name (an ostree object too big to
// hold, a link that did not follow its object, a merged-/usr symlink in a
// layer's path), and stored content that does not match its name, are
// read again from their layers now, each such layer once, in order. The
// result is the same whatever the cache held before.
func (l *Loader) keepContent(ctx context.Context, img *Image, t *Tree) error {
	var nodes []*Node
	seen := map[Digest]bool{}
	for _, n := range keptNodes(t) {
		if n.Type != TypeRegular || n.Sparse || seen[n.Digest] {
			continue // a sparse file is read from its layer when opened
		}
		seen[n.Digest] = true
		if l.store.Has(n.Digest) {
			if l.store.verify(n.Digest) {
				continue
			}
			l.dropStored(n.Digest)
		}
		nodes = append(nodes, n)
	}
	return l.ReadFiles(ctx, img, nodes, func(n *Node, r io.Reader) error {
		if err := l.store.putReader(n.Digest, r); err != nil {
			return fmt.Errorf("keeping /%s: %w", n.Path(), err)
		}
		return nil
	})
}

// dropStored removes stored content that does not match its name; a
// cache warns about it once.
func (l *Loader) dropStored(d Digest) {
	if l.cache != nil {
		l.cache.dropped(l.store.path(d))
		return
	}
	os.Remove(l.store.path(d))
}

// open opens a node's content under a content policy (not ContentSpool,
// whose tree reads its own spool). The store is read for kept files only:
// keepContent checked those. A kept file stored sparse is not in the store
// (it holds files by the sha256 of their bytes) and is read from its layer.
func (l *Loader) open(ctx context.Context, img *Image, n *Node, policy Content) (io.ReadCloser, error) {
	if Kept(n.Path()) && l.store.Has(n.Digest) {
		return l.store.Open(n.Digest)
	}
	if policy != ContentReread && !(n.Sparse && Kept(n.Path())) {
		return nil, ErrNoContent
	}
	return l.openLayerEntry(ctx, img, n)
}
