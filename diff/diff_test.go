package diff

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/compression"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer"
)

func loader(t *testing.T) *layer.Loader {
	t.Helper()
	l, err := layer.NewLoader(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func kinds(changes []Change) []fixtures.Change {
	out := []fixtures.Change{}
	for _, c := range changes {
		out = append(out, fixtures.Change{Path: c.Path, Kind: c.Kind.String()})
	}
	return out
}

func sortedChanges(cs ...[]fixtures.Change) []fixtures.Change {
	var out []fixtures.Change
	for _, c := range cs {
		out = append(out, c...)
	}
	slices.SortFunc(out, func(a, b fixtures.Change) int { return strings.Compare(a.Path, b.Path) })
	return out
}

func sameChanges(t *testing.T, want, got []fixtures.Change) {
	t.Helper()
	slices.SortFunc(got, func(a, b fixtures.Change) int { return strings.Compare(a.Path, b.Path) })
	if !slices.Equal(want, got) {
		t.Errorf("changes (-want +got):\n-%v\n+%v", want, got)
	}
}

// squash flattens an image into one layer with go-containerregistry's own
// whiteout handling, an independent implementation of the merge.
func squash(t *testing.T, img v1.Image) v1.Image {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return fixtures.Image(t, fixtures.BaseLabels, nil, fixtures.LayerFromTar(t, data, compression.ZStd))
}

func TestRunFindsTheBaseEveryWay(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	layout := filepath.Join(dir, "layout")
	base := fixtures.BaseImage(t)
	baseDigest, _ := base.Digest()
	baseCfg, _ := base.ConfigFile()
	lastBaseDiffID := baseCfg.RootFS.DiffIDs[len(baseCfg.RootFS.DiffIDs)-1]
	fixtures.WriteOCILayout(t, layout,
		fixtures.Named{Name: "base", Image: base},
		fixtures.Named{Name: "plain", Image: fixtures.DerivedImage(t, nil, nil)},
		fixtures.Named{Name: "annotated", Image: fixtures.DerivedImage(t, nil, map[string]string{
			layer.BaseNameAnnotation:   "oci:" + layout + ":base",
			layer.BaseDigestAnnotation: baseDigest.String(),
		})},
		fixtures.Named{Name: "encapsulated", Image: fixtures.DerivedImage(t, map[string]string{
			layer.FinalDiffIDLabel: lastBaseDiffID.String(),
		}, nil)},
		fixtures.Named{Name: "squashed", Image: squash(t, fixtures.DerivedImage(t, nil, nil))},
	)
	ref := func(name string) string { return "oci:" + layout + ":" + name }
	tests := []struct {
		name       string
		req        Request
		from       layer.BaseOrigin
		comparison Comparison
		note       string
	}{
		{"base as argument", Request{Base: ref("base"), Derived: ref("plain")}, layer.BaseFromArgument, ComparedLayers, ""},
		{"base from annotations", Request{Derived: ref("annotated")}, layer.BaseFromAnnotation, ComparedLayers, ""},
		{"base from ostree.final-diffid", Request{Derived: ref("encapsulated")}, layer.BaseFromFinalDiffID, ComparedLayers, ""},
		{"squashed image falls back to a full comparison", Request{Base: ref("base"), Derived: ref("squashed")}, layer.BaseFromArgument, ComparedFull, "rebased or squashed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Loader = loader(t)
			res, err := Run(ctx, tc.req)
			if err != nil {
				t.Fatal(err)
			}
			if res.BaseFrom != tc.from || res.Comparison != tc.comparison {
				t.Errorf("base from %v, comparison %v; want %v, %v", res.BaseFrom, res.Comparison, tc.from, tc.comparison)
			}
			if tc.note != "" && (len(res.Notes) != 1 || !strings.Contains(res.Notes[0], tc.note)) {
				t.Errorf("notes = %q, want one saying %q", res.Notes, tc.note)
			}
			sameChanges(t, fixtures.DerivedChanges, kinds(res.Changes))
		})
	}

	_, err := Run(ctx, Request{Derived: ref("plain"), Loader: loader(t)})
	if err == nil || !strings.Contains(err.Error(), "cannot tell its base") {
		t.Errorf("no base marker: error = %v", err)
	}
}

func TestRunReportsDetails(t *testing.T) {
	ctx := context.Background()
	layout := t.TempDir()
	fixtures.WriteOCILayout(t, layout,
		fixtures.Named{Name: "base", Image: fixtures.BaseImage(t)},
		fixtures.Named{Name: "derived", Image: fixtures.DerivedImage(t, nil, nil)})
	res, err := Run(ctx, Request{Base: "oci:" + layout + ":base", Derived: "oci:" + layout + ":derived",
		Loader: loader(t), IncludeMtime: true, Layers: true})
	if err != nil {
		t.Fatal(err)
	}
	sameChanges(t, sortedChanges(fixtures.DerivedChanges, fixtures.DerivedMtimeChanges), kinds(res.Changes))
	byPath := map[string]Change{}
	for _, c := range res.Changes {
		byPath[c.Path] = c
	}
	checks := []struct {
		path    string
		details []string
		delta   int64
		layer   int
	}{
		{"/usr/bin/passwd", []string{"mode 4755 -> 0755"}, 0, 3},
		{"/usr/bin/ping", []string{"xattr security.capability changed"}, 0, 4},
		{"/usr/bin/yes", []string{"content"}, int64(len("yes 9.5, patched\n") - len("yes 9.4\n")), 3},
		{"/etc/localtime", []string{"type symlink -> file"}, int64(len("TZif2 UTC\n")), 3},
		{"/usr/lib/os-release", []string{"mtime 2024-01-01T00:00:00Z -> 2024-01-03T00:00:00Z"}, 0, 4},
		{"/opt/vendor/data", nil, -int64(len("vendor data\n")), 0},
		{"/usr/local/bin/tool2", nil, int64(len("#!/bin/sh\necho tool\n")), 4},
	}
	for _, c := range checks {
		got := byPath[c.path]
		if !slices.Equal(got.Details, c.details) || got.SizeDelta != c.delta || got.Layer != c.layer {
			t.Errorf("%s: details %q, size delta %d, layer %d; want %q, %d, %d", c.path, got.Details, got.SizeDelta, got.Layer, c.details, c.delta, c.layer)
		}
	}
	for p, want := range fixtures.DerivedOwners {
		if got := byPath[p].Package; got != want {
			t.Errorf("%s: package %q, want %q", p, got, want)
		}
	}
	var pkgs []string
	for _, p := range res.Packages {
		pkgs = append(pkgs, p.Name+" "+p.Kind.String()+" "+p.From+" "+p.To+" "+string(p.Manager))
	}
	var wantPkgs []string
	for _, p := range fixtures.DerivedPackages {
		wantPkgs = append(wantPkgs, p.Name+" "+p.Kind+" "+p.From+" "+p.To+" dpkg")
	}
	if !slices.Equal(pkgs, wantPkgs) {
		t.Errorf("packages (-want +got):\n-%q\n+%q", wantPkgs, pkgs)
	}
	usr := res.Summary.Areas[0]
	if usr.Area != "/usr" || usr.Added != 5 || usr.Modified != 1 || usr.Metadata != 3 || usr.Removed != 1 {
		t.Errorf("/usr summary = %+v", usr)
	}
	if res.Summary.BaseLayers != 2 || res.Summary.DerivedLayers != 2 || res.Summary.DerivedBytes == 0 {
		t.Errorf("layer counts = %+v", res.Summary)
	}
	if res.Layers == nil || res.Layers.ReusedLayers != 2 || res.Layers.NewLayers != 2 ||
		res.Layers.Layers[2].Status != LayerNew || res.Layers.Layers[0].Status != LayerReused {
		t.Errorf("layer report = %+v", res.Layers)
	}

	var buf bytes.Buffer
	if err := WriteJSON(&buf, res); err != nil {
		t.Fatal(err)
	}
	var generic map[string]any
	if err := json.Unmarshal(buf.Bytes(), &generic); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"base", "derived", "changes", "packages", "summary"} {
		if _, ok := generic[key]; !ok {
			t.Errorf("JSON output lacks %q", key)
		}
	}
	first := generic["changes"].([]any)[0].(map[string]any)
	for _, key := range []string{"path", "kind", "size_delta"} {
		if _, ok := first[key]; !ok {
			t.Errorf("JSON change lacks %q: %v", key, first)
		}
	}
}
