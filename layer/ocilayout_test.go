package layer

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/oslayer/oslayer/fixtures"
)

// TestLayoutNames: the names of a layout's images, sorted, once each;
// an image without a name is left out; a directory that is no layout is
// an error.
func TestLayoutNames(t *testing.T) {
	dir := t.TempDir()
	img := fixtures.BaseImage(t)
	for _, name := range []string{"stable", "41", "latest"} {
		mustWrite(t, img, "oci:"+dir+":"+name)
	}
	// An unnamed entry and a second "stable", as other tools may leave.
	var idx v1.IndexManifest
	data, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		t.Fatal(err)
	}
	unnamed, again := idx.Manifests[0], idx.Manifests[0]
	unnamed.Annotations = nil
	again.Annotations = map[string]string{RefNameAnnotation: "stable"}
	idx.Manifests = append(idx.Manifests, unnamed, again)
	if data, err = json.Marshal(idx); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := LayoutNames(dir)
	if want := []string{"41", "latest", "stable"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("LayoutNames = %q, %v; want %q", got, err, want)
	}
	if got, err := LayoutNames(t.TempDir()); err == nil {
		t.Errorf("LayoutNames of an empty directory = %q, want an error", got)
	}
}
