package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
)

// sparseFixture writes a file of size bytes with data runs at the given
// offsets (each run a few KiB of non-zero bytes) and returns its bytes.
func sparseFixture(t *testing.T, path string, size int64, offsets ...int64) []byte {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
	want := make([]byte, size)
	for i, off := range offsets {
		run := bytes.Repeat([]byte(fmt.Sprintf("run %d;", i)), 1000)
		run = run[:min(int64(len(run)), size-off)]
		if _, err := f.WriteAt(run, off); err != nil {
			t.Fatal(err)
		}
		copy(want[off:], run)
	}
	return want
}

func holeDigestOf(b []byte) Digest {
	hh := newHoleHasher(int64(len(b)))
	hh.Write(b)
	d, _ := hh.Sum()
	return d
}

// TestSparseFormats: GNU tar's four sparse formats are the oracle. Each
// is indexed from its data alone to the hole digest of the file's bytes,
// reads back through its map as those bytes, and writes out again in a
// layer that GNU tar and archive/tar extract to the same bytes.
func TestSparseFormats(t *testing.T) {
	fixtures.RequireTools(t, "tar")
	cases := []struct {
		name    string
		size    int64
		offsets []int64
	}{
		{"one run in the middle", 8 << 20, []int64{3<<20 + 17}},
		{"data at both ends", 5 << 20, []int64{0, 5<<20 - 100}},
		{"all hole", 3 << 20, nil},
		// More runs than a GNU header holds (4) and than one extension
		// block (21): the map continues in two extension blocks.
		{"fifty runs", 64 << 20, func() (o []int64) {
			for i := range int64(50) {
				o = append(o, i*(1<<20)+i*4096)
			}
			return o
		}()},
	}
	formats := [][]string{
		{"--format=gnu"},
		{"--format=posix", "--sparse-version=0.0"},
		{"--format=posix", "--sparse-version=0.1"},
		{"--format=posix", "--sparse-version=1.0"},
	}
	for _, c := range cases {
		dir := t.TempDir()
		want := sparseFixture(t, filepath.Join(dir, "f"), c.size, c.offsets...)
		wantDigest := holeDigestOf(want)
		for _, format := range formats {
			t.Run(fmt.Sprintf("%s %v", c.name, format), func(t *testing.T) {
				archive := filepath.Join(t.TempDir(), "a.tar")
				fixtures.Run(t, dir, "tar", append(format, "-S", "-cf", archive, "f")...)
				data, err := os.ReadFile(archive)
				if err != nil {
					t.Fatal(err)
				}
				idx, err := IndexTar(context.Background(), bytes.NewReader(data), nil, nil)
				if err != nil {
					t.Fatal(err)
				}
				e := idx.Entries[0]
				if !e.Sparse || e.Size != c.size || e.Digest != wantDigest {
					t.Fatalf("entry = %+v, want sparse with hole digest %s", e, wantDigest)
				}
				n := &Node{Metadata: e.Metadata, Name: "f", Offset: e.Offset, Header: e.Header}
				f, err := openSparse(bytes.NewReader(data[e.Header:]), n, true)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(f)
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("read back: %d bytes, %v; same bytes: %v", len(got), err, bytes.Equal(got, want))
				}
				checkSparseWrite(t, data[e.Header:], n, want)
			})
		}
	}
}

// checkSparseWrite writes the sparse entry at the start of entry into a
// layer, where it becomes a plain entry (no sparse form is safe in an image
// layer), and extracts that with archive/tar and GNU tar. The written file
// indexes to the sha256 of its bytes, and its hole digest is the sparse
// one's.
func checkSparseWrite(t *testing.T, entry []byte, n *Node, want []byte) {
	t.Helper()
	f, err := openSparse(bytes.NewReader(entry), n, true)
	if err != nil {
		t.Fatal(err)
	}
	long := "usr/share/" + string(bytes.Repeat([]byte("long-name/"), 12)) + "f"
	e := TarEntry{Path: long, Metadata: n.Metadata, Content: func() (io.ReadCloser, error) { return f, nil }}
	e.Xattrs = map[string]string{"user.test": "v"}
	var layer bytes.Buffer
	if err := WriteTar(context.Background(), &layer, []TarEntry{{Path: "usr", Metadata: Metadata{Type: TypeDir, Mode: 0o755}}, e}); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(layer.Bytes()))
	tr.Next()
	hdr, err := tr.Next()
	if err != nil || hdr.Name != long || hdr.Size != n.Size || hdr.Typeflag != tar.TypeReg || hdr.PAXRecords["SCHILY.xattr.user.test"] != "v" {
		t.Fatalf("archive/tar reads %+v, %v", hdr, err)
	}
	if got, err := io.ReadAll(tr); err != nil || !bytes.Equal(got, want) {
		t.Errorf("archive/tar: %d bytes, %v", len(got), err)
	}
	idx, err := IndexTar(context.Background(), bytes.NewReader(layer.Bytes()), nil, nil)
	if err != nil || len(idx.Entries) != 2 || idx.Entries[1].Sparse || idx.Entries[1].Digest != Digest(sha256.Sum256(want)) {
		t.Fatalf("the written layer indexes to %+v, %v", idx, err)
	}
	tree := NewTree()
	if err := tree.Apply(idx, 0); err != nil {
		t.Fatal(err)
	}
	tree.content = func(*Node) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(want)), nil }
	if d, err := tree.HoleDigest(tree.Lookup(long)); err != nil || d != n.Digest {
		t.Errorf("hole digest of the written file: %s, %v; want %s", d, err, n.Digest)
	}
	out := t.TempDir()
	p := filepath.Join(out, "layer.tar")
	os.WriteFile(p, layer.Bytes(), 0o644)
	fixtures.Run(t, out, "tar", "-xf", p)
	got, err := os.ReadFile(filepath.Join(out, long))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("GNU tar: %d bytes, %v", len(got), err)
	}
}

