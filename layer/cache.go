package layer

import (
	"bufio"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// indexFormat versions the cached index files. Bump it whenever Index,
// Entry or what IndexTar records (the captured files included) changes:
// old entries are then ignored.
const indexFormat = 8

// Cache keeps layer indexes by diff_id, so a layer is decompressed once
// however many images share it. Content kept by the walker (package
// databases) lives in the cache's Store.
//
// A cache must never change a result, even one restored from an untrusted
// CI cache: every index file carries an HMAC-SHA256 of its content under
// a key that is not in the cache (see CacheKey), and every file of the
// store is checked against its digest before it is used. What does not
// verify is dropped, warned about once, and read again from the layers.
type Cache struct {
	dir   string
	store *Store
	key   []byte
	// Warn, when set, hears once that entries were dropped.
	Warn   func(string)
	warned sync.Once
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

// CacheKeyEnv names a key shared by machines that share a cache (a CI
// secret): any string, used as the HMAC key of index files.
const CacheKeyEnv = "OSLAYER_CACHE_KEY"

// CacheKey returns the key of the user's cache: $OSLAYER_CACHE_KEY when
// set, else a random key kept in $XDG_CONFIG_HOME/oslayer/cache.key
// (~/.config), created on first use. It is kept out of the cache
// directory on purpose: whoever can write the cache (a restored CI cache)
// cannot make entries this machine accepts.
func CacheKey() ([]byte, error) {
	if k := os.Getenv(CacheKeyEnv); k != "" {
		return []byte(k), nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return nil, fmt.Errorf("finding the cache key: %w", err)
	}
	file := filepath.Join(dir, "oslayer", "cache.key")
	if k, err := os.ReadFile(file); err == nil && len(k) >= 32 {
		return k, nil
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(file), 0o700); err != nil {
		return nil, fmt.Errorf("creating the cache key: %w", err)
	}
	// Two processes creating it at once must agree: the first link wins.
	tmp, err := os.CreateTemp(filepath.Dir(file), ".cache.key-*")
	if err != nil {
		return nil, fmt.Errorf("creating the cache key: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, werr := tmp.Write(k)
	if cerr := tmp.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return nil, fmt.Errorf("creating the cache key: %w", werr)
	}
	if err := os.Link(tmp.Name(), file); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("creating the cache key: %w", err)
	}
	if k, err := os.ReadFile(file); err == nil && len(k) >= 32 {
		return k, nil
	}
	return nil, fmt.Errorf("reading the cache key %s: it is damaged (remove it)", file)
}

// OpenCache opens (creating) a cache in dir, whose index files are
// authenticated with key.
func OpenCache(dir string, key []byte) (*Cache, error) {
	if len(key) == 0 {
		return nil, errors.New("opening the cache: no key")
	}
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
	return &Cache{dir: idx, store: store, key: key}, nil
}

// dropped removes a cache file that did not verify and warns, once.
func (c *Cache) dropped(file string) {
	os.Remove(file)
	c.warned.Do(func() {
		if c.Warn != nil {
			c.Warn(fmt.Sprintf("the layer cache in %s held entries that do not verify (damaged, written under another key, or tampered with): they were dropped and their layers read again",
				filepath.Dir(c.dir)))
		}
	})
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
}

const cacheBatch = 4096

func (c *Cache) path(diffID v1.Hash) string {
	return filepath.Join(c.dir, diffID.Algorithm+"-"+diffID.Hex)
}

// Get returns the cached index of a layer, or nil. A damaged, foreign or
// incomplete entry is a miss; one that does not verify is also dropped.
func (c *Cache) Get(diffID v1.Hash) *Index {
	if !validHash(diffID) {
		return nil
	}
	file := c.path(diffID)
	f, err := os.Open(file)
	if err != nil {
		return nil
	}
	defer f.Close()
	idx, ok := c.read(f, diffID)
	if !ok {
		c.dropped(file)
		return nil
	}
	return idx
}

// read decodes an index file: its MAC, then the gob stream the MAC
// covers, to the end of the file.
func (c *Cache) read(f *os.File, diffID v1.Hash) (*Index, bool) {
	st, err := f.Stat()
	if err != nil {
		return nil, false
	}
	want := make([]byte, sha256.Size)
	if _, err := io.ReadFull(f, want); err != nil {
		return nil, false
	}
	mac := hmac.New(sha256.New, c.key)
	body := io.TeeReader(f, mac)
	dec := gob.NewDecoder(bufio.NewReaderSize(body, 1<<20))
	var h cacheHeader
	// Every tar entry takes at least one 512-byte block, and at least a
	// byte of the file: a damaged header cannot make oslayer allocate more
	// than the file could hold.
	if err := dec.Decode(&h); err != nil || h.DiffID != diffID.String() || h.Entries < 0 ||
		int64(h.Entries) > h.Size/512 || int64(h.Entries) > st.Size() {
		return nil, false
	}
	idx := &Index{Size: h.Size, Entries: make([]Entry, 0, h.Entries)}
	for len(idx.Entries) < h.Entries {
		var batch []Entry
		if err := dec.Decode(&batch); err != nil || len(batch) == 0 || len(idx.Entries)+len(batch) > h.Entries {
			return nil, false
		}
		for i := range batch {
			if !isClean(batch[i].Path) {
				return nil, false
			}
		}
		idx.Entries = append(idx.Entries, batch...)
	}
	// The decoder may have buffered the rest; the MAC covers every byte.
	if _, err := io.Copy(io.Discard, body); err != nil || !hmac.Equal(mac.Sum(nil), want) {
		return nil, false
	}
	return idx, true
}

// Put stores the index of a layer, atomically: its MAC first, then the
// gob stream.
func (c *Cache) Put(diffID v1.Hash, idx *Index) error {
	if !validHash(diffID) {
		return fmt.Errorf("caching index: invalid diff_id %q", diffID)
	}
	tmp, err := os.CreateTemp(c.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("caching index: %w", err)
	}
	defer os.Remove(tmp.Name())
	mac := hmac.New(sha256.New, c.key)
	w := bufio.NewWriterSize(io.MultiWriter(tmp, mac), 1<<20)
	_, err = tmp.Write(make([]byte, sha256.Size)) // the MAC's place
	enc := gob.NewEncoder(w)
	if err == nil {
		err = enc.Encode(cacheHeader{DiffID: diffID.String(), Size: idx.Size, Entries: len(idx.Entries)})
	}
	for i := 0; err == nil && i < len(idx.Entries); i += cacheBatch {
		err = enc.Encode(idx.Entries[i:min(i+cacheBatch, len(idx.Entries))])
	}
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		_, err = tmp.WriteAt(mac.Sum(nil), 0)
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
