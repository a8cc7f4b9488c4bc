package diff

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from what the text output is now")

// testdata is the absolute path of ./testdata: some tests change their
// working directory.
var testdata = func() string {
	p, err := filepath.Abs("testdata")
	if err != nil {
		panic(err)
	}
	return p
}()

// goldenText compares text with testdata/NAME.golden, or writes it there
// with -update.
func goldenText(t *testing.T, name, text string) {
	t.Helper()
	file := filepath.Join(testdata, name+".golden")
	if *update {
		if err := os.MkdirAll(testdata, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("%v (go test ./diff -run %s -update writes it)", err, t.Name())
	}
	if string(want) != text {
		t.Errorf("text output differs from %s (go test ./diff -run %s -update rewrites it):\n%s", file, t.Name(), lineDiff(string(want), text))
	}
}

// lineDiff lists the lines of want and got that differ, by line number.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := range max(len(w), len(g)) {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n-%s\n+%s\n", i+1, wl, gl)
		}
	}
	return b.String()
}

// updateLayout writes the security-update fixture pair into ./layout of a
// fresh working directory, so the references the output names are the
// same on every machine: oci:layout:base and oci:layout:update.
func updateLayout(t *testing.T) {
	t.Helper()
	t.Chdir(t.TempDir())
	base, upd := fixtures.UpdateImages(t)
	fixtures.WriteOCILayout(t, "layout", fixtures.Named{Name: "base", Image: base}, fixtures.Named{Name: "update", Image: upd})
}

func TestTextGolden(t *testing.T) {
	example := Request{Base: "oci:../examples/layout:base", Derived: "oci:../examples/layout:derived"}
	updatePair := Request{Base: "oci:layout:base", Derived: "oci:layout:update"}
	filter := func(paths []string, kinds ...Kind) *Filter {
		f, err := NewFilter(paths, kinds)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	tests := []struct {
		name string
		req  Request
		opts TextOptions
	}{
		{"example", example, TextOptions{}},
		{"example-flat", example, TextOptions{Flat: true}},
		{"example-stat", example, TextOptions{Stat: true}},
		{"example-filtered", Request{Base: example.Base, Derived: example.Derived, Filter: filter([]string{"/usr/**"}, Added, Metadata)}, TextOptions{}},
		{"update", updatePair, TextOptions{}},
		{"update-all", updatePair, TextOptions{All: true}},
		{"update-flat", updatePair, TextOptions{Flat: true}},
		{"update-stat", updatePair, TextOptions{Stat: true}},
		{"update-pyc", Request{Base: updatePair.Base, Derived: updatePair.Derived, Filter: filter([]string{"/usr/lib/**/*.pyc"})}, TextOptions{}},
		{"update-etc-removed", Request{Base: updatePair.Base, Derived: updatePair.Derived, Filter: filter([]string{"/etc/"}, Removed), Stat: true}, TextOptions{Stat: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.req.Base == updatePair.Base {
				updateLayout(t)
			}
			tc.req.Loader = loader(t)
			res, err := Run(context.Background(), tc.req)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := WriteText(&out, res, tc.opts); err != nil {
				t.Fatal(err)
			}
			goldenText(t, tc.name, out.String())
		})
	}
}
