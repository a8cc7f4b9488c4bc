package layer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
)

// readAll reads the named paths of tree with ReadFiles, returning
// "path: content" for each.
func readAll(t *testing.T, tree *Tree, paths ...string) ([]string, error) {
	t.Helper()
	var nodes []*Node
	for _, p := range paths {
		n := tree.Lookup(p)
		if n == nil {
			t.Fatalf("no /%s in the tree", p)
		}
		nodes = append(nodes, n)
	}
	got := map[string]string{}
	err := tree.ReadFiles(context.Background(), nodes, func(n *Node, r io.Reader) error {
		b, err := io.ReadAll(r)
		if _, seen := got[n.Path()]; seen {
			return fmt.Errorf("/%s read twice", n.Path())
		}
		got[n.Path()] = n.Path() + ": " + string(b)
		return err
	})
	return slices.Sorted(maps.Values(got)), err
}

// TestReadFilesReadsEachLayerOnce: files the content policy does not keep
// are read from their layers, each layer that holds some once whatever
// their number; hardlinks (within a layer and to a lower one) and kept
// files come out right, and the policy itself is unchanged.
func TestReadFilesReadsEachLayerOnce(t *testing.T) {
	ctx := context.Background()
	img := fixtures.Image(t, nil, nil,
		fixtures.Layer(t,
			fixtures.Dir("etc", 0o755), fixtures.Reg("etc/passwd", "root:x:0:0::/root:/bin/sh\n", 0o644),
			fixtures.Dir("doc", 0o755), fixtures.Reg("doc/a", "alpha", 0o644), fixtures.Reg("doc/b", "bravo", 0o644),
			fixtures.Reg("doc/big", strings.Repeat("x", 100_000), 0o644), fixtures.Reg("doc/c", "charlie", 0o644),
			fixtures.Hardlink("doc/a2", "doc/a", 0o644)),
		fixtures.Layer(t,
			fixtures.Dir("doc2", 0o755), fixtures.Reg("doc2/d", "delta", 0o644),
			fixtures.Hardlink("doc2/b", "doc/b", 0o644), fixtures.Reg("doc2/e", "echo", 0o644)),
		fixtures.Layer(t, fixtures.Reg("unread", "not asked for", 0o644)))
	dir := t.TempDir()
	fixtures.WriteOCILayout(t, dir, fixtures.Named{Name: "x", Image: img})
	ref := "oci:" + dir + ":x"
	opened, err := Open(ctx, ref, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer opened.Close()
	l := newLoader(t, nil)
	tree, err := l.Tree(ctx, opened, len(opened.Layers), ContentKept)
	if err != nil {
		t.Fatal(err)
	}
	var rec recorder
	l.Progress = &rec
	got, err := readAll(t, tree, "doc2/e", "doc/c", "doc/a", "doc/a2", "doc2/b", "etc/passwd", "doc2/d", "doc/b")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"doc/a2: alpha", "doc/a: alpha", "doc/b: bravo", "doc/c: charlie",
		"doc2/b: bravo", "doc2/d: delta", "doc2/e: echo", "etc/passwd: root:x:0:0::/root:/bin/sh\n"}
	if !slices.Equal(got, want) {
		t.Errorf("contents (-want +got):\n-%q\n+%q", want, got)
	}
	// doc/c and doc2/e are the last files asked for in their layers: each
	// layer is read up to its last one, once.
	var meters []string
	for _, m := range rec.meters {
		if m.done != 1 || m.bytes <= 0 {
			t.Errorf("%s: %d bytes, done %d; want some bytes, done once", m.name, m.bytes, m.done)
		}
		meters = append(meters, m.name)
	}
	slices.Sort(meters)
	if want := []string{"reading " + ref + " layer 1/3", "reading " + ref + " layer 2/3"}; !slices.Equal(meters, want) {
		t.Errorf("layers read: %q, want each of the first two once: %q", meters, want)
	}
	if _, err := tree.Open(tree.Lookup("doc/a")); !errors.Is(err, ErrNoContent) {
		t.Errorf("Open under ContentKept after ReadFiles: %v, want ErrNoContent", err)
	}

	stop := errors.New("stop")
	err = tree.ReadFiles(ctx, []*Node{tree.Lookup("doc/a"), tree.Lookup("doc/b")}, func(*Node, io.Reader) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("fn failing: %v, want its error", err)
	}
	err = tree.ReadFiles(ctx, []*Node{tree.Lookup("doc")}, func(*Node, io.Reader) error { return nil })
	if !errors.Is(err, ErrNoContent) {
		t.Errorf("a directory: %v, want ErrNoContent", err)
	}
}

// TestReadFilesOfADirectory: a rootfs tree reads its files from the
// directory.
func TestReadFilesOfADirectory(t *testing.T) {
	root := t.TempDir()
	for name, content := range map[string]string{"a": "alpha", "sub/b": "bravo"} {
		if err := os.MkdirAll(filepath.Join(root, filepath.Dir(name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tree, err := TreeFromDir(context.Background(), root, DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, tree, "sub/b", "a")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"a: alpha", "sub/b: bravo"}; !slices.Equal(got, want) {
		t.Errorf("contents: %q, want %q", got, want)
	}
}
