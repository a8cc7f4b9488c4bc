package chunk_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/layer/chunk"
)

// estimateFiles: incompressible, empty and half-and-half big files, and
// small text files that all go to unclaimed.
func estimateFiles() map[string][]byte {
	rnd := make([]byte, 8<<20)
	rand.NewChaCha8([32]byte{1}).Read(rnd)
	half := make([]byte, 8<<20)
	copy(half, rnd[:4<<20])
	files := map[string][]byte{
		"usr/random": rnd,
		"usr/zeros":  make([]byte, 8<<20),
		"usr/half":   half,
	}
	for i := range 300 {
		var b strings.Builder
		for j := range 1 + i%40 {
			fmt.Fprintf(&b, "option%d = %d # set by file %d\n", j, i*j, i)
		}
		files[fmt.Sprintf("etc/conf/%03d.conf", i)] = []byte(b.String())
	}
	return files
}

func gzipSize(t *testing.T, b []byte) int64 {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, 6)
	zw.Write(b)
	zw.Close()
	return int64(buf.Len())
}

func estimated(t *testing.T, tree *layer.Tree) map[string]*chunk.Component {
	t.Helper()
	comps := chunk.Components(tree, nil)
	if err := chunk.Estimate(context.Background(), tree, comps); err != nil {
		t.Fatal(err)
	}
	out := map[string]*chunk.Component{}
	for _, c := range comps {
		out[c.Name] = c
	}
	return out
}

func TestEstimate(t *testing.T) {
	files := estimateFiles()
	var fs []fixtures.File
	for _, d := range []string{"etc", "etc/conf", "usr"} {
		fs = append(fs, fixtures.Dir(d, 0o755))
	}
	var text []fixtures.File
	for p, b := range files {
		fs = append(fs, fixtures.Reg(p, string(b), 0o644))
		if strings.HasPrefix(p, "etc/") {
			text = append(text, fs[len(fs)-1])
		}
	}
	img := fixtures.Image(t, nil, nil, fixtures.Layer(t, fs...))
	src, err := layer.FromV1(layer.Reference{Transport: "oci", Name: "src"}, img)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := loader(t).SpoolTree(context.Background(), src, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer sp.Close()
	got := estimated(t, sp.Tree)

	const mib = 1 << 20
	within := func(name string, lo, hi int64) {
		t.Helper()
		switch c := got[name]; {
		case c == nil:
			t.Errorf("no component %s", name)
		case c.Compressed < lo || c.Compressed > hi:
			t.Errorf("%s: estimated %d, want %d..%d", name, c.Compressed, lo, hi)
		}
	}
	within("/usr/random", 8*mib, 8*mib+8*mib/50)
	within("/usr/zeros", 1, 8*mib/100)
	// Only blocks spread over the whole file see both halves: a sample
	// from its start would find it incompressible.
	within("/usr/half", 4*mib-4*mib/10, 4*mib+4*mib/10)
	// Small files are read whole; each adds a tar header. The estimate
	// is near what their tar compresses to.
	want := gzipSize(t, fixtures.Tar(t, text...))
	within("unclaimed", want/2, 2*want)

	// The estimate depends only on content: the same files in a root
	// file system (read through os.File, not the spool) estimate the same.
	root := t.TempDir()
	for p, b := range files {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	dir, err := layer.TreeFromDir(context.Background(), root, layer.DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	fromDir := estimated(t, dir)
	if len(fromDir) != len(got) {
		t.Errorf("%d components from a root file system, %d from the spool", len(fromDir), len(got))
	}
	for name, c := range fromDir {
		switch g := got[name]; {
		case g == nil:
			t.Errorf("%s: only from a root file system", name)
		case g.Compressed != c.Compressed:
			t.Errorf("%s: %d from the spool, %d from a root file system", name, g.Compressed, c.Compressed)
		}
	}
}

func TestEstimateNamesAShortFile(t *testing.T) {
	root := t.TempDir()
	big := filepath.Join(root, "big")
	if err := os.WriteFile(big, make([]byte, 64<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	tree, err := layer.TreeFromDir(context.Background(), root, layer.DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	comps := chunk.Components(tree, nil)
	// The file shrinks after the walk, as on a live root file system.
	if err := os.Truncate(big, 1<<20); err != nil {
		t.Fatal(err)
	}
	err = chunk.Estimate(context.Background(), tree, comps)
	if err == nil || !strings.Contains(err.Error(), "/big: shorter than") {
		t.Fatalf("got %v, want an error naming /big", err)
	}
}
