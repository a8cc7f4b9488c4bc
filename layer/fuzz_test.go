package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"testing"
	"time"

	"github.com/oslayer/oslayer/fixtures"
)

// FuzzIndexApply feeds arbitrary bytes to the tar walk and merges whatever
// indexes as two stacked layers: no input may panic, and every node of the
// resulting tree must sit at a clean path that Lookup finds again.
func FuzzIndexApply(f *testing.F) {
	seeds := [][]fixtures.File{
		{d("a", 0o755), reg("a/f", "x", 0o644), sym("l", "a"), fixtures.Hardlink("h", "a/f", 0o644)},
		{fixtures.Opaque("a"), fixtures.Whiteout("l"), reg("l/x", "1", 0o644), reg("a/g", "yy", 0o600)},
		{sym("up", "../.."), reg("up/etc/x", "1", 0o644), sym("loop", "loop"), d("lib", 0o755), fixtures.Whiteout("lib/k")},
		{{Path: "dev/null", Type: tar.TypeChar, Mode: 0o666}, {Path: "f", Type: tar.TypeReg, Xattrs: map[string]string{"user.a": "b"}}},
	}
	for _, s := range seeds {
		f.Add(fixtures.Tar(f, s...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Sparse headers may legitimately expand to gigabytes of zeros;
		// the fuzzer looks for crashes, not for slow inputs.
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		idx, err := IndexTar(ctx, bytes.NewReader(data), nil, nil)
		if err != nil {
			return
		}
		tree := NewTree()
		for layer := range 2 {
			if err := tree.Apply(idx, layer); err != nil {
				return
			}
		}
		for p, n := range tree.Walk() {
			clean, err := CleanPath(p)
			if err != nil || clean != p {
				t.Fatalf("node at unclean path %q (%v)", p, err)
			}
			if tree.Lookup(p) != n {
				t.Fatalf("Lookup(%q) does not find the walked node", p)
			}
			if n.Type == 0 {
				t.Fatalf("node %q has no type", p)
			}
		}
	})
}

// FuzzSparseMap checks the sparse maps oslayer reads back from a tar's
// headers against archive/tar's expansion of the same entries: whatever
// the bytes, an entry indexed sparse has the hole digest of the bytes
// archive/tar reads for it, and opens again to those bytes.
func FuzzSparseMap(f *testing.F) {
	var pax10, pax01 bytes.Buffer
	fixtures.SparseEntry(&pax10, "f", 3<<20, 1<<20+5, "data")
	pax10.Write(make([]byte, 1024))
	f.Add(pax10.Bytes())
	// The old GNU form, as GNU tar writes it (tar --format=gnu -S), 26
	// runs: a map in the header and two extension blocks.
	gnu, err := os.ReadFile("testdata/gnu-sparse.tar")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(gnu)
	rec := fixtures.PAXRecord("GNU.sparse.major", "0") + fixtures.PAXRecord("GNU.sparse.minor", "1") +
		fixtures.PAXRecord("GNU.sparse.name", "h") + fixtures.PAXRecord("GNU.sparse.size", "2097152") +
		fixtures.PAXRecord("GNU.sparse.numblocks", "1") + fixtures.PAXRecord("GNU.sparse.map", "1048576,2")
	fixtures.RawBlock(&pax01, fixtures.RawHeader("PaxHeaders/h", 'x', int64(len(rec))))
	fixtures.RawBlock(&pax01, []byte(rec))
	fixtures.RawBlock(&pax01, fixtures.RawHeader("h", '0', 2))
	fixtures.RawBlock(&pax01, []byte("hi"))
	pax01.Write(make([]byte, 1024))
	f.Add(pax01.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		idx, err := indexTar(ctx, bytes.NewReader(data), nil, nil, true, 64<<20)
		if err != nil {
			return
		}
		for _, e := range idx.Entries {
			if !e.Sparse {
				continue
			}
			tr := tar.NewReader(bytes.NewReader(data[e.Header:]))
			if _, err := tr.Next(); err != nil {
				t.Fatalf("entry %q indexed sparse, but archive/tar cannot read its header again: %v", e.Path, err)
			}
			hh := newHoleHasher(e.Size)
			if _, err := io.Copy(hh, tr); err != nil {
				t.Fatalf("entry %q indexed sparse, but archive/tar cannot read it: %v", e.Path, err)
			}
			if d, whole := hh.Sum(); d != e.Digest || !whole {
				t.Fatalf("entry %q: hole digest %s, archive/tar's bytes give %s", e.Path, e.Digest, d)
			}
			n := &Node{Metadata: e.Metadata, Offset: e.Offset, Header: e.Header}
			f, err := openSparse(bytes.NewReader(data[e.Header:]), n, true)
			if err != nil {
				t.Fatalf("entry %q does not open again: %v", e.Path, err)
			}
			if _, err := io.Copy(io.Discard, f); err != nil {
				t.Fatalf("entry %q reads again wrong: %v", e.Path, err)
			}
		}
	})
}
