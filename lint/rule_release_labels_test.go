package lint

import (
	"bytes"
	"context"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer"
)

// TestReleaseLabels: what release-labels finds on a derived image whose
// base is release 42.1 and a barrier, and what the result says.
func TestReleaseLabels(t *testing.T) {
	ctx := context.Background()
	baseLabels := map[string]string{"containers.bootc": "1", layer.VersionLabel: "42.1", layer.BarrierLabel: "true"}
	with := func(set map[string]string, drop ...string) map[string]string {
		out := maps.Clone(baseLabels)
		maps.Copy(out, set)
		for _, k := range drop {
			delete(out, k)
		}
		return out
	}
	cases := []struct {
		name    string
		labels  map[string]string
		want    []string // findings of release-labels, "level message-part"
		release string   // Result.Release, "" for none
	}{
		{"own release", with(map[string]string{layer.VersionLabel: "1.0.0"}, layer.BarrierLabel), nil, "1.0.0"},
		{"own barrier", with(map[string]string{layer.VersionLabel: "1.1.0"}), []string{"warning " + layer.BarrierLabel + "=true is inherited"}, "1.1.0 (barrier)"},
		{"inherits all", with(nil), []string{"warning " + layer.VersionLabel + "=42.1 is the base's", "warning " + layer.BarrierLabel + "=true is inherited"}, "42.1 (barrier)"},
		{"unordered version", with(map[string]string{layer.VersionLabel: "latest"}, layer.BarrierLabel), []string{`warning version "latest" is neither`}, "latest"},
		{"no release", with(nil, layer.VersionLabel, layer.BarrierLabel), nil, ""},
		{"empty dead-end", with(map[string]string{layer.VersionLabel: "2.0", layer.DeadEndLabel: ""}), []string{"fatal label " + layer.DeadEndLabel + `="": empty reason`}, ""},
	}
	dir := filepath.Join(t.TempDir(), "layout")
	baseLayer := fixtures.Layer(t, fixtures.CleanBaseFiles()...)
	images := []fixtures.Named{{Name: "base", Image: fixtures.Image(t, baseLabels, nil, baseLayer)}}
	for i, tc := range cases {
		images = append(images, fixtures.Named{Name: tc.name, Image: fixtures.Image(t, tc.labels, nil, baseLayer,
			fixtures.Layer(t, fixtures.Dir("usr/bin", 0o755), fixtures.Reg("usr/bin/tool", strings.Repeat("x", i), 0o755)))})
	}
	fixtures.WriteOCILayout(t, dir, images...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			target, err := Open(ctx, Input{Ref: "oci:" + dir + ":" + tc.name, Base: "oci:" + dir + ":base", Loader: newLoader(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer target.Close()
			res, err := Run(ctx, target)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range res.Findings {
				if f.Rule == "release-labels" {
					got = append(got, string(f.Level)+" "+f.Message)
				}
			}
			slices.Sort(got)
			if len(got) != len(tc.want) {
				t.Fatalf("findings %q, want %q", got, tc.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tc.want[i]) {
					t.Errorf("finding %q, want %q", got[i], tc.want[i])
				}
			}
			rel := ""
			if res.Release != nil {
				rel = res.Release.String()
			}
			if rel != tc.release {
				t.Errorf("release %q, want %q", rel, tc.release)
			}
			var text bytes.Buffer
			if err := WriteText(&text, res, TextOptions{}); err != nil {
				t.Fatal(err)
			}
			if has := strings.Contains(text.String(), "\nrelease: "+tc.release+"\n"); has != (tc.release != "") {
				t.Errorf("text:\n%s", text.String())
			}
		})
	}
}
