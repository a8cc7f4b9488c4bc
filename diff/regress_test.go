package diff

import (
	"archive/tar"
	"bytes"
	"context"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer"
)

func treeOf(t *testing.T, layers ...[]fixtures.File) *layer.Tree {
	t.Helper()
	tree := layer.NewTree()
	for i, files := range layers {
		idx, err := layer.IndexTar(context.Background(), bytes.NewReader(fixtures.Tar(t, files...)), nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Apply(idx, i); err != nil {
			t.Fatal(err)
		}
	}
	return tree
}

func TestSummaryCountsHardlinkedBytesOnce(t *testing.T) {
	base := treeOf(t, []fixtures.File{fixtures.Dir("usr", 0o755)})
	derived := treeOf(t, []fixtures.File{fixtures.Dir("usr", 0o755), fixtures.Reg("usr/a", string(make([]byte, 1000)), 0o644),
		fixtures.Hardlink("usr/b", "usr/a", 0o644), fixtures.Hardlink("usr/c", "usr/a", 0o644)})
	s := Summarize(Compare(base, derived, CompareOptions{}))
	if s.Total.Added != 3 || s.Total.BytesAdded != 1000 || s.Total.SizeDelta != 1000 {
		t.Errorf("total = %+v, want 3 paths and 1000 bytes", s.Total)
	}
	s = Summarize(Compare(derived, base, CompareOptions{}))
	if s.Total.Removed != 3 || s.Total.BytesRemoved != 1000 {
		t.Errorf("removed total = %+v", s.Total)
	}
}

// TestSummaryOfChangedHardlinks: each side's hardlinked file counts once,
// whichever names of it changed, and a name that leaves a link keeps its
// new bytes.
func TestSummaryOfChangedHardlinks(t *testing.T) {
	base := treeOf(t, []fixtures.File{fixtures.Dir("usr", 0o755),
		fixtures.Reg("usr/a", "0123456789", 0o644), fixtures.Hardlink("usr/b", "usr/a", 0o644),
		fixtures.Reg("usr/c", "cc", 0o644), fixtures.Hardlink("usr/d", "usr/c", 0o644),
		fixtures.Reg("usr/g", "gggg", 0o644), fixtures.Hardlink("usr/h", "usr/g", 0o644)})
	derived := treeOf(t, []fixtures.File{fixtures.Dir("usr", 0o755),
		fixtures.Reg("usr/a", string(make([]byte, 20)), 0o644), fixtures.Reg("usr/b", string(make([]byte, 30)), 0o644),
		fixtures.Reg("usr/e", "eeeeeeee", 0o644), fixtures.Hardlink("usr/f", "usr/e", 0o644),
		fixtures.Reg("usr/g", "gggg", 0o755), fixtures.Hardlink("usr/h", "usr/g", 0o755)})
	s := Summarize(Compare(base, derived, CompareOptions{}))
	// a and b: 10 bytes become 20 + 30; e and f: 8 added; c and d: 2
	// removed; g and h: a mode change, no bytes.
	if s.Total.SizeDelta != 40+8-2 || s.Total.BytesAdded != 8 || s.Total.BytesRemoved != 2 || s.Total.Metadata != 2 {
		t.Errorf("total = %+v, want a size delta of 46, 8 bytes added and 2 removed", s.Total)
	}
}

func TestSELinuxLabelsAreNotCompared(t *testing.T) {
	f := func(label string) fixtures.File {
		return fixtures.File{Path: "usr/bin/x", Type: tar.TypeReg, Mode: 0o755, Content: "x", Xattrs: map[string]string{"security.selinux": label}}
	}
	base := treeOf(t, []fixtures.File{f("system_u:object_r:bin_t:s0")})
	derived := treeOf(t, []fixtures.File{f("unconfined_u:object_r:user_tmp_t:s0")})
	if c := Compare(base, derived, CompareOptions{}); len(c) != 0 {
		t.Errorf("changes = %+v", c)
	}
}

func TestLayerReportCountsABlobOnce(t *testing.T) {
	empty := fixtures.Layer(t, fixtures.Dir("tmp", 0o1777))
	old := image(t, fixtures.Image(t, nil, nil, fixtures.Layer(t, fixtures.Reg("a", "a", 0o644))))
	newImg := image(t, fixtures.Image(t, nil, nil, fixtures.Layer(t, fixtures.Reg("a", "a", 0o644)), empty, empty))
	r := CompareLayers(old, newImg)
	size, _ := empty.Size()
	if r.NewLayers != 1 || r.Download != size || r.ReusedLayers != 1 {
		t.Errorf("report = %+v, want one download of %d bytes", r, size)
	}
}

func image(t *testing.T, img v1.Image) *layer.Image {
	t.Helper()
	im, err := layer.FromV1(layer.Reference{Transport: "oci", Name: "test"}, img)
	if err != nil {
		t.Fatal(err)
	}
	return im
}

// TestSparseAgainstDenseCopy: the same bytes, stored dense in the base
// and sparse in the derived layer (or the other way), are no change; one
// byte more is. The dense side is read again from its layer to compare.
func TestSparseAgainstDenseCopy(t *testing.T) {
	dense := make([]byte, 8<<20)
	copy(dense[4096:], "data")
	sparse := func(data string) v1.Layer {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		tw.WriteHeader(&tar.Header{Name: "usr/", Typeflag: tar.TypeDir, Mode: 0o755})
		tw.Flush()
		fixtures.SparseEntry(&buf, "usr/f", 8<<20, 4096, data)
		buf.Write(make([]byte, 1024))
		return fixtures.LayerFromTar(t, buf.Bytes(), "gzip")
	}
	plain := fixtures.LayerFromTar(t, fixtures.Tar(t, fixtures.Dir("usr", 0o755), fixtures.Reg("usr/f", string(dense), 0o644)), "gzip")
	l := loader(t)
	treeOf := func(layers ...v1.Layer) *layer.Tree {
		img, err := layer.FromV1(layer.Reference{Transport: "oci", Name: "x"}, fixtures.Image(t, nil, nil, layers...))
		if err != nil {
			t.Fatal(err)
		}
		tr, err := l.Tree(context.Background(), img, len(img.Layers), layer.ContentKept)
		if err != nil {
			t.Fatal(err)
		}
		return tr
	}
	base, same, other := treeOf(plain), treeOf(plain, sparse("data")), treeOf(plain, sparse("dat4"))
	if n := same.Lookup("usr/f"); !n.Sparse || base.Lookup("usr/f").Sparse {
		t.Fatal("the fixture does not store the file sparse on one side only")
	}
	if c := Compare(base, same, CompareOptions{}); len(c) != 0 {
		t.Errorf("same bytes, dense then sparse: %+v", c)
	}
	if c := Compare(same, base, CompareOptions{}); len(c) != 0 {
		t.Errorf("same bytes, sparse then dense: %+v", c)
	}
	if c := Compare(base, other, CompareOptions{}); len(c) != 1 || c[0].Kind != Modified || c[0].Details[0] != "content" {
		t.Errorf("one byte changed: %+v", c)
	}
	var out bytes.Buffer
	WriteJSON(&out, &Result{Changes: Compare(base, other, CompareOptions{})})
	if s := out.String(); !strings.Contains(s, `"hole_digest"`) || strings.Count(s, `"digest"`) != 1 {
		t.Errorf("JSON gives the sparse side's hole digest and the dense side's digest: %s", s)
	}
}
