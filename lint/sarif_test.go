package lint

import (
	"bytes"
	"encoding/json"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
)

// hostileFindings are findings of every level, with and without path and
// package, whose strings carry XML and JSON metacharacters, URI
// delimiters, non-ASCII text, a control character and invalid UTF-8.
var hostileFindings = []Finding{
	{Rule: "usr-override", Level: Fatal, Path: "/usr/bin/yes", Package: "coreutils", Message: "changes the base's file (content differs)"},
	{Rule: "usr-override", Level: Fatal, Path: `/usr/lib/<odd> & "quoted"/ünïcødé ☃.so`, Package: `glibc&<"x">`, Message: `mode <0755> → <4755> & "setuid" — ça va?`},
	{Rule: "usr-override", Level: Info, Path: "/usr/share/doc/a b/c:d#e?f%g", Message: "allowed by LABEL ostree.override=true"},
	{Rule: "kernel", Level: Fatal, Message: "no kernel under /usr/lib/modules <none> & \"nothing\""},
	{Rule: "var-log", Level: Warning, Path: "/var/log/dnf.log", Package: "dnf", Message: "log file shipped in the image"},
	{Rule: "var-log", Level: Warning, Path: "/var/log/\u65e5\u672c.log", Message: "ctrl\x01char and bad \xff utf-8"},
	{Rule: "setuid-added", Level: Warning, Package: "sudo-ng", Message: "package adds a setuid binary"},
	{Rule: "sqlite-wal", Level: Info, Path: "/", Message: "root]]>itself"},
}

// hostileSkips are the rules skipped in hostileResult, with why.
var hostileSkips = map[string]string{
	"baseimage-composefs": `no base <image> & "ref" – ñ`,
	"sysusers":            "skipped with --skip",
}

// hostileResult builds a result as Run would: findings grouped by rule in
// rule order, one check per rule with its status, and the counts.
func hostileResult(target string) *Result {
	res := &Result{Target: target, Mode: "image", Base: "quay.io/example/base:1", BaseFrom: "label", Notes: []string{"note <1> & \"2\""}}
	for _, r := range Rules() {
		c := Check{Rule: r.ID, Level: r.Level, Status: Passed}
		if why, ok := hostileSkips[r.ID]; ok {
			c.Status, c.Reason = Skipped, why
			res.Counts.Skipped++
			res.Checks = append(res.Checks, c)
			continue
		}
		for _, f := range hostileFindings {
			if f.Rule != r.ID {
				continue
			}
			res.Findings = append(res.Findings, f)
			switch f.Level {
			case Fatal:
				res.Counts.Fatal++
			case Warning:
				res.Counts.Warning++
			case Info:
				res.Counts.Info++
			}
			if f.Level != Info {
				c.Status = Failed
			}
		}
		if c.Status == Failed {
			res.Counts.Failed++
		} else {
			res.Counts.Passed++
		}
		res.Checks = append(res.Checks, c)
	}
	return res
}

// sarifValidator compiles the OASIS SARIF 2.1.0 schema in testdata.
func sarifValidator(t *testing.T) *jsonschema.Schema {
	t.Helper()
	const file = "testdata/sarif/sarif-schema-2.1.0.json"
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c := jsonschema.NewCompiler()
	if err := c.AddResource(file, f); err != nil {
		t.Fatalf("loading %s: %v", file, err)
	}
	s, err := c.Compile(file)
	if err != nil {
		t.Fatalf("compiling %s: %v", file, err)
	}
	return s
}

func writeSARIF(t *testing.T, res *Result, version string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteSARIF(&buf, res, version); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestSARIFMatchesSchema(t *testing.T) {
	schema := sarifValidator(t)
	empty := &Result{Target: "/mnt/rootfs", Mode: "rootfs"}
	for _, tc := range []struct {
		name    string
		res     *Result
		version string
	}{
		{"hostile findings", hostileResult("docker://quay.io/example/os:candidate"), "v1.2.3"},
		{"devel build", hostileResult("oci:build:latest"), "devel-0123456789ab"},
		{"no findings", empty, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out := writeSARIF(t, tc.res, tc.version)
			var doc any
			if err := json.Unmarshal(out, &doc); err != nil {
				t.Fatalf("output is not JSON: %v\n%s", err, out)
			}
			if err := schema.Validate(doc); err != nil {
				t.Fatalf("output does not match the SARIF 2.1.0 schema: %#v\n%s", err, out)
			}
		})
	}
}

// The schema is strict enough to catch a malformed log: a sanity check
// that validation is not vacuous.
func TestSARIFSchemaRejectsMalformed(t *testing.T) {
	schema := sarifValidator(t)
	for name, doc := range map[string]string{
		"unknown property": `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"bogus":1}]}`,
		"bad level":        `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"level":"fatal"}]}]}`,
		"no driver name":   `{"version":"2.1.0","runs":[{"tool":{"driver":{}}}]}`,
		"bad uri":          `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"x"}},"results":[{"message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a b%zz"}}}]}]}]}`,
	} {
		var v any
		if err := json.Unmarshal([]byte(doc), &v); err != nil {
			t.Fatal(err)
		}
		if err := schema.Validate(v); err == nil {
			t.Errorf("%s: the schema accepts %s", name, doc)
		}
	}
}

