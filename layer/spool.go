package layer

import (
	"archive/tar"
	"bufio"
	"context"
	"fmt"
	"io"
	"os"

	"golang.org/x/sync/errgroup"
)

// Spooled is an image's merged Tree whose file contents are read from
// spool files: each layer's uncompressed stream, kept on disk once while
// it was indexed and verified. Close removes the spool files.
type Spooled struct {
	Tree  *Tree
	files []*os.File
}

// SpoolTree reads every layer of img once, on up to l.Jobs cores, into a
// spool file in dir (the system's temporary directory when empty), and
// merges the indexes into a Tree. Tree.Open then reads any regular file,
// sparse ones included, from the spool.
func (l *Loader) SpoolTree(ctx context.Context, img *Image, dir string) (*Spooled, error) {
	s := &Spooled{files: make([]*os.File, len(img.Layers))}
	idxs := make([]*Index, len(img.Layers))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(l.jobs())
	for i := range img.Layers {
		f, err := os.CreateTemp(dir, "oslayer-spool-*")
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("spool file: %w", err)
		}
		s.files[i] = f
		// Unlinked at once: nothing is left behind, even when the process
		// is killed.
		if err := os.Remove(f.Name()); err != nil {
			s.Close()
			return nil, fmt.Errorf("spool file: %w", err)
		}
		g.Go(func() error {
			bw := bufio.NewWriterSize(f, 1<<20)
			idx, err := l.Spool(gctx, img, i, bw)
			if err == nil {
				if err = bw.Flush(); err != nil {
					err = layerError(img, i, fmt.Errorf("spool file: %w", err))
				}
			}
			idxs[i] = idx
			return err
		})
	}
	if err := g.Wait(); err != nil {
		s.Close()
		return nil, err
	}
	t := NewTree()
	for i, idx := range idxs {
		if err := t.Apply(idx, i); err != nil {
			s.Close()
			return nil, layerError(img, i, err)
		}
	}
	t.checkout()
	t.freeze()
	t.content = s.open
	s.Tree = t
	return s, nil
}

// open reads a node's content from its layer's spool: a contiguous
// section, or for a sparse file the entry read again by a tar reader.
func (s *Spooled) open(n *Node) (io.ReadCloser, error) {
	if n.DataLayer < 0 || int(n.DataLayer) >= len(s.files) {
		return nil, fmt.Errorf("/%s: %w", n.Path(), ErrNoContent)
	}
	f := s.files[n.DataLayer]
	if n.Sparse {
		sf, err := openSparse(io.NewSectionReader(f, n.Header, 1<<62), n, false)
		if err != nil {
			return nil, fmt.Errorf("/%s: %w", n.Path(), err)
		}
		return sf, nil
	}
	if n.Offset >= 0 {
		return sectionCloser{io.NewSectionReader(f, n.Offset, n.Size)}, nil
	}
	tr := tar.NewReader(io.NewSectionReader(f, n.Header, 1<<62))
	if _, err := tr.Next(); err != nil {
		return nil, fmt.Errorf("/%s: reading its entry again: %w", n.Path(), err)
	}
	return io.NopCloser(io.LimitReader(tr, n.Size)), nil
}

// sectionCloser is a section of a spool file that can seek, as a file
// of a rootfs can; closing it leaves the spool open.
type sectionCloser struct{ *io.SectionReader }

func (sectionCloser) Close() error { return nil }

// Close closes the spool files, which were unlinked when created.
func (s *Spooled) Close() error {
	var first error
	for _, f := range s.files {
		if f == nil {
			continue
		}
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}
