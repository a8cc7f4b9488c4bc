package butane

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzTranslateRender feeds arbitrary Butane configs through translation
// and rendering: no input may panic, and every entry must be an absolute
// path outside the runtime directories.
func FuzzTranslateRender(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/golden/*.bu")
	for _, s := range seeds {
		data, _ := os.ReadFile(s)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, _, err := Translate("fuzz.bu", data, Options{})
		if err != nil {
			return
		}
		res, err := Render(context.Background(), cfg, NewTarget(nil), RenderOptions{Firstboot: true, AllowOverride: true})
		if err != nil {
			return
		}
		for _, e := range res.Entries {
			if len(e.Path) < 2 || e.Path[0] != '/' {
				t.Fatalf("entry at %q", e.Path)
			}
			for _, d := range runtimeDirs {
				if under(e.Path, d) {
					t.Fatalf("entry %s under %s", e.Path, d)
				}
			}
		}
		if _, err := res.Firstboot.Config(); err != nil {
			t.Fatal(err)
		}
	})
}
