package layer

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/oslayer/oslayer/fixtures"
)

// progressFunc is a Progress that calls f as each layer starts, and
// counts nothing.
type progressFunc func(name string, total int64)

func (f progressFunc) Start(name string, total int64) Meter { f(name, total); return noMeter{} }

// recorder is a Progress that keeps every meter it started.
type recorder struct {
	mu     sync.Mutex
	meters []*recordedMeter
}

type recordedMeter struct {
	name         string
	total, bytes int64
	done         int
}

func (r *recorder) Start(name string, total int64) Meter {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := &recordedMeter{name: name, total: total}
	r.meters = append(r.meters, m)
	return m
}

func (m *recordedMeter) Add(n int64) { m.bytes += n }
func (m *recordedMeter) Done()       { m.done++ }

// lines returns "NAME: BYTES of TOTAL, done N" for every meter, sorted.
func (r *recorder) lines() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, m := range r.meters {
		out = append(out, fmt.Sprintf("%s: %d of %d, done %d", m.name, m.bytes, m.total, m.done))
	}
	slices.Sort(out)
	return out
}

func sameMeters(t *testing.T, what string, want, got []string) {
	t.Helper()
	if !slices.Equal(want, got) {
		t.Errorf("%s (-want +got):\n-%s\n+%s", what, strings.Join(want, "\n-"), strings.Join(got, "\n+"))
	}
}

// whole is the lines of a recorder that read or wrote each layer of img
// whole, once, under name(i).
func whole(img v1.Image, name func(i, n int) string) []string {
	m, _ := img.Manifest()
	var out []string
	for i, l := range m.Layers {
		out = append(out, fmt.Sprintf("%s: %d of %d, done 1", name(i, len(m.Layers)), l.Size, l.Size))
	}
	slices.Sort(out)
	return out
}

// TestLoaderProgressCountsBlobBytes: reading an image's layers reports
// each blob once, every byte of it, against its size; layers found in the
// cache report nothing; spooling reads every layer whatever the cache holds.
func TestLoaderProgressCountsBlobBytes(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	derived := fixtures.DerivedImage(t, nil, nil)
	fixtures.WriteOCILayout(t, dir, fixtures.Named{Name: "derived", Image: derived})
	ref := "oci:" + dir + ":derived"
	img, err := Open(ctx, ref, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	reading := func(i, n int) string { return fmt.Sprintf("reading %s layer %d/%d", ref, i+1, n) }
	cache, err := OpenCache(t.TempDir(), testKey)
	if err != nil {
		t.Fatal(err)
	}

	cold := newLoader(t, cache)
	var rec recorder
	cold.Progress = &rec
	if _, err := cold.Tree(ctx, img, len(img.Layers), ContentKept); err != nil {
		t.Fatal(err)
	}
	sameMeters(t, "cold read", whole(derived, reading), rec.lines())

	warm := newLoader(t, cache)
	var none recorder
	warm.Progress = &none
	if _, err := warm.Tree(ctx, img, len(img.Layers), ContentKept); err != nil {
		t.Fatal(err)
	}
	if got := none.lines(); len(got) != 0 {
		t.Errorf("layers in the cache reported %q, want nothing", got)
	}

	spool := newLoader(t, cache)
	var spooled recorder
	spool.Progress = &spooled
	s, err := spool.SpoolTree(ctx, img, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	sameMeters(t, "spool", whole(derived, reading), spooled.lines())
}

// TestLoaderProgressOfARereadFile: a file read again from its layer
// reports the blob bytes read up to it, and its meter is done when the
// file is closed.
func TestLoaderProgressOfARereadFile(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fixtures.WriteOCILayout(t, dir, fixtures.Named{Name: "base", Image: fixtures.BaseImage(t)})
	img, err := Open(ctx, "oci:"+dir+":base", Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	l := newLoader(t, nil)
	tree, err := l.Tree(ctx, img, len(img.Layers), ContentReread)
	if err != nil {
		t.Fatal(err)
	}
	var n *Node
	for p, node := range tree.Walk() {
		if node.Type == TypeRegular && node.Size > 0 && !Kept(p) {
			n = node
			break
		}
	}
	if n == nil {
		t.Fatal("the base holds no file that is not kept")
	}
	var rec recorder
	l.Progress = &rec
	rc, err := tree.Open(n)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(io.Discard, rc); err != nil {
		t.Fatal(err)
	}
	if got := rec.lines(); len(got) != 1 || !strings.HasSuffix(got[0], "done 0") {
		t.Errorf("while open: %q, want one meter not done", got)
	}
	rc.Close()
	rec.mu.Lock()
	m := rec.meters[0]
	rec.mu.Unlock()
	size := img.Layers[n.DataLayer].Size
	if want := readingName(img, int(n.DataLayer)); m.name != want || m.total != size || m.bytes <= 0 || m.bytes > size || m.done != 1 {
		t.Errorf("reading /%s again: %s: %d of %d, done %d; want %s: 1 to %d bytes of %d, done once", n.Path(), m.name, m.bytes, m.total, m.done, want, size, size)
	}
}

// TestWriteProgressCountsLayerBytes: writing an image reports each layer
// blob it stores, every byte, against its size, for every transport; a
// layout that holds the blobs already reports nothing; a push reports one
// meter for the image's blobs.
func TestWriteProgressCountsLayerBytes(t *testing.T) {
	ctx := context.Background()
	img := fixtures.DerivedImage(t, nil, nil)
	dir := t.TempDir()
	host := startRegistry(t, nil)
	for _, tc := range []struct{ name, dest string }{
		{"an OCI layout", "oci:" + dir + "/layout:x"},
		{"an OCI archive", "oci-archive:" + dir + "/oci.tar:x"},
		{"a docker archive", "docker-archive:" + dir + "/docker.tar"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dest := tc.dest
			var rec recorder
			if err := Write(ctx, img, dest, Options{Progress: &rec}); err != nil {
				t.Fatal(err)
			}
			writing := func(i, n int) string { return fmt.Sprintf("writing %s layer %d/%d", dest, i+1, n) }
			sameMeters(t, dest, whole(img, writing), rec.lines())
		})
	}
	t.Run("a layout holding the blobs", func(t *testing.T) {
		var rec recorder
		if err := Write(ctx, img, "oci:"+dir+"/layout:y", Options{Progress: &rec}); err != nil {
			t.Fatal(err)
		}
		if got := rec.lines(); len(got) != 0 {
			t.Errorf("reported %q, want nothing", got)
		}
	})
	t.Run("a registry", func(t *testing.T) {
		var rec recorder
		dest := "docker://" + host + "/os/derived:1"
		if err := Write(ctx, img, dest, Options{Insecure: true, Progress: &rec}); err != nil {
			t.Fatal(err)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		total, err := img.Size()
		if err != nil {
			t.Fatal(err)
		}
		total += m.Config.Size
		for _, l := range m.Layers {
			total += l.Size
		}
		want := []string{fmt.Sprintf("writing %s: %d of %d, done 1", dest, total, total)}
		sameMeters(t, dest, want, rec.lines())
	})
}
