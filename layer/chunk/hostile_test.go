package chunk_test

import (
	"archive/tar"
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/layer/chunk"
)

func TestChunkHostileHardlinkToMissingTarget(t *testing.T) {
	img := fixtures.Image(t, nil, nil, fixtures.Layer(t, fixtures.Dir("usr", 0o755), fixtures.Hardlink("usr/link", "usr/nowhere", 0o644)))
	_, err := try(t, img, chunk.Options{Write: chunk.WriteOptions{Compression: layer.Gzip}})
	if err == nil || !strings.Contains(err.Error(), "usr/nowhere") || !strings.Contains(err.Error(), "layer 1/1") {
		t.Errorf("error %v, want one naming the layer and the missing target", err)
	}
}

func TestChunkHostileDuplicatePaths(t *testing.T) {
	// The same paths in several layers, with a file replacing a directory
	// and the other way round: the output holds each path once, as merged.
	img := fixtures.Image(t, nil, nil,
		fixtures.Layer(t, fixtures.Dir("usr", 0o755), fixtures.Reg("usr/a", "1", 0o644), fixtures.Dir("usr/d", 0o755), fixtures.Reg("usr/d/x", "x", 0o644), fixtures.Reg("usr/f", "f", 0o644)),
		fixtures.Layer(t, fixtures.Dir("usr", 0o700), fixtures.Reg("usr/a", "2", 0o600), fixtures.Reg("usr/d", "now a file", 0o644), fixtures.Dir("usr/f", 0o755), fixtures.Reg("usr/f/y", "y", 0o644)),
		fixtures.Layer(t, fixtures.Reg("usr/a", "3", 0o644), fixtures.Reg("usr/a", "4", 0o644)),
	)
	res := run(t, img, chunk.Options{Write: chunk.WriteOptions{Compression: layer.Gzip}})
	sameContent(t, img, res.Image)
	seen := map[string]bool{}
	for _, hdrs := range layerEntries(t, res.Image) {
		for _, h := range hdrs {
			if h.Typeflag != tar.TypeDir && seen[h.Name] {
				t.Errorf("%s written twice", h.Name)
			}
			seen[h.Name] = true
		}
	}
}

func TestChunkHostileDevices(t *testing.T) {
	img := fixtures.Image(t, nil, nil, fixtures.Layer(t,
		fixtures.Dir("dev", 0o755),
		fixtures.File{Path: "dev/null", Type: tar.TypeChar, Mode: 0o666},
		fixtures.File{Path: "dev/sda", Type: tar.TypeBlock, Mode: 0o660, GID: 6},
		fixtures.File{Path: "dev/fifo", Type: tar.TypeFifo, Mode: 0o600},
	))
	res := run(t, img, chunk.Options{Write: chunk.WriteOptions{Compression: layer.Gzip}})
	sameContent(t, img, res.Image)
}

func TestChunkHostileManyTinyFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("100k files")
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	const n = 100_000
	for d := range 100 {
		tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("usr/share/d%02d/", d), Typeflag: tar.TypeDir, Mode: 0o755})
	}
	for i := range n {
		tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("usr/share/d%02d/f%06d", i%100, i), Typeflag: tar.TypeReg, Mode: 0o644, Size: 1})
		tw.Write([]byte{byte(i)})
	}
	tw.Close()
	img := fixtures.Image(t, nil, nil, fixtures.LayerFromTar(t, buf.Bytes(), "gzip"))
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res := run(t, img, chunk.Options{Write: chunk.WriteOptions{Compression: layer.Zstd}})
	runtime.ReadMemStats(&after)
	var files int
	for _, c := range res.Components {
		files += len(c.Paths)
	}
	if files != n {
		t.Errorf("%d files in components, want %d", files, n)
	}
	// Memory grows with the number of paths: well under 1 KiB each here.
	if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 200<<20 {
		t.Errorf("heap grew by %d MiB for %d files", grew>>20, n)
	}
	sameContent(t, img, res.Image)
}

func TestChunkHostileSparseHeaders(t *testing.T) {
	// A 1 GiB sparse file that is all hole (more than the memory chunk
	// uses): indexed from its (empty) data, written out as zeros read from
	// nothing, streamed.
	var hole bytes.Buffer
	fixtures.SparseEntry(&hole, "var/big", 1<<30, 0, "")
	hole.Write(make([]byte, 1024))
	img := fixtures.Image(t, nil, nil, fixtures.LayerFromTar(t, hole.Bytes(), "gzip"))
	res := run(t, img, chunk.Options{Write: chunk.WriteOptions{Compression: layer.Zstd}})
	if n := tree(t, res.Image).Lookup("var/big"); n == nil || n.Size != 1<<30 {
		t.Errorf("var/big: %+v", n)
	}
	sameContent(t, img, res.Image)
	// A 4 GiB file whose data never comes: an error naming it.
	var short bytes.Buffer
	fixtures.RawBlock(&short, fixtures.RawHeader("var/big", '0', 4<<30))
	short.Write([]byte("only this"))
	img = fixtures.Image(t, nil, nil, fixtures.LayerFromTar(t, short.Bytes(), "gzip"))
	if _, err := try(t, img, chunk.Options{Write: chunk.WriteOptions{Compression: layer.Gzip}}); err == nil || !strings.Contains(err.Error(), "var/big") {
		t.Errorf("error %v, want one naming var/big", err)
	}
}
