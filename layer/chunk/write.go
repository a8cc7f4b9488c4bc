package chunk

import (
	"bufio"
	"cmp"
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/oslayer/oslayer/layer"
)

// WriteOptions says how layers are written.
type WriteOptions struct {
	Compression layer.Compression
	Level       int
	// KeepSELinux keeps security.selinux xattrs, which bootc relabels on
	// deployment anyway.
	KeepSELinux bool
	// Epoch, when set (SOURCE_DATE_EPOCH), clamps modification times to it;
	// otherwise every entry is modified at the Unix epoch (see Mtime).
	Epoch *int64
	// Files makes the blob files (in the system's temporary directory
	// when nil).
	Files *layer.BlobFiles
	// Jobs bounds how many layers are compressed at once (GOMAXPROCS when 0).
	Jobs int
	// Progress, when set, hears the file content of each layer as it is
	// written, of the layer's Size; layers are written on several
	// goroutines at once.
	Progress layer.Progress
}

// Blob is a written, compressed layer.
type Blob struct {
	Path   string
	Digest v1.Hash // of the compressed bytes
	DiffID v1.Hash // of the uncompressed tar
	Size   int64   // compressed
	// TarSize is the uncompressed size.
	TarSize int64
}

// Mtime normalises a modification time (ns since the epoch): 0 — what
// ostree gives every deployed file — unless an epoch (SOURCE_DATE_EPOCH,
// in seconds) is set, and then the time clamped to that epoch, as the
// reproducible-builds convention asks. Either way a file rewritten with the
// same content by a rebuild gets the same time, so its layer does not
// change.
func Mtime(t int64, epoch *int64) int64 {
	if epoch == nil {
		return 0
	}
	return min(t, *epoch*1e9)
}

// layerEntries returns the tar entries of one layer: the paths of its
// components and every directory above them, sorted, parents first, with
// normalised times and xattrs. A hardlink group's first path carries the
// content, the others link to it.
func layerEntries(tree *layer.Tree, l *Layer, opts WriteOptions) ([]layer.TarEntry, error) {
	paths := map[string]bool{}
	for _, c := range l.Components {
		for _, p := range c.Paths {
			paths[p] = true
			for d, _ := splitPath(p); d != "" && !paths[d]; d, _ = splitPath(d) {
				paths[d] = true
			}
		}
	}
	sorted := slices.Sorted(maps.Keys(paths))
	out := make([]layer.TarEntry, 0, len(sorted)+1)
	if root := tree.Root; !root.Implicit {
		// A declared root (Fedora's is 0555) is part of every layer too.
		e := layer.TarEntry{Path: ".", Metadata: root.Metadata}
		e.ModTime = Mtime(root.ModTime, opts.Epoch)
		e.Xattrs = keptXattrs(root.Xattrs, opts.KeepSELinux)
		out = append(out, e)
	}
	first := map[uint32]string{} // hardlink group → the path holding content
	for _, p := range sorted {
		n := tree.Lookup(p)
		if n == nil {
			return nil, fmt.Errorf("/%s: not in the tree", p)
		}
		e := layer.TarEntry{Path: p, Metadata: n.Metadata}
		e.ModTime = Mtime(n.ModTime, opts.Epoch)
		e.Xattrs = keptXattrs(n.Xattrs, opts.KeepSELinux)
		if n.Type == layer.TypeRegular {
			if n.Inode != 0 {
				if target, ok := first[n.Inode]; ok {
					e.Hardlink = target
					out = append(out, e)
					continue
				}
				first[n.Inode] = p
			}
			if n.Size > 0 {
				e.Content = func() (io.ReadCloser, error) { return tree.Open(n) }
			}
		}
		out = append(out, e)
	}
	return out, nil
}

func keptXattrs(x map[string]string, selinux bool) map[string]string {
	if len(x) == 0 {
		return nil
	}
	out := make(map[string]string, len(x))
	for k, v := range x {
		if k == "security.selinux" && !selinux {
			continue
		}
		out[k] = v
	}
	return out
}

