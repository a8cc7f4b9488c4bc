package integrations

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/oslayer/oslayer/fixtures"
)

// action is the part of action.yml a composite action's run reads.
type action struct {
	Inputs map[string]struct {
		Required bool    `yaml:"required"`
		Default  *string `yaml:"default"`
	} `yaml:"inputs"`
	Outputs map[string]struct {
		Value string `yaml:"value"`
	} `yaml:"outputs"`
	Runs struct {
		Using string `yaml:"using"`
		Steps []struct {
			ID    string            `yaml:"id"`
			If    string            `yaml:"if"`
			Shell string            `yaml:"shell"`
			Run   string            `yaml:"run"`
			Uses  string            `yaml:"uses"`
			Env   map[string]string `yaml:"env"`
			With  map[string]string `yaml:"with"`
		} `yaml:"steps"`
	} `yaml:"runs"`
}

// actionRun is what running the action did.
type actionRun struct {
	code      int               // the exit code of the step that failed, or 0
	log       string            // every step's output
	outputs   map[string]string // the action's outputs
	uploads   []map[string]string
	workspace string // the working directory (GITHUB_WORKSPACE)
	summary   string // what the steps wrote to the job summary
}

var expr = regexp.MustCompile(`\$\{\{\s*(.*?)\s*\}\}`)

// runAction runs ci/integrations/github/action.yml as the runner runs a
// composite action: steps in order, each run: script with bash
// --noprofile --norc -eo pipefail, its env evaluated, outputs read from
// $GITHUB_OUTPUT; a failing step ends the action. Expressions are
// evaluated for the forms the action uses (inputs.X, steps.ID.outputs.X,
// and if: steps.ID.outputs.X == 'V'); any other form fails the test, and
// so does an expression inside a run: script (inputs reach scripts
// through env only, never pasted into the code). upload-sarif is recorded
// with its evaluated inputs, not run.
func runAction(t *testing.T, inputs map[string]string) actionRun {
	t.Helper()
	data, err := os.ReadFile("github/action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var a action
	if err := yaml.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	if a.Runs.Using != "composite" {
		t.Fatalf("runs.using %q, want composite", a.Runs.Using)
	}
	for name := range inputs {
		if _, ok := a.Inputs[name]; !ok {
			t.Fatalf("the action has no input %q", name)
		}
	}
	steps := map[string]map[string]string{}
	eval := func(s string) string {
		return expr.ReplaceAllStringFunc(s, func(m string) string {
			e := expr.FindStringSubmatch(m)[1]
			parts := strings.Split(e, ".")
			switch {
			case len(parts) == 2 && parts[0] == "inputs":
				in, ok := a.Inputs[parts[1]]
				if !ok {
					t.Fatalf("%s: no such input", m)
				}
				if v, ok := inputs[parts[1]]; ok {
					return v
				}
				if in.Required {
					t.Fatalf("%s: the input is required", m)
				}
				if in.Default != nil {
					return *in.Default
				}
				return ""
			case len(parts) == 4 && parts[0] == "steps" && parts[2] == "outputs":
				return steps[parts[1]][parts[3]]
			}
			t.Fatalf("expression %s: the test knows no such form", m)
			return ""
		})
	}
	cond := regexp.MustCompile(`^(steps\.[A-Za-z0-9_-]+\.outputs\.[A-Za-z0-9_-]+) == '([^']*)'$`)

	r := actionRun{outputs: map[string]string{}, workspace: t.TempDir()}
	summary := filepath.Join(t.TempDir(), "summary.md")
	runnerTemp := t.TempDir()
	var logb strings.Builder
	for i, st := range a.Runs.Steps {
		if st.If != "" {
			m := cond.FindStringSubmatch(st.If)
			if m == nil {
				t.Fatalf("step %d: if: %q: the test knows no such form", i, st.If)
			}
			if eval("${{ "+m[1]+" }}") != m[2] {
				continue
			}
		}
		if st.Uses != "" {
			if !strings.HasPrefix(st.Uses, "github/codeql-action/upload-sarif@") {
				t.Fatalf("step %d uses %s: the test knows no such action", i, st.Uses)
			}
			with := map[string]string{}
			for k, v := range st.With {
				with[k] = eval(v)
			}
			r.uploads = append(r.uploads, with)
			continue
		}
		if st.Shell != "bash" {
			t.Fatalf("step %d: shell %q, want bash", i, st.Shell)
		}
		if strings.Contains(st.Run, "${{") {
			t.Fatalf("step %d pastes an expression into its script: pass it through env", i)
		}
		outFile := filepath.Join(t.TempDir(), "output")
		os.WriteFile(outFile, nil, 0o644)
		env := baseEnv(t, os.Getenv("PATH"))
		for k, v := range map[string]string{
			"GITHUB_OUTPUT": outFile, "GITHUB_STEP_SUMMARY": summary, "GITHUB_WORKSPACE": r.workspace,
			"GITHUB_ACTION_PATH": "github", "RUNNER_TEMP": runnerTemp, "RUNNER_OS": "Linux", "GITHUB_ACTIONS": "true", "CI": "true",
		} {
			env[k] = v
		}
		for k, v := range st.Env {
			env[k] = eval(v)
		}
		out, code := run(t, []string{"bash", "--noprofile", "--norc", "-eo", "pipefail"}, st.Run, r.workspace, env)
		logb.WriteString(out)
		outs := map[string]string{}
		f, _ := os.Open(outFile)
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			k, v, ok := strings.Cut(sc.Text(), "=")
			if !ok {
				t.Fatalf("step %d wrote %q to GITHUB_OUTPUT", i, sc.Text())
			}
			outs[k] = v
		}
		f.Close()
		if st.ID != "" {
			steps[st.ID] = outs
		}
		if code != 0 {
			r.code = code
			break
		}
	}
	r.log = logb.String()
	for name, o := range a.Outputs {
		r.outputs[name] = eval(o.Value)
	}
	s, _ := os.ReadFile(summary)
	r.summary = string(s)
	return r
}

