package lint

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer"
)

func newLoader(t *testing.T) *layer.Loader {
	t.Helper()
	l, err := layer.NewLoader(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func findingLines(res *Result) []string {
	var out []string
	for _, f := range res.Findings {
		out = append(out, f.Rule+" "+string(f.Level)+" "+f.Path)
	}
	slices.Sort(out)
	return out
}

func TestEveryRuleTripsOnItsFixture(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "layout")
	images := []fixtures.Named{{Name: "base", Image: fixtures.Image(t, fixtures.CleanBaseLabels, nil, fixtures.Layer(t, fixtures.CleanBaseFiles()...))}}
	for _, trip := range fixtures.LintTrips {
		images = append(images, fixtures.Named{Name: trip.Name, Image: trip.Image(t, nil)})
	}
	fixtures.WriteOCILayout(t, dir, images...)
	tripped := map[string]bool{}
	for _, trip := range fixtures.LintTrips {
		t.Run(trip.Name, func(t *testing.T) {
			target, err := Open(ctx, Input{Ref: "oci:" + dir + ":" + trip.Name, Base: "oci:" + dir + ":base", Loader: newLoader(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer target.Close()
			res, err := Run(ctx, target)
			if err != nil {
				t.Fatal(err)
			}
			want := slices.Clone(trip.Want)
			slices.Sort(want)
			if got := findingLines(res); !slices.Equal(got, want) {
				t.Errorf("findings (-want +got):\n-%s\n+%s", strings.Join(want, "\n-"), strings.Join(got, "\n+"))
			}
			for _, f := range res.Findings {
				tripped[f.Rule] = true
			}
		})
	}
	for _, r := range Rules() {
		if r.Upgrade || r.Extension {
			continue // TestUpgradeRules and TestExtensionRules trip them
		}
		if r.ID != "utf8" && !tripped[r.ID] {
			t.Errorf("rule %s has no fixture that trips it", r.ID)
		}
	}
}
