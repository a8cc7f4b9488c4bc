package layer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Store keeps the content of selected files (package databases) by digest,
// so that a cached layer index does not need its layer read again to answer
// questions about them. It is a directory of files named by sha256.
type Store struct {
	dir string
}

// NewStore returns a Store in dir, creating the directory if needed.
func NewStore(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("creating content store: %w", err)
	}
	return &Store{dir: dir}, nil
}

// Has reports whether the store holds content with digest d.
func (s *Store) Has(d Digest) bool {
	_, err := os.Stat(s.path(d))
	return err == nil
}

// Open opens the content with digest d.
func (s *Store) Open(d Digest) (*os.File, error) {
	f, err := os.Open(s.path(d))
	if err != nil {
		return nil, fmt.Errorf("content %s: %w", d, err)
	}
	return f, nil
}

// verify reports whether the stored content named d hashes to d.
func (s *Store) verify(d Digest) bool {
	f, err := os.Open(s.path(d))
	if err != nil {
		return false
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return false
	}
	return Digest(h.Sum(nil)) == d
}

// put stores data, whose digest is d, unless the store has it.
func (s *Store) put(d Digest, data []byte) error { return s.putReader(d, bytes.NewReader(data)) }

// putReader stores what r reads, whose digest is d, unless the store has
// it.
func (s *Store) putReader(d Digest, r io.Reader) error {
	if s.Has(d) {
		return nil
	}
	p, err := s.create()
	if err != nil {
		return err
	}
	defer p.abort()
	if _, err := io.Copy(p, r); err != nil {
		return err
	}
	return p.commit(d)
}

func (s *Store) path(d Digest) string { return filepath.Join(s.dir, hex.EncodeToString(d[:])) }

// pendingBlob is content being written; commit names it by its digest.
type pendingBlob struct {
	*os.File
	s    *Store
	done bool
}

func (s *Store) create() (*pendingBlob, error) {
	f, err := os.CreateTemp(s.dir, ".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("content store: %w", err)
	}
	return &pendingBlob{File: f, s: s}, nil
}

func (p *pendingBlob) commit(d Digest) error {
	if err := p.Close(); err != nil {
		return fmt.Errorf("content store: %w", err)
	}
	if err := os.Rename(p.Name(), p.s.path(d)); err != nil {
		return fmt.Errorf("content store: %w", err)
	}
	p.done = true
	return nil
}

// abort removes the temporary file unless commit succeeded.
func (p *pendingBlob) abort() {
	if p.done {
		return
	}
	p.Close()
	os.Remove(p.Name())
}
