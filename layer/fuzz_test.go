package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/oslayer/oslayer/fixtures"
)

// FuzzIndexApply feeds arbitrary bytes to the tar walk and merges whatever
// indexes as two stacked layers: no input may panic, and every node of the
// resulting tree must sit at a clean path that Lookup finds again.
func FuzzIndexApply(f *testing.F) {
	seeds := [][]fixtures.File{
		{d("a", 0o755), reg("a/f", "x", 0o644), sym("l", "a"), fixtures.Hardlink("h", "a/f", 0o644)},
		{fixtures.Opaque("a"), fixtures.Whiteout("l"), reg("l/x", "1", 0o644), reg("a/g", "yy", 0o600)},
		{sym("up", "../.."), reg("up/etc/x", "1", 0o644), sym("loop", "loop"), d("lib", 0o755), fixtures.Whiteout("lib/k")},
		{{Path: "dev/null", Type: tar.TypeChar, Mode: 0o666}, {Path: "f", Type: tar.TypeReg, Xattrs: map[string]string{"user.a": "b"}}},
	}
	for _, s := range seeds {
		f.Add(fixtures.Tar(f, s...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		// Sparse headers may legitimately expand to gigabytes of zeros;
		// the fuzzer looks for crashes, not for slow inputs.
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		idx, err := IndexTar(ctx, bytes.NewReader(data), nil, nil)
		if err != nil {
			return
		}
		tree := NewTree()
		for layer := range 2 {
			if err := tree.Apply(idx, layer); err != nil {
				return
			}
		}
		for p, n := range tree.Walk() {
			clean, err := CleanPath(p)
			if err != nil || clean != p {
				t.Fatalf("node at unclean path %q (%v)", p, err)
			}
			if tree.Lookup(p) != n {
				t.Fatalf("Lookup(%q) does not find the walked node", p)
			}
			if n.Type == 0 {
				t.Fatalf("node %q has no type", p)
			}
		}
	})
}
