package chunk_test

import (
	"archive/tar"
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/layer/chunk"
)

// recorder is a layer.Progress that keeps every meter it started.
type recorder struct {
	mu     sync.Mutex
	meters []*meter
}

type meter struct {
	name         string
	total, bytes int64
	done         int
}

func (r *recorder) Start(name string, total int64) layer.Meter {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := &meter{name: name, total: total}
	r.meters = append(r.meters, m)
	return m
}

func (m *meter) Add(n int64) { m.bytes += n }
func (m *meter) Done()       { m.done++ }

// TestChunkProgressCountsLayerContent: each layer written reports its
// files' content, every byte of its Size, once, under its position and
// components; a sparse file counts at its full size, as it is written.
func TestChunkProgressCountsLayerContent(t *testing.T) {
	var sparse bytes.Buffer
	fixtures.SparseEntry(&sparse, "usr/sparse", 8<<20, 4096, "data")
	tw := tar.NewWriter(&sparse)
	tw.WriteHeader(&tar.Header{Name: "usr/after", Typeflag: tar.TypeReg, Mode: 0o644, Size: 3})
	tw.Write([]byte("xyz"))
	tw.Close()
	for _, tc := range []struct {
		name string
		img  v1.Image
	}{
		{"base", fixtures.Image(t, nil, nil, fixtures.Layers(t, fixtures.BaseFiles())...)},
		{"a sparse file", fixtures.Image(t, nil, nil, fixtures.LayerFromTar(t, sparse.Bytes(), "gzip"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var rec recorder
			res := run(t, tc.img, chunk.Options{MaxLayers: 3, Write: chunk.WriteOptions{Compression: layer.Gzip, Progress: &rec}})
			var want, got []string
			for i, l := range res.Layers {
				names := l.Names()
				desc := strings.Join(names, ", ")
				if len(names) > 3 {
					desc = fmt.Sprintf("%s and %d more", strings.Join(names[:3], ", "), len(names)-3)
				}
				name := fmt.Sprintf("writing layer %d/%d (%s)", i+1, len(res.Layers), desc)
				want = append(want, fmt.Sprintf("%s: %d of %d, done 1", name, l.Size, l.Size))
			}
			var sum int64
			for _, m := range rec.meters {
				got = append(got, fmt.Sprintf("%s: %d of %d, done %d", m.name, m.bytes, m.total, m.done))
				sum += m.bytes
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(want, got) {
				t.Errorf("meters (-want +got):\n-%s\n+%s", strings.Join(want, "\n-"), strings.Join(got, "\n+"))
			}
			if tarBytes, _ := res.Sizes(); sum <= 0 || sum > tarBytes {
				t.Errorf("%d content bytes reported, want some, and fewer than the %d tar bytes written", sum, tarBytes)
			}
		})
	}
}
