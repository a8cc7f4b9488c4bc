package layer

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/oslayer/oslayer/fixtures"
)

// reads counts the layers a loader reads (and reads again).
func reads(l *Loader) *atomic.Int32 {
	var n atomic.Int32
	l.Progress = progressFunc(func(string, int64) { n.Add(1) })
	return &n
}

// TestCapturedObjectsNeedNoSecondRead: in the export format an object's
// hardlinks follow it, so the kept paths linking to it are stored while
// the layer is read, and no layer is read twice; a link that does not
// follow its object (the fixture's /etc/passwd) makes its layer be read
// once more.
func TestCapturedObjectsNeedNoSecondRead(t *testing.T) {
	status := object(dpkgStatus, "")
	adjacent, err := FromV1(Reference{Transport: TransportOCI, Name: "adjacent"}, fixtures.Image(t, nil, nil, fixtures.Layer(t,
		fixtures.Dir("sysroot/ostree/repo/objects", 0o755), fixtures.Reg(status, dpkgStatus, 0o644),
		fixtures.Hardlink("var/lib/dpkg/status", status, 0o644),
		fixtures.Reg(object(passwdData, ""), passwdData, 0o644), fixtures.Hardlink("etc/passwd", object(passwdData, ""), 0o644),
	)))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		img   *Image
		reads int32
	}{{"links after their objects", adjacent, 1}, {"a link apart from its object", encapsulatedImage(t), 3}} {
		l := newLoader(t, nil)
		n := reads(l)
		tree, err := l.Tree(context.Background(), tc.img, len(tc.img.Layers), ContentKept)
		if err != nil {
			t.Fatal(err)
		}
		if got := n.Load(); got != tc.reads {
			t.Errorf("%s: %d layer reads, want %d", tc.name, got, tc.reads)
		}
		if got, err := read(t, tree, "etc/passwd"); got != passwdData || err != nil {
			t.Errorf("%s: /etc/passwd = %q, %v", tc.name, got, err)
		}
	}
}

// TestCollectedIndexIsReadAgain: the memo holds indexes weakly; once
// collected, a layer asked for again is read again, and the same.
func TestCollectedIndexIsReadAgain(t *testing.T) {
	l := newLoader(t, nil)
	n := reads(l)
	img := encapsulatedImage(t)
	first, err := l.Index(context.Background(), img, 1)
	if err != nil {
		t.Fatal(err)
	}
	entries := len(first.Entries)
	again, _ := l.Index(context.Background(), img, 1)
	if again != first || n.Load() != 1 {
		t.Fatalf("the index held by a caller was read %d times", n.Load())
	}
	first, again = nil, nil
	runtime.GC()
	runtime.GC()
	idx, err := l.Index(context.Background(), img, 1)
	if err != nil || len(idx.Entries) != entries || n.Load() != 2 {
		t.Errorf("after collection: %d reads, %v entries, %v; want 2 reads, %d entries", n.Load(), len(idx.Entries), err, entries)
	}
}

// blockingLayer's blob blocks its first read until release is closed.
type blockingLayer struct {
	v1.Layer
	release chan struct{}
	once    sync.Once
}

func (b *blockingLayer) Compressed() (io.ReadCloser, error) {
	rc, err := b.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	first := false
	b.once.Do(func() { first = true })
	if !first {
		return rc, nil
	}
	return blockedReader{rc, b.release}, nil
}

type blockedReader struct {
	io.ReadCloser
	release chan struct{}
}

func (r blockedReader) Read(p []byte) (int, error) {
	<-r.release
	return r.ReadCloser.Read(p)
}

// TestWaiterOutlivesACancelledReader: a caller waiting for a layer that
// another caller reads is not failed by that caller's cancellation.
func TestWaiterOutlivesACancelledReader(t *testing.T) {
	blocking := &blockingLayer{Layer: fixtures.Layer(t, fixtures.Reg("x", "x", 0o644)), release: make(chan struct{})}
	img, err := FromV1(Reference{Transport: TransportOCI, Name: "x"}, fixtures.Image(t, nil, nil, blocking))
	if err != nil {
		t.Fatal(err)
	}
	l := newLoader(t, nil)
	started := make(chan struct{})
	var once sync.Once
	l.Progress = progressFunc(func(string, int64) { once.Do(func() { close(started) }) })
	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error)
	go func() { _, err := l.Index(ctx, img, 0); first <- err }()
	<-started
	second := make(chan error)
	go func() { _, err := l.Index(context.Background(), img, 0); second <- err }()
	cancel()
	close(blocking.release)
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("the cancelled reader: %v, want context.Canceled", err)
	}
	if err := <-second; err != nil {
		t.Errorf("the waiter: %v, want its own read to succeed", err)
	}
}
