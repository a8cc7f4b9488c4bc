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
const indexFormat = 4

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
	return &Cache{dir: idx, store: store}, nil
}

// Store returns the cache's content store.
func (c *Cache) Store() *Store { return c.store }

type cachedIndex struct {
	DiffID string
	Index  *Index
	// Kept lists the digests the walker stored; the entry is only valid
	// while the store still has them all.
	Kept []Digest
}

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
	var ci cachedIndex
	if err := gob.NewDecoder(bufio.NewReaderSize(f, 1<<20)).Decode(&ci); err != nil {
		return nil
	}
	if ci.DiffID != diffID.String() || ci.Index == nil {
		return nil
	}
	for i := range ci.Index.Entries {
		if p := ci.Index.Entries[i].Path; !isClean(p) {
			return nil
		}
	}
	for _, d := range ci.Kept {
		if !c.store.Has(d) {
			return nil
		}
	}
	return ci.Index
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
	if err := gob.NewEncoder(w).Encode(cachedIndex{DiffID: diffID.String(), Index: idx, Kept: kept}); err != nil {
		tmp.Close()
		return fmt.Errorf("caching index: %w", err)
	}
	if err := w.Flush(); err != nil {
		tmp.Close()
		return fmt.Errorf("caching index: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("caching index: %w", err)
	}
	if err := os.Rename(tmp.Name(), c.path(diffID)); err != nil {
		return fmt.Errorf("caching index: %w", err)
	}
	return nil
}
