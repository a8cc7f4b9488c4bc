package layer

import (
	"bufio"
	"encoding/gob"
	"fmt"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// indexFormat versions the cached index files. Bump it whenever Index,
// Entry or what IndexTar records (the captured files included) changes:
// old entries are then ignored.
const indexFormat = 5

// Cache keeps layer indexes by diff_id, so a layer is decompressed once
// however many images share it. Content kept by the walker (package
// databases) lives in the cache's Store.
type Cache struct {
	dir   string
	store *Store
}

// DefaultCacheDir is oslayer's directory under the user's cache directory
// ($XDG_CACHE_HOME or ~/.cache).
func DefaultCacheDir() (string, error) {
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the cache directory: %w", err)
	}
	return filepath.Join(d, "oslayer"), nil
}

// OpenCache opens (creating) a cache in dir.
func OpenCache(dir string) (*Cache, error) {
	idx := filepath.Join(dir, fmt.Sprintf("index-v%d", indexFormat))
	if err := os.MkdirAll(idx, 0o755); err != nil {
		return nil, fmt.Errorf("creating cache: %w", err)
	}
	store, err := NewStore(filepath.Join(dir, "content"))
	if err != nil {
		return nil, err
	}
	// Indexes of older formats are never read again.
	for v := 1; v < indexFormat; v++ {
		os.RemoveAll(filepath.Join(dir, fmt.Sprintf("index-v%d", v)))
	}
	return &Cache{dir: idx, store: store}, nil
}

// Store returns the cache's content store.
func (c *Cache) Store() *Store { return c.store }

// A cached index is a gob stream: a cacheHeader, then the entries in
// batches of at most cacheBatch, so that neither writing nor reading a
// layer of a million entries holds its whole encoding in memory.
type cacheHeader struct {
	DiffID string
	Size   int64
	// Entries is how many entries the batches hold.
	Entries int
	// Kept lists the digests the walker stored; the entry is only valid
	// while the store still has them all.
	Kept []Digest
}

const cacheBatch = 4096

func (c *Cache) path(diffID v1.Hash) string {
	return filepath.Join(c.dir, diffID.Algorithm+"-"+diffID.Hex)
}

// Get returns the cached index of a layer, or nil. A damaged, foreign or
// incomplete entry is a miss.
func (c *Cache) Get(diffID v1.Hash) *Index {
	if !validHash(diffID) {
		return nil
	}
	f, err := os.Open(c.path(diffID))
	if err != nil {
		return nil
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil
	}
	dec := gob.NewDecoder(bufio.NewReaderSize(f, 1<<20))
	var h cacheHeader
	// Every tar entry takes at least one 512-byte block, and at least a
	// byte of the file: a damaged header cannot make oslayer allocate more
	// than the file could hold.
	if err := dec.Decode(&h); err != nil || h.DiffID != diffID.String() || h.Entries < 0 ||
		int64(h.Entries) > h.Size/512 || int64(h.Entries) > st.Size() {
		return nil
	}
	for _, d := range h.Kept {
		if !c.store.Has(d) {
			return nil
		}
	}
	idx := &Index{Size: h.Size, Entries: make([]Entry, 0, h.Entries)}
	for len(idx.Entries) < h.Entries {
		var batch []Entry
		if err := dec.Decode(&batch); err != nil || len(batch) == 0 || len(idx.Entries)+len(batch) > h.Entries {
			return nil
		}
		for i := range batch {
			if !isClean(batch[i].Path) {
				return nil
			}
		}
		idx.Entries = append(idx.Entries, batch...)
	}
	return idx
}

// Put stores the index of a layer, atomically.
func (c *Cache) Put(diffID v1.Hash, idx *Index, kept []Digest) error {
	if !validHash(diffID) {
		return fmt.Errorf("caching index: invalid diff_id %q", diffID)
	}
	tmp, err := os.CreateTemp(c.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("caching index: %w", err)
	}
	defer os.Remove(tmp.Name())
	w := bufio.NewWriterSize(tmp, 1<<20)
	enc := gob.NewEncoder(w)
	err = enc.Encode(cacheHeader{DiffID: diffID.String(), Size: idx.Size, Entries: len(idx.Entries), Kept: kept})
	for i := 0; err == nil && i < len(idx.Entries); i += cacheBatch {
		err = enc.Encode(idx.Entries[i:min(i+cacheBatch, len(idx.Entries))])
	}
	if err == nil {
		err = w.Flush()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), c.path(diffID))
	}
	if err != nil {
		return fmt.Errorf("caching index: %w", err)
	}
	return nil
}
