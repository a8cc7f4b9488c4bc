package layer

import (
	"bytes"
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
)

// TestTamperedCacheChangesNothing: whatever is done to a cache between two
// runs (stored content edited under its old name, an index file damaged,
// an index forged under another key), the second run reads the same files
// as a cold one, and says once that it dropped entries.
func TestTamperedCacheChangesNothing(t *testing.T) {
	ctx := context.Background()
	img, err := FromV1(Reference{Transport: TransportOCI, Name: "base"}, fixtures.BaseImage(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	run := func(key []byte) (status string, warnings []string) {
		t.Helper()
		c, err := OpenCache(dir, key)
		if err != nil {
			t.Fatal(err)
		}
		c.Warn = func(msg string) { warnings = append(warnings, msg) }
		tree, err := newLoader(t, c).Tree(ctx, img, len(img.Layers), ContentKept)
		if err != nil {
			t.Fatal(err)
		}
		status, err = read(t, tree, "var/lib/dpkg/status")
		if err != nil {
			t.Fatal(err)
		}
		return status, warnings
	}
	want, warnings := run(testKey)
	if len(warnings) != 0 || !strings.Contains(want, "Version:") {
		t.Fatalf("cold run: status %q, warnings %q", want, warnings)
	}
	tamper := map[string]func(){
		"stored content edited under its name": func() {
			files, _ := filepath.Glob(filepath.Join(dir, "content", "*"))
			for _, f := range files {
				if data, _ := os.ReadFile(f); bytes.Equal(data, []byte(want)) {
					os.WriteFile(f, bytes.ReplaceAll(data, []byte("Version: "), []byte("Version: 99:")), 0o644)
					return
				}
			}
			t.Fatal("no stored copy of the dpkg status")
		},
		"an index file damaged": func() {
			files, _ := filepath.Glob(filepath.Join(dir, "index-v*", "sha256-*"))
			data, _ := os.ReadFile(files[0])
			data[len(data)/2] ^= 1
			os.WriteFile(files[0], data, 0o644)
		},
		"an index forged under another key": func() {
			forger, err := OpenCache(dir, []byte("a key the forger chose, 32 bytes"))
			if err != nil {
				t.Fatal(err)
			}
			for i := range img.Layers {
				if idx := forger.Get(img.Layers[i].DiffID); idx != nil {
					t.Fatal("the forger's cache accepted an entry written under the real key")
				}
				idx, err := IndexTar(ctx, bytes.NewReader(fixtures.Tar(t, fixtures.Dir("var/lib/dpkg", 0o755),
					fixtures.Reg("var/lib/dpkg/status", "Package: forged\n", 0o644))), Kept, forger.store)
				if err != nil {
					t.Fatal(err)
				}
				if err := forger.Put(img.Layers[i].DiffID, idx); err != nil {
					t.Fatal(err)
				}
			}
		},
	}
	for _, name := range slices.Sorted(maps.Keys(tamper)) {
		t.Run(name, func(t *testing.T) {
			run(testKey) // a warm cache to tamper with
			tamper[name]()
			got, warnings := run(testKey)
			if got != want {
				t.Errorf("status after tampering = %q, want %q", got, want)
			}
			if len(warnings) != 1 || !strings.Contains(warnings[0], "do not verify") {
				t.Errorf("warnings %q, want one saying entries were dropped", warnings)
			}
			if _, again := run(testKey); len(again) != 0 {
				t.Errorf("the next run still warns: %q", again)
			}
		})
	}
}