func TestGitHubAction(t *testing.T) {
	fixtures.RequireTools(t, "bash", "curl", "sha256sum")
	rel := serveRelease(t)
	base, derived := "oci:"+layout+":base", "oci:"+layout+":derived"

	t.Run("derived image: the latest release downloaded, SARIF uploaded, the job fails", func(t *testing.T) {
		r := runAction(t, map[string]string{"image": derived, "base": base, "release-url": rel.URL})
		if r.code != 1 || r.outputs["exit-code"] != "1" {
			t.Fatalf("exit %d, exit-code output %q, want 1 and 1:\n%s", r.code, r.outputs["exit-code"], r.log)
		}
		if !strings.Contains(r.log, "oslayer "+testVersion) {
			t.Errorf("the downloaded binary did not run:\n%s", r.log)
		}
		if r.outputs["report"] != "oslayer-lint.sarif" {
			t.Errorf("report output %q", r.outputs["report"])
		}
		checkSARIF(t, filepath.Join(r.workspace, "oslayer-lint.sarif"), "usr-override", "etc-modified")
		if len(r.uploads) != 1 || r.uploads[0]["sarif_file"] != "oslayer-lint.sarif" || r.uploads[0]["category"] != "oslayer-lint" {
			t.Errorf("uploads %v, want oslayer-lint.sarif in category oslayer-lint", r.uploads)
		}
		if !strings.Contains(r.log, "::error::oslayer lint failed on "+derived) {
			t.Errorf("no error annotation:\n%s", r.log)
		}
		if !strings.Contains(r.summary, "failed (exit 1)") {
			t.Errorf("job summary %q", r.summary)
		}
	})

	t.Run("base image, version pinned: passes", func(t *testing.T) {
		r := runAction(t, map[string]string{"image": base, "version": testVersion, "release-url": rel.URL, "category": "os-base"})
		if r.code != 0 || r.outputs["exit-code"] != "0" {
			t.Fatalf("exit %d, exit-code output %q, want 0:\n%s", r.code, r.outputs["exit-code"], r.log)
		}
		checkSARIF(t, filepath.Join(r.workspace, "oslayer-lint.sarif"))
		if len(r.uploads) != 1 || r.uploads[0]["category"] != "os-base" {
			t.Errorf("uploads %v", r.uploads)
		}
	})

	t.Run("fail-on warning fails the base image", func(t *testing.T) {
		r := runAction(t, map[string]string{"image": base, "binary": oslayerBin, "fail-on": "warning"})
		if r.code != 1 || r.outputs["exit-code"] != "1" {
			t.Fatalf("exit %d, exit-code output %q, want 1:\n%s", r.code, r.outputs["exit-code"], r.log)
		}
	})

	t.Run("a binary given, JSON, args, fail-on never: nothing downloaded or uploaded, the job passes", func(t *testing.T) {
		before := rel.downloads.Load()
		r := runAction(t, map[string]string{"image": derived, "base": base, "binary": oslayerBin, "format": "json",
			"fail-on": "never", "args": "--skip var-log  --skip  opt-state", "report": "out/lint.json", "release-url": rel.URL})
		if r.code != 0 || r.outputs["exit-code"] != "1" {
			t.Fatalf("exit %d, exit-code output %q, want 0 and 1:\n%s", r.code, r.outputs["exit-code"], r.log)
		}
		if rel.downloads.Load() != before || len(r.uploads) != 0 || r.outputs["binary"] != oslayerBin {
			t.Errorf("downloads %d, uploads %v, binary %q", rel.downloads.Load()-before, r.uploads, r.outputs["binary"])
		}
		res := readLintJSON(t, filepath.Join(r.workspace, "out/lint.json"))
		if res.status("var-log") != "skipped" || res.status("opt-state") != "skipped" || res.status("usr-override") != "failed" {
			t.Errorf("checks %v: want var-log and opt-state skipped, usr-override failed", res.Checks)
		}
		if !strings.Contains(r.log, "::warning::oslayer lint found problems") {
			t.Errorf("no warning annotation:\n%s", r.log)
		}
	})

	t.Run("a binary that does not match its checksum is not run", func(t *testing.T) {
		r := runAction(t, map[string]string{"image": derived, "version": "v6.6.6", "release-url": rel.URL})
		if r.code != 2 || !strings.Contains(r.log, "oslayer-linux-") || !strings.Contains(r.log, "does not match its checksum") {
			t.Fatalf("exit %d, want 2 naming the checksum:\n%s", r.code, r.log)
		}
		if _, err := os.Stat(filepath.Join(r.workspace, "oslayer-lint.sarif")); err == nil || len(r.uploads) != 0 {
			t.Errorf("lint ran after a bad download")
		}
	})

	t.Run("a release that does not exist", func(t *testing.T) {
		r := runAction(t, map[string]string{"image": derived, "version": "v0.0.404", "release-url": rel.URL})
		if r.code != 2 || !strings.Contains(r.log, "::error::downloading "+rel.URL+"/download/v0.0.404/oslayer-linux-") {
			t.Fatalf("exit %d, want 2 naming the URL:\n%s", r.code, r.log)
		}
	})

	t.Run("an image that does not open: error, no upload", func(t *testing.T) {
		r := runAction(t, map[string]string{"image": "oci:" + layout + ":missing", "binary": oslayerBin})
		if r.code != 2 || len(r.uploads) != 0 || !strings.Contains(r.log, "could not check oci:"+layout+":missing (exit 2)") {
			t.Fatalf("exit %d, uploads %v, want 2 and none:\n%s", r.code, r.uploads, r.log)
		}
	})

	t.Run("a format the action does not know", func(t *testing.T) {
		r := runAction(t, map[string]string{"image": base, "binary": oslayerBin, "format": "html"})
		if r.code != 2 || !strings.Contains(r.log, `format: want sarif, json, junit or text, not "html"`) {
			t.Fatalf("exit %d:\n%s", r.code, r.log)
		}
	})
}
