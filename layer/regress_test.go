package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/compression"
	"github.com/klauspost/compress/zstd"

	"github.com/oslayer/oslayer/fixtures"
)

// Regression tests for findings of a code review; each failed, hung or
// panicked before its fix.

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// loadOne writes a one-layer image of data to an OCI layout and loads it.
func loadOne(t *testing.T, data []byte, c compression.Compression) error {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	fixtures.WriteOCILayout(t, dir, fixtures.Named{Name: "x", Image: fixtures.Image(t, nil, nil, fixtures.LayerFromTar(t, data, c))})
	im, err := Open(ctx, "oci:"+dir+":x", Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = newLoader(t, nil).Tree(ctx, im, 1, ContentKept)
	return err
}

// A valid blob that fails early must not be reported as damaged: the blob
// is hashed only after the read-ahead goroutine has stopped.
func TestFailingLayerIsNotAFalseDigestMismatch(t *testing.T) {
	notTar := randomBytes(8<<20, 1)
	badFirst := fixtures.Tar(t, fixtures.Reg("/etc/passwd", "x", 0o644), fixtures.Reg("big", string(randomBytes(8<<20, 2)), 0o644))
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{{"not a tar", notTar, "reading tar header"}, {"bad first entry", badFirst, "is absolute"}} {
		for _, c := range []compression.Compression{compression.None, compression.GZip} {
			for range 3 {
				err := loadOne(t, tc.data, c)
				if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "digest mismatch") {
					t.Fatalf("%s (%s): error = %v", tc.name, c, err)
				}
			}
		}
	}
}

func TestDeepPathsApplyInLinearTime(t *testing.T) {
	deep := strings.Repeat("a/", 2000) + "f" // 4001 bytes: within PATH_MAX
	idx := indexOf(t, fixtures.Reg(deep, "x", 0o644))
	tree := NewTree()
	if err := tree.Apply(idx, 0); err != nil {
		t.Fatal(err)
	}
	if n := tree.Lookup(deep); n == nil || n.Size != 1 {
		t.Fatalf("deep file missing: %v", n)
	}
	if _, err := IndexTar(context.Background(), bytes.NewReader(fixtures.Tar(t, fixtures.Reg(strings.Repeat("a/", 2100)+"f", "", 0o644))), nil, nil); err == nil || !strings.Contains(err.Error(), "PATH_MAX") {
		t.Errorf("a name longer than PATH_MAX: %v", err)
	}
}

func TestLongSymlinkTargetsAreRefused(t *testing.T) {
	target := strings.Repeat("./", 2048) + "d"
	_, err := IndexTar(context.Background(), bytes.NewReader(fixtures.Tar(t, fixtures.Symlink("s", target))), nil, nil)
	if err == nil || !strings.Contains(err.Error(), "longer than the kernel allows") {
		t.Errorf("error = %v", err)
	}
}

func TestSparseLayerEntriesAreBounded(t *testing.T) {
	var huge, small bytes.Buffer
	fixtures.SparseEntry(&huge, "f", 1<<50, 0, "")
	huge.Write(make([]byte, 1024))
	if _, err := IndexTar(context.Background(), &huge, nil, nil); err == nil || !strings.Contains(err.Error(), "add up to more than 68719476736 bytes (--max-expand)") {
		t.Errorf("a 2^50-byte sparse file: %v", err)
	}
	// The bound is the layer's, not one file's: many files under it each.
	var many bytes.Buffer
	for i := range 3 {
		fixtures.SparseEntry(&many, fmt.Sprintf("f%d", i), 30<<30, 0, "")
	}
	many.Write(make([]byte, 1024))
	if _, err := indexTar(context.Background(), &many, nil, nil, false, 64<<30); err == nil || !strings.Contains(err.Error(), `entry "f2"`) {
		t.Errorf("three 30 GiB files against 64 GiB: %v", err)
	}
	// Under a MiB of holes, a sparse file is hashed as its bytes.
	fixtures.SparseEntry(&small, "f", 1<<20-1, 0, "")
	small.Write(make([]byte, 1024))
	idx, err := IndexTar(context.Background(), &small, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if e := idx.Entries[0]; e.Size != 1<<20-1 || e.Offset != -1 || e.Sparse || e.Digest.Hex() != sha256Hex(make([]byte, 1<<20-1)) {
		t.Errorf("sparse entry = %+v", e)
	}
	// From a MiB of holes on, only the data is read and hashed: 60 GiB
	// holding "data" at 40 GiB has the hole digest of its one block that
	// is not zeros, worked out here from the definition.
	var big bytes.Buffer
	const at = 40<<30 + 100
	fixtures.SparseEntry(&big, "f", 60<<30, at, "data")
	big.Write(make([]byte, 1024))
	idx, err = IndexTar(context.Background(), &big, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	block := make([]byte, 64<<10)
	copy(block[at%(64<<10):], "data")
	want := sha256.New()
	want.Write([]byte("oslayer hole digest v1\n"))
	want.Write(binary.BigEndian.AppendUint64(nil, 60<<30))
	want.Write(binary.BigEndian.AppendUint64(nil, at/(64<<10)))
	want.Write(block)
	if e := idx.Entries[0]; !e.Sparse || e.Size != 60<<30 || e.Digest.Hex() != hex.EncodeToString(want.Sum(nil)) {
		t.Errorf("60 GiB sparse entry = %+v, want hole digest %x", e, want.Sum(nil))
	}
	// Cancelling stops the hashing of a sparse file's data.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var mid bytes.Buffer
	fixtures.SparseEntry(&mid, "f", 1<<30, 0, strings.Repeat("x", 8<<20))
	mid.Write(make([]byte, 1024))
	if _, err := IndexTar(ctx, &mid, nil, nil); err == nil || !strings.Contains(err.Error(), "context canceled") {
		t.Errorf("cancelled: %v", err)
	}
}

func TestArchivesRefuseSparseAndTruncatedEntries(t *testing.T) {
	var buf bytes.Buffer
	lay := []byte(`{"imageLayoutVersion":"1.0.0"}`)
	fixtures.RawBlock(&buf, fixtures.RawHeader("oci-layout", '0', int64(len(lay))))
	fixtures.RawBlock(&buf, lay)
	fixtures.SparseEntry(&buf, "index.json", 1<<50, 0, "")
	buf.Write(make([]byte, 1024))
	file := filepath.Join(t.TempDir(), "a.tar")
	os.WriteFile(file, buf.Bytes(), 0o644)
	if _, err := Open(context.Background(), "oci-archive:"+file, Options{}); err == nil || !strings.Contains(err.Error(), "index.json") {
		t.Errorf("sparse index.json: %v", err)
	}
	var trunc bytes.Buffer
	fixtures.RawBlock(&trunc, fixtures.RawHeader("oci-layout", '0', 1<<40))
	os.WriteFile(file, trunc.Bytes(), 0o644)
	if _, err := Open(context.Background(), "oci-archive:"+file, Options{}); err == nil || !strings.Contains(err.Error(), "truncated archive") {
		t.Errorf("truncated archive: %v", err)
	}
}

func TestZstdWindowIsBounded(t *testing.T) {
	var buf bytes.Buffer
	enc, err := zstd.NewWriter(&buf, zstd.WithWindowSize(1<<29))
	if err != nil {
		t.Fatal(err)
	}
	enc.Write(bytes.Repeat([]byte("a"), 4<<20))
	enc.Close()
	zr, err := decompress(bytes.NewReader(buf.Bytes()))
	if err == nil {
		_, err = zr.Read(make([]byte, 1024))
	}
	if err == nil || !strings.Contains(err.Error(), "window") {
		t.Errorf("a 512 MiB window was accepted: %v", err)
	}
}

func TestPAXGlobalHeadersAreAccepted(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": "git archive"}, Format: tar.FormatPAX})
	tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "f", Size: 1, Mode: 0o644})
	tw.Write([]byte("x"))
	tw.Close()
	idx, err := IndexTar(context.Background(), &buf, nil, nil)
	if err != nil || len(idx.Entries) != 1 || idx.Entries[0].Path != "f" {
		t.Errorf("entries %+v, %v", idx, err)
	}
}