// writeLayers writes every layer as a compressed blob in opts.Dir, on all
// cores, the biggest first. On error the blobs written so far are removed.
func writeLayers(ctx context.Context, tree *layer.Tree, layers []*Layer, opts WriteOptions) ([]*Blob, error) {
	blobs := make([]*Blob, len(layers))
	order := make([]int, len(layers))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(layers[b].Size, layers[a].Size) })
	jobs := opts.Jobs
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(jobs)
	var commits errgroup.Group
	for _, i := range order {
		g.Go(func() error {
			var meter layer.Meter
			if opts.Progress != nil {
				meter = opts.Progress.Start(fmt.Sprintf("writing layer %d/%d (%s)", i+1, len(layers), shortNames(layers[i])), layers[i].Size)
			}
			b, f, err := writeLayer(gctx, tree, layers[i], opts, meter)
			if err != nil {
				return fmt.Errorf("layer %d (%s): %w", i+1, shortNames(layers[i]), err)
			}
			// Making the blob durable waits for the disk, not for a core:
			// the worker goes on with the next layer meanwhile.
			commits.Go(func() error {
				var err error
				if b.Path, err = opts.Files.Commit(f, b.Digest); err != nil {
					return fmt.Errorf("layer %d (%s): %w", i+1, shortNames(layers[i]), err)
				}
				blobs[i] = b
				return nil
			})
			return nil
		})
	}
	err := g.Wait()
	if cerr := commits.Wait(); err == nil {
		err = cerr
	}
	if err != nil {
		removeBlobs(opts.Files, blobs)
		return nil, err
	}
	return blobs, nil
}

// removeBlobs removes written blob files (except those already in place
// in a destination layout, see layer.BlobFiles.Discard).
func removeBlobs(files *layer.BlobFiles, blobs []*Blob) {
	for _, b := range blobs {
		if b != nil {
			files.Discard(b.Path)
		}
	}
}

// writeLayer writes one layer's blob file and returns it still open, to
// be committed. meter, when not nil, counts the content read, and is done
// when writeLayer returns.
func writeLayer(ctx context.Context, tree *layer.Tree, l *Layer, opts WriteOptions, meter layer.Meter) (*Blob, *os.File, error) {
	if meter != nil {
		defer meter.Done()
	}
	entries, err := layerEntries(tree, l, opts)
	if err != nil {
		return nil, nil, err
	}
	for i := range entries {
		if open := entries[i].Content; open != nil {
			entries[i].Content = func() (io.ReadCloser, error) {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
				rc, err := open()
				if err != nil || meter == nil {
					return rc, err
				}
				return struct {
					io.Reader
					io.Closer
				}{layer.MeterReader(rc, meter), rc}, nil
			}
		}
	}
	f, err := opts.Files.Create()
	if err != nil {
		return nil, nil, err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	bw := bufio.NewWriterSize(f, 1<<20)
	compressed := &hashCounter{h: sha256.New()}
	zw, err := layer.Compress(io.MultiWriter(bw, compressed), opts.Compression, opts.Level)
	if err != nil {
		return nil, nil, err
	}
	uncompressed := &hashCounter{h: sha256.New()}
	if err := layer.WriteTar(ctx, io.MultiWriter(zw, uncompressed), entries); err != nil {
		return nil, nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, nil, err
	}
	if err := bw.Flush(); err != nil {
		return nil, nil, err
	}
	ok = true
	return &Blob{
		Digest:  v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", compressed.h.Sum(nil))},
		DiffID:  v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", uncompressed.h.Sum(nil))},
		Size:    compressed.n,
		TarSize: uncompressed.n,
	}, f, nil
}

// hashCounter hashes and counts what is written.
type hashCounter struct {
	h hash.Hash
	n int64
}

func (w *hashCounter) Write(p []byte) (int, error) {
	w.h.Write(p)
	w.n += int64(len(p))
	return len(p), nil
}

// shortNames names a layer's components for messages, at most three.
func shortNames(l *Layer) string {
	names := l.Names()
	if len(names) > 3 {
		return strings.Join(names[:3], ", ") + fmt.Sprintf(" and %d more", len(names)-3)
	}
	return strings.Join(names, ", ")
}