func TestSARIFGitHubRequirements(t *testing.T) {
	res := hostileResult("docker://quay.io/example/os:candidate")
	out := writeSARIF(t, res, "v1.2.3")
	var doc sarifLog
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Schema != "https://json.schemastore.org/sarif-2.1.0.json" || doc.Version != "2.1.0" || len(doc.Runs) != 1 {
		t.Fatalf("$schema %q, version %q, %d runs; want schemastore's 2.1.0 and one run", doc.Schema, doc.Version, len(doc.Runs))
	}
	run := doc.Runs[0]
	d := run.Tool.Driver
	if d.Name != "oslayer" || d.InformationURI != "https://github.com/oslayer/oslayer" || d.Version != "v1.2.3" || d.SemanticVersion != "1.2.3" {
		t.Errorf("driver = %q %q %q %q", d.Name, d.InformationURI, d.Version, d.SemanticVersion)
	}

	rules := Rules()
	if len(d.Rules) != len(rules) {
		t.Fatalf("driver lists %d rules, want all %d", len(d.Rules), len(rules))
	}
	for i, r := range rules {
		got := d.Rules[i]
		want := sarifRule{
			ID: r.ID, Name: r.ID,
			ShortDescription:     sarifText{r.Description},
			FullDescription:      sarifText{r.Help},
			Help:                 sarifText{r.Help},
			DefaultConfiguration: sarifRuleConfig{map[Level]string{Fatal: "error", Warning: "warning", Info: "note"}[r.Level]},
			Properties:           sarifRuleProps{Tags: []string{r.Source}},
		}
		if got.ID != want.ID || got.Name != want.Name || got.ShortDescription != want.ShortDescription ||
			got.FullDescription != want.FullDescription || got.Help != want.Help ||
			got.DefaultConfiguration != want.DefaultConfiguration || !slices.Equal(got.Properties.Tags, want.Properties.Tags) {
			t.Errorf("rules[%d] = %+v, want %+v", i, got, want)
		}
	}

	if len(run.Invocations) != 1 || !run.Invocations[0].ExecutionSuccessful {
		t.Errorf("invocations = %+v, want one successful", run.Invocations)
	}
	var skipped []string
	for _, n := range run.Invocations[0].ToolExecutionNotifications {
		skipped = append(skipped, n.AssociatedRule.ID)
		if r := n.AssociatedRule; r.Index == nil || d.Rules[*r.Index].ID != r.ID {
			t.Errorf("notification %+v does not point at its rule", n)
		}
		if !strings.Contains(n.Message.Text, hostileSkips[n.AssociatedRule.ID]) {
			t.Errorf("notification %q does not give the reason %q", n.Message.Text, hostileSkips[n.AssociatedRule.ID])
		}
	}
	if !slices.Equal(skipped, []string{"baseimage-composefs", "sysusers"}) {
		t.Errorf("skipped rules notified: %q", skipped)
	}
	if p := run.Properties; p == nil || p.Target != res.Target || p.Mode != "image" || p.Base != res.Base {
		t.Errorf("run properties = %+v, want the target", p)
	}

	if len(run.Results) != len(res.Findings) {
		t.Fatalf("%d results for %d findings", len(run.Results), len(res.Findings))
	}
	seen := map[string]bool{}
	for i, got := range run.Results {
		f := res.Findings[i]
		if got.RuleID != f.Rule || got.RuleIndex == nil || d.Rules[*got.RuleIndex].ID != f.Rule {
			t.Errorf("result %d: ruleId %q ruleIndex %v, want %q and its index", i, got.RuleID, got.RuleIndex, f.Rule)
		}
		if want := map[Level]string{Fatal: "error", Warning: "warning", Info: "note"}[f.Level]; got.Level != want {
			t.Errorf("result %d: level %q, want %q", i, got.Level, want)
		}
		msg := strings.ToValidUTF8(f.Message, "\uFFFD")
		if !strings.Contains(got.Message.Text, msg) || (f.Package != "" && !strings.Contains(got.Message.Text, f.Package)) {
			t.Errorf("result %d: message %q lacks %q or package %q", i, got.Message.Text, msg, f.Package)
		}
		if len(got.Locations) == 0 {
			t.Fatalf("result %d has no location", i)
		}
		uri := got.Locations[0].PhysicalLocation.ArtifactLocation.URI
		u, err := url.Parse(uri)
		if err != nil || uri == "" || u.IsAbs() || u.Host != "" || strings.HasPrefix(uri, "/") {
			t.Errorf("result %d: uri %q is not a relative reference (%v)", i, uri, err)
			continue
		}
		if got.Locations[0].PhysicalLocation.Region.StartLine < 1 {
			t.Errorf("result %d: no region start line", i)
		}
		want := "quay.io/example/os" // the image's repository, for findings without a path
		switch f.Path {
		case "":
		case "/":
			want = "."
		default:
			want = strings.TrimPrefix(f.Path, "/")
		}
		if u.Path != want {
			t.Errorf("result %d: uri %q is the path %q, want %q", i, uri, u.Path, want)
		}
		fp := got.PartialFingerprints[sarifFingerprint]
		if fp == "" || seen[fp] {
			t.Errorf("result %d: fingerprint %q empty or not unique", i, fp)
		}
		seen[fp] = true
	}
}

