// Package integrations holds the tests of the CI integrations in this
// directory: each file is checked against its platform's published schema,
// and the shell each one runs is run as the platform would run it, against
// the example images, with a freshly built oslayer served as a release.
package integrations

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v5"
	"gopkg.in/yaml.v3"

	"github.com/oslayer/oslayer/fixtures"
)

// testVersion is stamped into the binary the tests serve as a release.
const testVersion = "v0.0.0-integrations"

var (
	// oslayerBin is the binary built once for the tests, with testVersion.
	oslayerBin string
	// layout is the absolute path of the example OCI layout (tags base and
	// derived).
	layout string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "oslayer-integrations-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	oslayerBin = filepath.Join(dir, "oslayer")
	build := exec.Command("go", "build", "-ldflags", "-X main.version="+testVersion, "-o", oslayerBin, "../../cmd/oslayer")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building oslayer: %v\n%s", err, out)
		os.Exit(2)
	}
	layout, err = filepath.Abs("../../examples/layout")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// readYAML reads a YAML file as the JSON value a schema validates.
func readYAML(t *testing.T, file string) any {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	// Through JSON, so that the validator sees JSON types only.
	j, err := json.Marshal(doc)
	if err != nil {
		t.Fatalf("%s: not representable as JSON: %v", file, err)
	}
	var v any
	if err := json.Unmarshal(j, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// compileSchema compiles a schema document (already parsed) under a name.
func compileSchema(t *testing.T, name string, doc any) *jsonschema.Schema {
	t.Helper()
	data, err := json.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(name, bytes.NewReader(data)); err != nil {
		t.Fatalf("loading %s: %v", name, err)
	}
	s, err := c.Compile(name)
	if err != nil {
		t.Fatalf("compiling %s: %v", name, err)
	}
	return s
}

func jsonFile(t *testing.T, file string) any {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return v
}

// tektonTaskSchema is the openAPIV3Schema of the v1 Task in Tekton's CRD,
// strict: every object that lists its properties and does not preserve
// unknown fields refuses others, as kubectl apply --validate=strict does.
func tektonTaskSchema(t *testing.T) any {
	t.Helper()
	crd, ok := readYAML(t, "testdata/schemas/tekton-task-crd.yaml").(map[string]any)
	if !ok {
		t.Fatal("the Tekton CRD is not an object")
	}
	spec, _ := crd["spec"].(map[string]any)
	versions, _ := spec["versions"].([]any)
	for _, v := range versions {
		ver, _ := v.(map[string]any)
		if ver["name"] != "v1" {
			continue
		}
		sch, _ := ver["schema"].(map[string]any)
		open, ok := sch["openAPIV3Schema"].(map[string]any)
		if !ok {
			t.Fatal("the Tekton CRD's v1 has no openAPIV3Schema")
		}
		strict(open)
		return open
	}
	t.Fatal("the Tekton CRD has no version v1")
	return nil
}

func strict(v any) {
	switch s := v.(type) {
	case map[string]any:
		_, hasProps := s["properties"]
		_, hasAdditional := s["additionalProperties"]
		if hasProps && !hasAdditional && s["x-kubernetes-preserve-unknown-fields"] != true {
			s["additionalProperties"] = false
		}
		for _, c := range s {
			strict(c)
		}
	case []any:
		for _, c := range s {
			strict(c)
		}
	}
}

// mutate returns a deep copy of doc changed by f.
func mutate(t *testing.T, doc any, f func(m map[string]any)) any {
	t.Helper()
	data, _ := json.Marshal(doc)
	var c map[string]any
	if err := json.Unmarshal(data, &c); err != nil {
		t.Fatal(err)
	}
	f(c)
	return c
}

func obj(v any, keys ...string) map[string]any {
	m, _ := v.(map[string]any)
	for _, k := range keys {
		m, _ = m[k].(map[string]any)
	}
	return m
}

// TestIntegrationsMatchTheirSchemas validates each integration against
// its platform's schema, and a misspelt field of each against the same
// schema, which must refuse it.
func TestIntegrationsMatchTheirSchemas(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		schema     func(t *testing.T) any
		// use, when set, turns the file into what the platform checks
		use      func(m map[string]any)
		misspell func(m map[string]any)
	}{
		{"GitHub Action", "github/action.yml",
			func(t *testing.T) any { return jsonFile(t, "testdata/schemas/github-action.json") }, nil,
			func(m map[string]any) { obj(m, "inputs", "image")["requird"] = true }},
		// GitLab's schema lets a hidden job hold anything: the template is
		// also checked as the job a pipeline that extends it gets.
		{"GitLab CI template", "gitlab/oslayer.gitlab-ci.yml",
			func(t *testing.T) any { return jsonFile(t, "testdata/schemas/gitlab-ci.json") },
			func(m map[string]any) {
				job := mutate(t, m[".oslayer-lint"], func(job map[string]any) {
					obj(job, "variables")["OSLAYER_LINT_IMAGE"] = "$CI_REGISTRY_IMAGE:$CI_COMMIT_SHA"
					job["stage"] = "test"
				})
				m["lint-os-image"] = job
			},
			func(m map[string]any) {
				obj(m, "lint-os-image", "artifacts")["report"] = obj(m, "lint-os-image", "artifacts")["reports"]
			}},
		{"Tekton Task", "tekton/oslayer-lint.yaml", tektonTaskSchema, nil,
			func(m map[string]any) {
				ws := obj(m, "spec")["workspaces"].([]any)[0].(map[string]any)
				ws["optinal"] = ws["optional"]
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			schema := compileSchema(t, tc.name, tc.schema(t))
			doc := readYAML(t, tc.file)
			if tc.use != nil {
				doc = mutate(t, doc, tc.use)
			}
			if err := schema.Validate(doc); err != nil {
				t.Errorf("%s does not match the schema:\n%#v", tc.file, err)
			}
			if err := schema.Validate(mutate(t, doc, tc.misspell)); err == nil {
				t.Errorf("the schema accepts %s with a misspelt field", tc.file)
			}
		})
	}
}

// release serves oslayerBin as an oslayer release would be downloaded:
// BASE/latest/download/FILE and BASE/download/VERSION/FILE, with a
// SHA256SUMS. Version v6.6.6 serves a binary that does not match its sum.
type release struct {
	URL       string
	downloads atomic.Int32
}

func serveRelease(t *testing.T) *release {
	t.Helper()
	bin, err := os.ReadFile(oslayerBin)
	if err != nil {
		t.Fatal(err)
	}
	file := "oslayer-linux-" + runtime.GOARCH
	sum := sha256.Sum256(bin)
	sums := hex.EncodeToString(sum[:]) + "  " + file + "\n" +
		strings.Repeat("0", 64) + "  oslayer-linux-other\n"
	r := &release{}
	mux := http.NewServeMux()
	for _, dir := range []string{"/latest/download/", "/download/" + testVersion + "/", "/download/v6.6.6/"} {
		content := bin
		if strings.Contains(dir, "v6.6.6") {
			content = append(bytes.Clone(bin), '\n')
		}
		mux.HandleFunc(dir+file, func(w http.ResponseWriter, _ *http.Request) {
			r.downloads.Add(1)
			w.Write(content)
		})
		mux.HandleFunc(dir+"SHA256SUMS", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(sums)) })
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	r.URL = srv.URL
	return r
}

