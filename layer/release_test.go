package layer

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
)

func TestReleaseOf(t *testing.T) {
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   Release
		err    string // a part of the error; "" for none
	}{
		{name: "no labels", labels: nil, want: Release{}},
		{name: "other labels only", labels: map[string]string{"containers.bootc": "1", "org.oslayer.other": "x"}, want: Release{}},
		{name: "version", labels: map[string]string{VersionLabel: "42.1"}, want: Release{Version: "42.1"}},
		{name: "barrier", labels: map[string]string{VersionLabel: "1.2.0", BarrierLabel: "true"}, want: Release{Version: "1.2.0", Barrier: true}},
		{name: "barrier false", labels: map[string]string{VersionLabel: "1.2.0", BarrierLabel: "false"}, want: Release{Version: "1.2.0"}},
		{name: "dead-end", labels: map[string]string{VersionLabel: "1.3.0", DeadEndLabel: "https://example.com/issues/7"},
			want: Release{Version: "1.3.0", DeadEnd: "https://example.com/issues/7"}},
		{name: "barrier yes", labels: map[string]string{BarrierLabel: "yes"}, err: "want true or false"},
		{name: "barrier TRUE", labels: map[string]string{BarrierLabel: "TRUE"}, err: "want true or false"},
		{name: "empty dead-end", labels: map[string]string{DeadEndLabel: " "}, err: "empty reason"},
		{name: "empty version", labels: map[string]string{VersionLabel: ""}, err: "empty version"},
		{name: "misspelt flag", labels: map[string]string{"org.oslayer.release.barier": "true"}, err: "unknown release label"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReleaseOf(tc.labels)
			if tc.err != "" {
				var le *ReleaseLabelError
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.As(err, &le) {
					t.Fatalf("error %v, want a ReleaseLabelError with %q", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestReleaseString(t *testing.T) {
	for _, tc := range []struct {
		r    Release
		want string
	}{
		{Release{Version: "1.0"}, "1.0"},
		{Release{Version: "1.2", Barrier: true}, "1.2 (barrier)"},
		{Release{Version: "1.3", Barrier: true, DeadEnd: "EOL"}, "1.3 (barrier; dead-end: EOL)"},
		{Release{DeadEnd: "EOL"}, "(no version) (dead-end: EOL)"},
	} {
		if got := tc.r.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.r, got, tc.want)
		}
	}
	if !(Release{}).IsZero() || (Release{Version: "1"}).IsZero() {
		t.Error("IsZero")
	}
}

func TestCheckReleaseLabels(t *testing.T) {
	yes, empty, ok := "yes", "", "true"
	if err := CheckReleaseLabels(map[string]*string{BarrierLabel: &ok, DeadEndLabel: nil, "org.example.x": &empty}); err != nil {
		t.Errorf("valid labels refused: %v", err)
	}
	if err := CheckReleaseLabels(map[string]*string{BarrierLabel: &yes}); err == nil {
		t.Error("barrier=yes accepted")
	}
	if err := CheckReleaseLabels(map[string]*string{DeadEndLabel: &empty}); err == nil {
		t.Error("an empty dead-end reason accepted")
	}
}

// TestSetLabels: labels set and removed, the manifest's annotations kept.
func TestSetLabels(t *testing.T) {
	img := fixtures.Image(t, map[string]string{BarrierLabel: "true", "keep": "1"}, map[string]string{"a": "b"}, fixtures.Layer(t, fixtures.Reg("f", "x", 0o644)))
	v := "2.0"
	out, err := SetLabels(img, map[string]*string{VersionLabel: &v, BarrierLabel: nil})
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := out.ConfigFile()
	m, _ := out.Manifest()
	if !reflect.DeepEqual(cf.Config.Labels, map[string]string{VersionLabel: "2.0", "keep": "1"}) || m.Annotations["a"] != "b" {
		t.Errorf("labels %v, annotations %v", cf.Config.Labels, m.Annotations)
	}
	if before, _ := img.ConfigFile(); before.Config.Labels[BarrierLabel] != "true" {
		t.Error("the source image changed")
	}
}
