package lint

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
)

// baselineTarget opens a derived image whose base already trips rules
// (a log, a leftover in /tmp, a user without sysusers.d, state in /opt),
// and which adds findings of its own on top.
func baselineTarget(t *testing.T, opts Options) *Target {
	t.Helper()
	dirty := fixtures.Layer(t,
		fixtures.Dir("var/log", 0o755), fixtures.Reg("var/log/base.log", "base\n", 0o644),
		fixtures.Reg("tmp/leftover", "x\n", 0o644),
		fixtures.Dir("etc", 0o755), fixtures.Reg("etc/passwd", "root:x:0:0:Super User:/root:/bin/sh\nold:x:991:991::/var/lib/old:/sbin/nologin\n", 0o644),
		fixtures.Dir("opt/vendor", 0o755), fixtures.Reg("opt/vendor/state.db", "s\n", 0o644))
	derived := fixtures.Layer(t,
		// A new log; the base's log rewritten, longer; a new user in the
		// rewritten passwd; new state in /opt.
		fixtures.Dir("var/log", 0o755), fixtures.Reg("var/log/new.log", "new\n", 0o644), fixtures.Reg("var/log/base.log", "base, again\n", 0o644),
		fixtures.Dir("etc", 0o755), fixtures.Reg("etc/passwd", "root:x:0:0:Super User:/root:/bin/sh\nold:x:991:991::/var/lib/old:/sbin/nologin\nnew:x:992:992::/var/lib/new:/sbin/nologin\n", 0o644),
		fixtures.Dir("opt/app", 0o755), fixtures.Reg("opt/app/app.db", "s\n", 0o644))
	base := fixtures.Layer(t, fixtures.CleanBaseFiles()...)
	dir := filepath.Join(t.TempDir(), "layout")
	fixtures.WriteOCILayout(t, dir,
		fixtures.Named{Name: "base", Image: fixtures.Image(t, fixtures.CleanBaseLabels, nil, base, dirty)},
		fixtures.Named{Name: "derived", Image: fixtures.Image(t, fixtures.CleanBaseLabels, nil, base, dirty, derived)})
	target, err := Open(context.Background(), Input{Ref: "oci:" + dir + ":derived", Base: "oci:" + dir + ":base", Loader: newLoader(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { target.Close() })
	target.Options = opts
	return target
}

func baselineLines(res *Result) []string {
	var out []string
	for _, f := range res.Findings {
		out = append(out, f.Rule+" "+f.Path+" "+f.Baseline.String())
	}
	slices.Sort(out)
	return out
}

// TestBaselineNewAndInherited: only what the derived layers caused counts;
// the rest is left out and counted, or listed as inherited on request.
func TestBaselineNewAndInherited(t *testing.T) {
	ctx := context.Background()
	newOnes := []string{
		"etc-modified /etc/passwd new",
		"opt-state /opt/app new",
		"sysusers /etc/passwd new",      // user new; the base's user old is inherited
		"var-log /var/log/base.log new", // the derived layers wrote more log
		"var-log /var/log/new.log new",
		"var-tmpfiles /var/log/new.log new",
	}
	inherited := []string{
		"nonempty-run-tmp /tmp/leftover inherited",
		"sysusers /etc/passwd inherited",
		"var-tmpfiles /var/log/base.log inherited", // the same finding word for word
	}
	res, err := Run(ctx, baselineTarget(t, Options{}))
	if err != nil {
		t.Fatal(err)
	}
	if got := baselineLines(res); !slices.Equal(got, newOnes) {
		t.Errorf("findings (-want +got):\n-%s\n+%s", strings.Join(newOnes, "\n-"), strings.Join(got, "\n+"))
	}
	if res.Inherited != len(inherited) || res.Counts.Warning != len(newOnes) {
		t.Errorf("%d inherited left out, %d warnings; want %d and %d", res.Inherited, res.Counts.Warning, len(inherited), len(newOnes))
	}
	var text bytes.Buffer
	WriteText(&text, res, TextOptions{})
	if !strings.Contains(text.String(), "Left out: 3 findings the base has too (--include-inherited lists them).") || strings.Contains(text.String(), "leftover") {
		t.Errorf("text output:\n%s", text.String())
	}
	for _, c := range res.Checks {
		if c.Rule == "nonempty-run-tmp" && c.Status != Passed {
			t.Errorf("nonempty-run-tmp, whose only finding is inherited, %s", c.Status)
		}
	}

	all, err := Run(ctx, baselineTarget(t, Options{IncludeInherited: true}))
	if err != nil {
		t.Fatal(err)
	}
	want := append(slices.Clone(newOnes), inherited...)
	slices.Sort(want)
	if got := baselineLines(all); !slices.Equal(got, want) || all.Inherited != 0 || all.Counts.Warning != len(want) {
		t.Errorf("with inherited (-want +got):\n-%s\n+%s", strings.Join(want, "\n-"), strings.Join(got, "\n+"))
	}
	var sarif bytes.Buffer
	if err := WriteSARIF(&sarif, all, "1.0.0"); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Runs []struct {
			Results []struct {
				RuleID        string `json:"ruleId"`
				BaselineState string `json:"baselineState"`
			} `json:"results"`
		} `json:"runs"`
	}
	json.Unmarshal(sarif.Bytes(), &doc)
	states := map[string]int{}
	for _, r := range doc.Runs[0].Results {
		states[r.BaselineState]++
	}
	if states["new"] != len(newOnes) || states["unchanged"] != len(inherited) || len(states) != 2 {
		t.Errorf("SARIF baselineState counts %v", states)
	}
	var junit bytes.Buffer
	WriteJUnit(&junit, res, false)
	if strings.Contains(junit.String(), "leftover") || !strings.Contains(junit.String(), "new.log") {
		t.Errorf("JUnit lists inherited findings, or not the new ones:\n%s", junit.String())
	}
}

// TestNoBaselineWithoutBase: without a base every finding counts and has
// no baseline, in JSON and SARIF alike.
func TestNoBaselineWithoutBase(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "layout")
	fixtures.WriteOCILayout(t, dir, fixtures.Named{Name: "x", Image: fixtures.Image(t, fixtures.CleanBaseLabels, nil,
		fixtures.Layer(t, fixtures.CleanBaseFiles()...), fixtures.Layer(t, fixtures.Dir("var/log", 0o755), fixtures.Reg("var/log/a.log", "a\n", 0o644)))})
	target, err := Open(context.Background(), Input{Ref: "oci:" + dir + ":x", Loader: newLoader(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	res, err := Run(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	WriteJSON(&out, res)
	if len(res.Findings) == 0 || strings.Contains(out.String(), "baseline") || res.Inherited != 0 {
		t.Errorf("findings without a base: %s", out.String())
	}
	out.Reset()
	WriteSARIF(&out, res, "1.0.0")
	if strings.Contains(out.String(), "baselineState") {
		t.Error("SARIF has a baselineState without a base")
	}
}

// TestBaselineNotAgainstItself: an ostree-encapsulated base linted on its
// own is its own base (its layers hold the commit): no derived layers, so
// its findings are reported, not left out as inherited.
func TestBaselineNotAgainstItself(t *testing.T) {
	files := append(fixtures.CleanBaseFiles(), fixtures.Reg("var/log/base.log", "base\n", 0o644))
	dir := filepath.Join(t.TempDir(), "layout")
	fixtures.WriteOCILayout(t, dir, fixtures.Named{Name: "fcos", Image: fixtures.OstreeImage(t, files, fixtures.OstreeOptions{})})
	target, err := Open(context.Background(), Input{Ref: "oci:" + dir + ":fcos", Loader: newLoader(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	res, err := Run(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	if target.Base == nil || !target.Base.Whole || res.Inherited != 0 || !slices.Contains(baselineLines(res), "var-log /var/log/base.log baseline(0)") {
		t.Errorf("base %+v, %d inherited, findings %q", target.Base, res.Inherited, baselineLines(res))
	}
}
