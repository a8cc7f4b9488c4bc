package layer

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"runtime"
	"sync"
	"weak"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"
)

// Loader turns image layers into indexes and trees. It reads each distinct
// layer (by diff_id) at most once per process, and at most once per machine
// when it has a Cache.
type Loader struct {
	cache *Cache
	store *Store
	// Jobs bounds how many layers are read at once (GOMAXPROCS when 0).
	Jobs int
	// MaxExpand refuses a layer whose files add up to more bytes
	// (DefaultMaxExpand when 0).
	MaxExpand int64
	// Progress, when set, hears the compressed bytes of each layer blob
	// read, from several goroutines at once; a layer whose index the cache
	// holds is not read, and reports nothing.
	Progress Progress
	// Warn, when set, is told about problems that do not change results,
	// such as a cache that cannot be written. It may be called from
	// several goroutines at once.
	Warn func(msg string)

	mu    sync.Mutex
	memo  map[v1.Hash]*memoEntry
	owned string // a temporary store directory to remove on Close
}

// memoEntry is a layer being read, or read. Once read, the index is held
// weakly: trees built from it keep what they need, and a layer asked for
// again after its index was collected is read again (from the cache when
// there is one), so a process's memory is not the sum of every index it
// ever read.
type memoEntry struct {
	done chan struct{}
	idx  weak.Pointer[Index]
	err  error
	// cancelled says err is the reader's cancelled context, not the
	// layer's fault: others read the layer again.
	cancelled bool
}

// NewLoader returns a Loader using cache, or, when cache is nil, a private
// temporary store that Close removes.
func NewLoader(cache *Cache) (*Loader, error) {
	l := &Loader{cache: cache, memo: map[v1.Hash]*memoEntry{}}
	if cache != nil {
		l.store = cache.Store()
		return l, nil
	}
	dir, err := os.MkdirTemp("", "oslayer-content-")
	if err != nil {
		return nil, fmt.Errorf("creating temporary store: %w", err)
	}
	temporaries.Store(dir, true)
	l.owned = dir
	l.store, err = NewStore(dir)
	return l, err
}

// Dirs returns the directories the loader writes to (cache and content
// store), which a rootfs walk of "/" must leave out.
func (l *Loader) Dirs() []string {
	dirs := []string{l.store.dir}
	if l.cache != nil {
		dirs = append(dirs, l.cache.dir)
	}
	return dirs
}

// Close removes temporary files.
func (l *Loader) Close() error {
	if l.owned != "" {
		return os.RemoveAll(l.owned)
	}
	return nil
}