// shell is how a test runs a script: an interpreter and the PATH it sees.
type shell struct {
	name string
	argv []string // the interpreter and its options; the script file follows
	path string
}

// shells returns bash with the machine's tools (curl, coreutils), and
// busybox sh with busybox's applets alone (wget, no bash, no curl), as a
// minimal image has them.
func shells(t *testing.T) []shell {
	t.Helper()
	fixtures.RequireTools(t, "bash", "curl", "sha256sum", "busybox")
	bb, _ := exec.LookPath("busybox")
	dir := t.TempDir()
	if out, err := exec.Command(bb, "--install", "-s", dir).CombinedOutput(); err != nil {
		t.Fatalf("busybox --install: %v\n%s", err, out)
	}
	return []shell{
		{"bash", []string{"bash", "-eo", "pipefail"}, os.Getenv("PATH")},
		{"busybox sh", []string{filepath.Join(dir, "sh"), "-e"}, dir},
	}
}

// run runs script with argv, in dir, with exactly env (and PATH), and
// returns its combined output and exit code.
func run(t *testing.T, argv []string, script, dir string, env map[string]string, args ...string) (string, int) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(f, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(argv[0], append(append(argv[1:len(argv):len(argv)], f), args...)...)
	cmd.Dir = dir
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running %v: %v", argv, err)
	}
	return string(out), 0
}

// baseEnv is what every script gets: a PATH, a home, a temporary
// directory, and a cache and configuration of the test's own.
func baseEnv(t *testing.T, path string) map[string]string {
	t.Helper()
	home := t.TempDir()
	return map[string]string{
		"PATH":            path,
		"HOME":            home,
		"TMPDIR":          t.TempDir(),
		"XDG_CACHE_HOME":  filepath.Join(home, ".cache"),
		"XDG_CONFIG_HOME": filepath.Join(home, ".config"),
	}
}

// lintJSON is the part of oslayer lint's JSON the tests read.
type lintJSON struct {
	Checks []struct{ Rule, Status string } `json:"checks"`
	Counts struct{ Fatal, Warning int }    `json:"counts"`
}

func readLintJSON(t *testing.T, file string) lintJSON {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var res lintJSON
	if err := json.Unmarshal(data, &res); err != nil {
		t.Fatalf("%s: %v\n%s", file, err, data)
	}
	return res
}

func (r lintJSON) status(rule string) string {
	for _, c := range r.Checks {
		if c.Rule == rule {
			return c.Status
		}
	}
	return ""
}

// sarifValidator compiles the OASIS SARIF 2.1.0 schema lint's tests use.
func sarifValidator(t *testing.T) *jsonschema.Schema {
	t.Helper()
	return compileSchema(t, "sarif-schema-2.1.0.json", jsonFile(t, "../../lint/testdata/sarif/sarif-schema-2.1.0.json"))
}

// checkSARIF checks that file is SARIF 2.1.0 with one run whose results
// name each wanted rule.
func checkSARIF(t *testing.T, file string, wantRules ...string) {
	t.Helper()
	doc := jsonFile(t, file)
	if err := sarifValidator(t).Validate(doc); err != nil {
		t.Errorf("%s is not valid SARIF 2.1.0: %v", file, err)
	}
	var s struct {
		Runs []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
			} `json:"results"`
		} `json:"runs"`
	}
	data, _ := os.ReadFile(file)
	json.Unmarshal(data, &s)
	if len(s.Runs) != 1 {
		t.Fatalf("%s has %d runs, want 1", file, len(s.Runs))
	}
	for _, rule := range wantRules {
		found := false
		for _, r := range s.Runs[0].Results {
			found = found || r.RuleID == rule
		}
		if !found {
			t.Errorf("%s has no result of rule %s", file, rule)
		}
	}
}