func TestSARIFDeterministic(t *testing.T) {
	a := writeSARIF(t, hostileResult("docker://quay.io/example/os:candidate"), "v1.2.3")
	b := writeSARIF(t, hostileResult("docker://quay.io/example/os:candidate"), "v1.2.3")
	if !bytes.Equal(a, b) {
		t.Fatal("two writes of the same result differ")
	}
}

// Fingerprints follow the finding, not the run: another tag, another
// oslayer version and another order give each finding the same one.
func TestSARIFFingerprintsStableAcrossRuns(t *testing.T) {
	fingerprints := func(res *Result, version string) map[string]string {
		var doc sarifLog
		if err := json.Unmarshal(writeSARIF(t, res, version), &doc); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, r := range doc.Runs[0].Results {
			out[r.RuleID+" "+r.Message.Text] = r.PartialFingerprints[sarifFingerprint]
		}
		return out
	}
	first := fingerprints(hostileResult("docker://quay.io/example/os:1"), "v1.0.0")
	later := hostileResult("docker://quay.io/example/os:2")
	slices.Reverse(later.Findings)
	second := fingerprints(later, "v2.0.0")
	if len(first) != len(hostileFindings) {
		t.Fatalf("%d distinct results, want %d", len(first), len(hostileFindings))
	}
	for k, fp := range first {
		if second[k] != fp {
			t.Errorf("%s: fingerprint %q then %q", k, fp, second[k])
		}
	}
	// A different message is a different alert.
	f := hostileFindings[0]
	g := f
	g.Message += "!"
	if sarifFingerprintOf(f) == sarifFingerprintOf(g) {
		t.Error("fingerprint ignores the message")
	}
}

func TestSemanticVersion(t *testing.T) {
	for in, want := range map[string]string{
		"v1.2.3":                             "1.2.3",
		"1.2.3-rc.1+build.5":                 "1.2.3-rc.1+build.5",
		"v0.0.0-20240101000000-abcdef123456": "0.0.0-20240101000000-abcdef123456",
		"v1.2.3+dirty":                       "1.2.3+dirty",
		"devel":                              "",
		"devel-0123456789ab":                 "",
		"":                                   "",
		"1.2":                                "",
		"v01.2.3":                            "",
	} {
		if got := semanticVersion(in); got != want {
			t.Errorf("semanticVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSARIFLocations(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/usr/bin/yes", "usr/bin/yes"},
		{"/", "."},
		{"/etc//x/../passwd", "etc/passwd"},
		{"/a b/c:d#e?f%g", "a%20b/c%3Ad%23e%3Ff%25g"},
		{"/ü/<&>", "%C3%BC/%3C&%3E"},
	} {
		if got := sarifPathURI(tc.in); got != tc.want {
			t.Errorf("sarifPathURI(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	for _, tc := range []struct{ target, mode, want string }{
		{"docker://quay.io/fedora/fedora-bootc:42", "image", "quay.io/fedora/fedora-bootc"},
		{"docker://registry.example.com:5000/team/os@sha256:0123", "image", "registry.example.com%3A5000/team/os"},
		{"docker://localhost:5000/os", "image", "localhost%3A5000/os"},
		{"oci:build:latest", "image", "build"},
		{"oci-archive:/tmp/img.tar:candidate", "image", "tmp/img.tar"},
		{"/mnt/rootfs", "rootfs", "."},
		{"/", "rootfs", "."},
		{"", "image", "."},
	} {
		if got := sarifTargetURI(&Result{Target: tc.target, Mode: tc.mode}); got != tc.want {
			t.Errorf("sarifTargetURI(%q, %s) = %q, want %q", tc.target, tc.mode, got, tc.want)
		}
	}
}

// The schema file is the one README.md describes.
func TestSARIFSchemaIsOASIS(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "sarif", "sarif-schema-2.1.0.json"))
	if err != nil {
		t.Fatal(err)
	}
	var head struct {
		Schema string `json:"$schema"`
		ID     string `json:"id"`
	}
	if err := json.Unmarshal(b, &head); err != nil {
		t.Fatal(err)
	}
	if head.ID != "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json" {
		t.Errorf("schema id %q is not OASIS's SARIF 2.1.0 errata 01", head.ID)
	}
}