// TestSparseUnderAMiBIsHashedAsBytes: a few KiB of holes are not worth a
// second kind of digest.
func TestSparseUnderAMiBIsHashedAsBytes(t *testing.T) {
	fixtures.RequireTools(t, "tar")
	dir := t.TempDir()
	want := sparseFixture(t, filepath.Join(dir, "f"), 1<<20, 0, 900<<10)
	archive := filepath.Join(dir, "a.tar")
	fixtures.Run(t, dir, "tar", "--format=gnu", "-S", "-cf", archive, "f")
	data, _ := os.ReadFile(archive)
	idx, err := IndexTar(context.Background(), bytes.NewReader(data), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e := idx.Entries[0]; e.Sparse || e.Digest != Digest(sha256.Sum256(want)) {
		t.Errorf("entry = %+v, want the sha256 of its bytes", e)
	}
}

// TestSparseRootfs: a rootfs file the filesystem keeps sparse gets the
// same hole digest as its sparse tar entry, from SEEK_DATA and SEEK_HOLE,
// and opens as a SparseFile.
func TestSparseRootfs(t *testing.T) {
	dir := t.TempDir()
	want := sparseFixture(t, filepath.Join(dir, "f"), 16<<20, 1<<20, 9<<20)
	var st syscall.Stat_t
	if err := syscall.Stat(filepath.Join(dir, "f"), &st); err != nil || st.Blocks*512 > 1<<20 {
		t.Skipf("the filesystem of %s does not keep holes (%d blocks)", dir, st.Blocks)
	}
	tree, err := TreeFromDir(context.Background(), dir, DirOptions{Hash: true})
	if err != nil {
		t.Fatal(err)
	}
	n := tree.Lookup("f")
	if !n.Sparse || n.Digest != holeDigestOf(want) {
		t.Fatalf("node = %+v, want the hole digest %s", n.Metadata, holeDigestOf(want))
	}
	rc, err := tree.Open(n)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	f, ok := rc.(*SparseFile)
	if !ok || len(f.Extents()) != 2 || holes(f.Extents(), n.Size) < 14<<20 {
		t.Fatalf("opened as %T with extents %v", rc, f.Extents())
	}
	if got, err := io.ReadAll(f); err != nil || !bytes.Equal(got, want) {
		t.Errorf("read %d bytes, %v", len(got), err)
	}
	// A dense copy of the same bytes: its hole digest is the sparse file's.
	os.WriteFile(filepath.Join(dir, "g"), want, 0o644)
	tree, err = TreeFromDir(context.Background(), dir, DirOptions{Hash: true})
	if err != nil {
		t.Fatal(err)
	}
	g := tree.Lookup("g")
	if d, err := tree.HoleDigest(g); g.Sparse || err != nil || d != n.Digest {
		t.Errorf("dense copy: sparse %v, hole digest %s, %v; want %s", g.Sparse, d, err, n.Digest)
	}
}

// TestHoleHasherIsCanonical: however the bytes come, as data or as holes
// and in whatever pieces, the digest is the same.
func TestHoleHasherIsCanonical(t *testing.T) {
	b := make([]byte, 300<<10+7)
	copy(b[70<<10:], "x")
	copy(b[200<<10-1:], "yz")
	want := holeDigestOf(b)
	for _, step := range []int{1, 511, 4096, 64 << 10, 100 << 10} {
		hh := newHoleHasher(int64(len(b)))
		for i := 0; i < len(b); i += step {
			chunk := b[i:min(i+step, len(b))]
			if bytes.Equal(chunk, make([]byte, len(chunk))) {
				hh.Zero(int64(len(chunk)))
			} else {
				hh.Write(chunk)
			}
		}
		if d, whole := hh.Sum(); d != want || !whole {
			t.Errorf("in steps of %d: %s (whole %v), want %s", step, d, whole, want)
		}
	}
	other := bytes.Clone(b)
	other[len(other)-1] = 1
	if holeDigestOf(other) == want || holeDigestOf(b[:len(b)-1]) == want {
		t.Error("different bytes or sizes give the same hole digest")
	}
}