// Index returns the index of layer i (0-based) of img.
func (l *Loader) Index(ctx context.Context, img *Image, i int) (*Index, error) {
	info := img.Layers[i]
	for {
		l.mu.Lock()
		m, ok := l.memo[info.DiffID]
		if !ok {
			m = &memoEntry{done: make(chan struct{})}
			l.memo[info.DiffID] = m
		}
		l.mu.Unlock()
		if !ok {
			return l.loadMemo(ctx, img, i, m)
		}
		select {
		case <-m.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		if m.err != nil && !m.cancelled {
			return nil, m.err
		}
		if idx := m.idx.Value(); idx != nil {
			return idx, nil
		}
		// Collected, or its reader was cancelled: read it again.
		l.mu.Lock()
		if l.memo[info.DiffID] == m {
			delete(l.memo, info.DiffID)
		}
		l.mu.Unlock()
	}
}

// loadMemo reads a layer for the memo entry m, which the caller created.
func (l *Loader) loadMemo(ctx context.Context, img *Image, i int, m *memoEntry) (*Index, error) {
	idx, err := l.load(ctx, img, i)
	m.idx, m.err = weak.Make(idx), err
	m.cancelled = err != nil && ctx.Err() != nil
	close(m.done)
	return idx, err
}

func (l *Loader) load(ctx context.Context, img *Image, i int) (*Index, error) {
	info := img.Layers[i]
	if l.cache != nil {
		if idx := l.cache.Get(info.DiffID); idx != nil {
			// The same bound as reading the layer, whatever the cache holds.
			if max := cmp.Or(l.MaxExpand, DefaultMaxExpand); idx.logicalSize() > max {
				return nil, layerError(img, i, fmt.Errorf("the layer's files add up to more than %d bytes (--max-expand)", max))
			}
			return idx, nil
		}
	}
	idx, err := l.read(ctx, img, i, io.Discard, true)
	if err != nil {
		return nil, layerError(img, i, err)
	}
	if l.cache != nil {
		// The layer was read and verified: a cache that cannot be written
		// costs time later, not this result.
		if err := l.cache.Put(info.DiffID, idx); err != nil && l.Warn != nil {
			l.Warn(fmt.Sprintf("%s: layer %d/%d %s: %v", img.Ref, i+1, len(img.Layers), info.Digest, err))
		}
	}
	return idx, nil
}

// readingName names layer i of img for a Progress.
func readingName(img *Image, i int) string {
	return fmt.Sprintf("reading %s layer %d/%d", img.Ref, i+1, len(img.Layers))
}

func layerError(img *Image, i int, err error) error {
	return fmt.Errorf("%s: layer %d/%d %s: %w", img.Ref, i+1, len(img.Layers), img.Layers[i].Digest, err)
}

// read streams blob i of img: the blob digest and the diff_id are checked
// while the tar is indexed, decompression running ahead on its own core.
// The uncompressed stream is also copied to spool. Without digest, content
// digests are not computed (see indexTar).
func (l *Loader) read(ctx context.Context, img *Image, i int, spool io.Writer, digest bool) (*Index, error) {
	info := img.Layers[i]
	meter := startMeter(l.Progress, readingName(img, i), info.Size)
	defer meter.Done()
	compressed, err := info.layer.Compressed()
	if err != nil {
		return nil, fmt.Errorf("opening blob: %w", err)
	}
	defer compressed.Close()
	rc := MeterReader(compressed, meter)
	blobHash := sha256.New()
	blob := &countingReader{r: io.TeeReader(ctxReader{ctx, rc}, blobHash)}
	zr, err := decompress(blob)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	ra := newReadAhead(zr)
	defer ra.Close()
	diffHash := sha256.New()
	sink := io.MultiWriter(diffHash, spool)
	idx, err := indexTar(ctx, io.TeeReader(ra, sink), Kept, l.store, digest, cmp.Or(l.MaxExpand, DefaultMaxExpand))
	if err == nil {
		// Trailing bytes after the tar's end (or a truncated compressed
		// stream) are read here, so that both digests cover everything.
		if _, err = io.Copy(sink, ra); err != nil {
			err = fmt.Errorf("reading end of layer: %w", err)
		}
	}
	// The whole blob is hashed even after a failure: a damaged blob is best
	// reported as what it is, not as the decompressor's complaint. The
	// read-ahead goroutine is stopped first: it reads the same stream, and
	// what it read was hashed, in order, on its way.
	ra.Close()
	if _, cerr := io.Copy(blobHash, ctxReader{ctx, rc}); cerr != nil {
		// The blob could not be read to its end (a stalled or reset
		// download): its digest says nothing, the read error says why.
		if err == nil || !errors.Is(err, cerr) {
			err = fmt.Errorf("reading blob: %w", cerr)
		}
		return nil, err
	}
	if cerr := ctx.Err(); cerr != nil {
		// Stopped, not damaged: the digests cover only what was read.
		return nil, cerr
	}
	if derr := checkDigest("blob digest", info.Digest, blobHash); derr != nil {
		if err != nil {
			return nil, fmt.Errorf("%w (%v)", derr, err)
		}
		return nil, derr
	}
	if err != nil {
		return nil, err
	}
	if info.Size > 0 && blob.n != info.Size {
		return nil, fmt.Errorf("blob is %d bytes, the manifest says %d", blob.n, info.Size)
	}
	if err := checkDigest("diff_id", info.DiffID, diffHash); err != nil {
		return nil, err
	}
	return idx, nil
}

// Spool reads layer i of img once more, whatever the cache holds, writing
// its uncompressed stream to w while indexing and verifying it: the
// offsets of the index are then offsets into what w received. Content
// digests are not computed (the entries' Digest is zero): the stream is
// verified as a whole, and its content can be read again from w's copy.
func (l *Loader) Spool(ctx context.Context, img *Image, i int, w io.Writer) (*Index, error) {
	idx, err := l.read(ctx, img, i, w, false)
	if err != nil {
		return nil, layerError(img, i, err)
	}
	return idx, nil
}

func checkDigest(what string, want v1.Hash, h hash.Hash) error {
	if want.Algorithm != "sha256" {
		return fmt.Errorf("%s %s: unsupported digest algorithm", what, want)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want.Hex {
		return fmt.Errorf("%s mismatch: expected %s, content hashes to sha256:%s", what, want, got)
	}
	return nil
}

// Indexes returns the indexes of the first n layers of img, reading up to
// Jobs layers at once.
func (l *Loader) Indexes(ctx context.Context, img *Image, n int) ([]*Index, error) {
	out := make([]*Index, n)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(l.jobs())
	for i := range n {
		g.Go(func() error {
			idx, err := l.Index(ctx, img, i)
			out[i] = idx
			return err
		})
	}
	return out, g.Wait()
}

// Tree merges the first n layers of img into a Tree: the checkout of an
// encapsulated image (see Tree.Encapsulated). Which regular files
// Tree.Open can read is the policy's choice (ContentKept or
// ContentReread; ContentSpool is SpoolTree's).
func (l *Loader) Tree(ctx context.Context, img *Image, n int, policy Content) (*Tree, error) {
	if policy == ContentSpool {
		return nil, errors.New("a spooled tree is read with SpoolTree")
	}
	idxs, err := l.Indexes(ctx, img, n)
	if err != nil {
		return nil, err
	}
	t := NewTree()
	for i, idx := range idxs {
		if err := t.Apply(idx, i); err != nil {
			return nil, layerError(img, i, err)
		}
	}
	t.checkout()
	t.freeze()
	if err := l.keepContent(ctx, img, t); err != nil {
		return nil, err
	}
	t.content = func(n *Node) (io.ReadCloser, error) {
		if policy == ContentKept && !Kept(n.Path()) {
			return nil, ErrNoContent
		}
		return l.open(ctx, img, n, policy)
	}
	t.reread = func(n *Node) (io.ReadCloser, error) { return l.open(ctx, img, n, ContentReread) }
	t.readFiles = func(ctx context.Context, nodes []*Node, fn func(*Node, io.Reader) error) error {
		return l.ReadFiles(ctx, img, nodes, fn)
	}
	return t, nil
}

// ctxReader stops a long read when its context is cancelled.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// jobs is how many layers the loader reads at once.
func (l *Loader) jobs() int {
	if l.Jobs <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return l.Jobs
}
