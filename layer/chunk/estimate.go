package chunk

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"runtime"
	"slices"

	"golang.org/x/sync/errgroup"

	"github.com/oslayer/oslayer/layer"
)

// Sampling of Estimate: every file of a component is sampled when the
// component is small; of a bigger one, about a sixteenth of its bytes, in
// blocks spread evenly over each file.
const (
	sampleMin   = 1 << 20
	sampleShare = 16
	sampleBlock = 32 << 10
	// headerCost is about what a tar header (512 bytes, mostly zeros and a
	// name) adds to a compressed layer: 25 to 64 bytes in Debian's.
	headerCost = 48
)

// Estimate sets each component's Compressed to an estimate of its bytes
// in a compressed layer, what an update downloads: content sampled as
// above and compressed with fast gzip, the ratio applied to the whole
// Size, plus headerCost per path. Components are estimated on all cores;
// the result depends only on their content.
func Estimate(ctx context.Context, tree *layer.Tree, comps []*Component) error {
	order := slices.Clone(comps)
	slices.SortStableFunc(order, func(a, b *Component) int { return cmp.Compare(b.Size, a.Size) })
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, c := range order {
		g.Go(func() error {
			n, err := estimate(ctx, tree, c)
			c.Compressed = n
			return err
		})
	}
	return g.Wait()
}

func estimate(ctx context.Context, tree *layer.Tree, c *Component) (int64, error) {
	// The component's files, one after the other, are sampled in blocks
	// stride bytes apart.
	stride := int64(sampleBlock)
	if want := max(sampleMin, c.Size/sampleShare); want < c.Size {
		stride = c.Size / (want / sampleBlock)
	}
	var out counter
	zw, err := layer.Compress(&out, layer.Gzip, 1)
	if err != nil {
		return 0, err
	}
	var pos, next, in int64   // pos: where the file starts in the stream
	seen := map[uint32]bool{} // a hardlink group's bytes count once
	for _, p := range c.Paths {
		n := tree.Lookup(p)
		if n == nil || n.Type != layer.TypeRegular || n.Size == 0 || n.Inode != 0 && seen[n.Inode] {
			continue
		}
		if n.Inode != 0 {
			seen[n.Inode] = true
		}
		if next < pos+n.Size {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			k, err := sample(zw, tree, n, next-pos, stride)
			if err != nil {
				return 0, fmt.Errorf("/%s: %w", p, err)
			}
			in += k
			next += (pos + n.Size - next + stride - 1) / stride * stride
		}
		pos += n.Size
	}
	if err := zw.Close(); err != nil {
		return 0, err
	}
	est := int64(len(c.Paths)) * headerCost
	if in > 0 {
		est += int64(float64(out.n) / float64(in) * float64(c.Size))
	}
	return est, nil
}

// sample writes blocks of a file's content to w, from offset at on,
// stride bytes apart, each cut short by the end of the file. It returns
// the bytes written.
func sample(w io.Writer, tree *layer.Tree, n *layer.Node, at, stride int64) (int64, error) {
	r, err := tree.Open(n)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	var pos, written int64
	for ; at < n.Size; at += stride {
		if err := skip(r, at-pos); err != nil {
			return written, err
		}
		k, err := io.CopyN(w, r, min(sampleBlock, n.Size-at))
		written += k
		if err == io.EOF {
			return written, fmt.Errorf("shorter than the %d bytes recorded", n.Size)
		}
		if err != nil {
			return written, err
		}
		pos = at + k
	}
	return written, nil
}

// skip moves n bytes ahead in r: a seek where r can, else a read.
func skip(r io.Reader, n int64) error {
	if s, ok := r.(io.Seeker); ok {
		_, err := s.Seek(n, io.SeekCurrent)
		return err
	}
	_, err := io.CopyN(io.Discard, r, n)
	return err
}

type counter struct{ n int64 }

func (c *counter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}
