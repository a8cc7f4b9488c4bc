package diff

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer"
)

// TestDiffShowsReleases: each image's release labels in text and JSON;
// malformed ones are a note, not a failure.
func TestDiffShowsReleases(t *testing.T) {
	layout := filepath.Join(t.TempDir(), "layout")
	baseLayer := fixtures.Layer(t, fixtures.Reg("etc/os-release", "ID=test\n", 0o644))
	add := fixtures.Layer(t, fixtures.Reg("etc/motd", "hi\n", 0o644))
	fixtures.WriteOCILayout(t, layout,
		fixtures.Named{Name: "base", Image: fixtures.Image(t, map[string]string{layer.VersionLabel: "1.0.0"}, nil, baseLayer)},
		fixtures.Named{Name: "derived", Image: fixtures.Image(t, map[string]string{layer.VersionLabel: "1.1.0", layer.BarrierLabel: "true",
			layer.DeadEndLabel: "https://example.com/1"}, nil, baseLayer, add)},
		fixtures.Named{Name: "bad", Image: fixtures.Image(t, map[string]string{layer.BarrierLabel: "maybe"}, nil, baseLayer, add)},
		fixtures.Named{Name: "plain", Image: fixtures.Image(t, nil, nil, baseLayer, add)},
	)
	run := func(derived string) *Result {
		t.Helper()
		res, err := Run(context.Background(), Request{Base: "oci:" + layout + ":base", Derived: "oci:" + layout + ":" + derived, Loader: loader(t)})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	res := run("derived")
	var text, js bytes.Buffer
	if err := WriteText(&text, res, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"release 1.0.0\n", "release 1.1.0 (barrier; dead-end: https://example.com/1)\n"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	if err := WriteJSON(&js, res); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Base    map[string]any `json:"base_release"`
		Derived map[string]any `json:"derived_release"`
	}
	json.Unmarshal(js.Bytes(), &got)
	if got.Base["version"] != "1.0.0" || len(got.Base) != 1 || got.Derived["version"] != "1.1.0" || got.Derived["barrier"] != true || got.Derived["deadend"] != "https://example.com/1" {
		t.Errorf("JSON base_release %v, derived_release %v", got.Base, got.Derived)
	}
	res = run("bad")
	if res.DerivedRelease != nil || !strings.Contains(strings.Join(res.Notes, "\n"), `release labels: oci:`+layout+`:bad: label org.oslayer.release.barrier="maybe": want true or false`) {
		t.Errorf("malformed labels: release %v, notes %q", res.DerivedRelease, res.Notes)
	}
	if res = run("plain"); res.DerivedRelease != nil || res.BaseRelease == nil {
		t.Errorf("plain: %v %v", res.BaseRelease, res.DerivedRelease)
	}
}
