package main

import (
	"encoding/json"
	"encoding/xml"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/lint"
)

func TestLintImagesInARegistry(t *testing.T) {
	reg := fixtures.StartRegistry(t)
	base := fixtures.Image(t, fixtures.CleanBaseLabels, nil, fixtures.Layer(t, fixtures.CleanBaseFiles()...))
	baseRef := reg + "/os/base:1"
	r, _ := name.ParseReference(baseRef)
	if err := remote.Write(r, base); err != nil {
		t.Fatal(err)
	}
	baseDigest, _ := base.Digest()
	cache := t.TempDir()
	for _, trip := range fixtures.LintTrips {
		t.Run(trip.Name, func(t *testing.T) {
			// As buildah writes them for an image built FROM the base.
			anns := map[string]string{layer.BaseNameAnnotation: baseRef, layer.BaseDigestAnnotation: baseDigest.String()}
			img := trip.Image(t, anns)
			ref := reg + "/os/" + trip.Name + ":1"
			r, _ := name.ParseReference(ref)
			if err := remote.Write(r, img); err != nil {
				t.Fatal(err)
			}
			out, stderr, code := oslayer(t, cache, "lint", "--format", "json", "--tls-verify=false", "docker://"+ref)
			var res lint.Result
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("exit %d, output not JSON: %v\n%s\n%s", code, err, out, stderr)
			}
			var got []string
			fatal, warning := false, false
			for _, f := range res.Findings {
				got = append(got, f.Rule+" "+string(f.Level)+" "+f.Path)
				fatal = fatal || f.Level == lint.Fatal
				warning = warning || f.Level == lint.Warning
			}
			slices.Sort(got)
			want := slices.Clone(trip.Want)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("findings (-want +got):\n-%s\n+%s", strings.Join(want, "\n-"), strings.Join(got, "\n+"))
			}
			if res.Base != "docker://"+reg+"/os/base@"+baseDigest.String() || res.BaseFrom != "annotation "+layer.BaseNameAnnotation {
				t.Errorf("base %q from %q", res.Base, res.BaseFrom)
			}
			wantCode := 0
			if fatal {
				wantCode = 1
			}
			if code != wantCode {
				t.Errorf("exit code %d, want %d\n%s", code, wantCode, stderr)
			}
			if _, _, code := oslayer(t, cache, "lint", "--fatal-warnings", "--tls-verify=false", "docker://"+ref); warning && code != 1 {
				t.Errorf("--fatal-warnings with warnings: exit %d, want 1", code)
			}
			// The findings survive into JUnit, one testcase per rule.
			out, _, _ = oslayer(t, cache, "lint", "--format", "junit", "--tls-verify=false", "docker://"+ref)
			var suites struct {
				Failures int `xml:"failures,attr"`
				Cases    []struct {
					Name string `xml:"name,attr"`
				} `xml:"testsuite>testcase"`
			}
			if err := xml.Unmarshal([]byte(out), &suites); err != nil {
				t.Fatalf("junit: %v\n%s", err, out)
			}
			rules := 0
			for _, r := range lint.Rules() {
				if !r.Upgrade && !r.Extension {
					rules++
				}
			}
			if len(suites.Cases) != rules || (fatal && suites.Failures == 0) {
				t.Errorf("junit: %d cases, %d failures", len(suites.Cases), suites.Failures)
			}
		})
	}
}

func TestLintCLI(t *testing.T) {
	cache := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"list", []string{"lint", "--list"}, 0, "fatal    oslayer  derived layers may add to /usr", ""},
		{"list json has the regenerated files", []string{"lint", "--list", "--format", "json"}, 0, `"pattern": "/usr/share/info/dir"`, ""},
		{"example fails on overrides", []string{"lint", example + "derived", "--base", example + "base"}, 1, "FAIL: 4 fatal findings", ""},
		{"allow-override passes", []string{"lint", example + "derived", "--base", example + "base", "--allow-override"}, 0, "PASS", ""},
		{"allow-override-path covers some", []string{"lint", example + "derived", "--base", example + "base", "--allow-override-path", "/usr/bin/*"}, 1, "FAIL: 1 fatal finding", ""},
		{"skip", []string{"lint", example + "derived", "--base", example + "base", "--skip", "usr-override"}, 0, "skipped with --skip", ""},
		{"unknown skip", []string{"lint", example + "derived", "--skip", "nope"}, 2, "", `no rule "nope"`},
		{"bad format", []string{"lint", example + "derived", "--format", "yaml"}, 2, "", "want text, json, sarif or junit"},
		{"no base marker: checked against package records", []string{"lint", example + "derived"}, 1, "/usr/share/doc/coreutils/LICENSE [coreutils]: base file changed: removed; differs from what package coreutils 9.5-1 installed", ""},
		{"sarif", []string{"lint", example + "derived", "--base", example + "base", "--format", "sarif"}, 1, `"version": "2.1.0"`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := oslayer(t, cache, tc.args...)
			if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d (want %d)\nstdout lacks %q?\n%s\nstderr lacks %q?\n%s", code, tc.code, tc.stdout, stdout, tc.stderr, stderr)
			}
		})
	}
}
