package layer

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/oslayer/oslayer/fixtures"
)

// plantLeftovers puts in a layout what a killed write leaves: a blob no
// index names and a temporary file.
func plantLeftovers(t *testing.T, layout, salt string) (orphan, temp string) {
	t.Helper()
	sum := sha256.Sum256([]byte("orphan " + salt))
	orphan = filepath.Join(layout, "blobs", "sha256", hex.EncodeToString(sum[:]))
	temp = filepath.Join(layout, "blobs", "sha256", tempPrefix+"blob-"+salt)
	for _, p := range []string{orphan, temp} {
		if err := os.WriteFile(p, []byte("orphan "+salt), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return orphan, temp
}

// TestWriteCollectsLeftovers: a successful write into a layout removes the
// blobs no image references and oslayer's temporary files, unless another
// writer is at work; the images stay whole.
func TestWriteCollectsLeftovers(t *testing.T) {
	dir := t.TempDir()
	layout := filepath.Join(dir, "layout")
	mustWrite(t, fixtures.BaseImage(t), "oci:"+layout+":a")
	orphan, temp := plantLeftovers(t, layout, "1")

	other, err := lockWriter(layout) // a writer still storing its blobs
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, fixtures.DerivedImage(t, nil, nil), "oci:"+layout+":b")
	for _, p := range []string{orphan, temp} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed while another writer was at work", filepath.Base(p))
		}
	}
	other.release(false)

	mustWrite(t, fixtures.DerivedImage(t, map[string]string{"v": "2"}, nil), "oci:"+layout+":c")
	for _, p := range []string{orphan, temp} {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s survived a successful write", filepath.Base(p))
		}
	}
	for _, ref := range []string{"a", "b", "c"} {
		img, err := Open(t.Context(), "oci:"+layout+":"+ref, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := newLoader(t, nil).Tree(t.Context(), img, len(img.Layers), ContentKept); err != nil {
			t.Errorf("%s after collecting: %v", ref, err)
		}
		img.Close()
	}
}

// TestBlobFilesStayOnlyWhenKept: blobs a run stores in a layout go with
// the run unless its image was written; after one that was, leftovers go.
func TestBlobFilesStayOnlyWhenKept(t *testing.T) {
	layout := filepath.Join(t.TempDir(), "layout")
	mustWrite(t, fixtures.BaseImage(t), "oci:"+layout+":a")
	store := func(b *BlobFiles, content string) string {
		t.Helper()
		f, err := b.Create()
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(content)
		sum := sha256.Sum256([]byte(content))
		p, err := b.Commit(f, v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	failed, err := NewBlobFiles("oci:"+layout, "")
	if err != nil {
		t.Fatal(err)
	}
	p := store(failed, "a layer of a run that failed")
	failed.Close()
	if _, err := os.Stat(p); err == nil {
		t.Error("the blob of a run that did not keep it stayed")
	}

	orphan, _ := plantLeftovers(t, layout, "2")
	kept, err := NewBlobFiles("oci:"+layout, "")
	if err != nil {
		t.Fatal(err)
	}
	mustWrite(t, fixtures.DerivedImage(t, nil, nil), "oci:"+layout+":b")
	kept.Keep()
	kept.Close()
	if _, err := os.Stat(orphan); err == nil {
		t.Error("a leftover survived a run that kept its image")
	}
}
