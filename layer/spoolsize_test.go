package layer

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
)

// TestSpoolSize: a gzip blob of a layout tells its uncompressed size by its
// trailer; with the layer's index cached the size is exact; a registry blob
// is not read for it.
func TestSpoolSize(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	tarBytes := fixtures.Tar(t, fixtures.Dir("usr", 0o755), fixtures.Reg("usr/f", strings.Repeat("x", 1<<20), 0o644))
	fixtures.WriteOCILayout(t, dir, fixtures.Named{Name: "x", Image: fixtures.Image(t, nil, nil, fixtures.LayerFromTar(t, tarBytes, "gzip"))})
	img, err := Open(context.Background(), "oci:"+dir+":x", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	l := newLoader(t, nil)
	if n, known := l.SpoolSize(img); !known || n != int64(len(tarBytes)) {
		t.Errorf("from the gzip trailer: %d, %v; want %d", n, known, len(tarBytes))
	}
	cache, err := OpenCache(t.TempDir(), []byte("k"))
	if err != nil {
		t.Fatal(err)
	}
	cached := newLoader(t, cache)
	if _, err := cached.Tree(context.Background(), img, len(img.Layers), ContentKept); err != nil {
		t.Fatal(err)
	}
	if n, known := cached.SpoolSize(img); !known || n != int64(len(tarBytes)) {
		t.Errorf("from the cached index: %d, %v; want %d", n, known, len(tarBytes))
	}
	host := startRegistry(t, nil)
	pushImage(t, host+"/os/x:1", fixtures.Image(t, nil, nil, fixtures.LayerFromTar(t, tarBytes, "gzip")))
	remote, err := Open(context.Background(), "docker://"+host+"/os/x:1", Options{Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	if n, known := l.SpoolSize(remote); known || n != remote.Layers[0].Size {
		t.Errorf("a registry blob: %d, %v; want its compressed size, unknown", n, known)
	}
}