// docker save before Docker 25 links a repeated layer to its first copy.
func TestDockerArchiveWithSymlinkedLayer(t *testing.T) {
	layerTar := fixtures.Tar(t, fixtures.Reg("f", "x", 0o644))
	l := fixtures.LayerFromTar(t, layerTar, compression.None)
	config, _ := fixtures.Image(t, nil, nil, l, l).RawConfigFile()
	file := filepath.Join(t.TempDir(), "a.tar")
	f, _ := os.Create(file)
	tw := tar.NewWriter(f)
	add := func(name string, data []byte) {
		tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Size: int64(len(data)), Mode: 0o644})
		tw.Write(data)
	}
	man, _ := json.Marshal([]map[string]any{{"Config": "cfg.json", "RepoTags": []string{"x:latest"}, "Layers": []string{"a/layer.tar", "b/layer.tar"}}})
	add("cfg.json", config)
	add("a/layer.tar", layerTar)
	tw.WriteHeader(&tar.Header{Name: "b/layer.tar", Typeflag: tar.TypeSymlink, Linkname: "../a/layer.tar"})
	add("manifest.json", man)
	tw.Close()
	f.Close()
	im, err := Open(context.Background(), "docker-archive:"+file, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	if _, err := newLoader(t, nil).Tree(context.Background(), im, 2, ContentKept); err != nil {
		t.Fatal(err)
	}
}

func TestCacheWriteFailureIsAWarning(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fixtures.WriteOCILayout(t, dir, fixtures.Named{Name: "x", Image: fixtures.BaseImage(t)})
	cache, err := OpenCache(t.TempDir(), testKey)
	if err != nil {
		t.Fatal(err)
	}
	// The index directory vanishes and a file takes its place.
	os.RemoveAll(cache.dir)
	os.WriteFile(cache.dir, nil, 0o644)
	l := newLoader(t, cache)
	var mu sync.Mutex
	var warnings []string
	l.Warn = func(msg string) { mu.Lock(); warnings = append(warnings, msg); mu.Unlock() }
	im, err := Open(ctx, "oci:"+dir+":x", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Tree(ctx, im, len(im.Layers), ContentKept); err != nil {
		t.Fatalf("a cache that cannot be written failed the load: %v", err)
	}
	slices.Sort(warnings)
	if len(warnings) != 2 || !strings.Contains(warnings[0], "layer 1/2") || !strings.Contains(warnings[1], "caching index") {
		t.Errorf("warnings = %q", warnings)
	}
}

func TestCancelledLoadsAreNotRemembered(t *testing.T) {
	dir := t.TempDir()
	fixtures.WriteOCILayout(t, dir, fixtures.Named{Name: "x", Image: fixtures.BaseImage(t)})
	im, err := Open(context.Background(), "oci:"+dir+":x", Options{})
	if err != nil {
		t.Fatal(err)
	}
	l := newLoader(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.Index(ctx, im, 0); err == nil {
		t.Fatal("a cancelled load succeeded")
	}
	if _, err := l.Index(context.Background(), im, 0); err != nil {
		t.Errorf("after a cancelled load: %v", err)
	}
}

func sha256Hex(b []byte) string {
	d := Digest(sha256.Sum256(b))
	return d.Hex()
}
