package integrations

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// tektonTask is the part of the Task a TaskRun reads.
type tektonTask struct {
	Spec struct {
		Params []struct {
			Name    string    `yaml:"name"`
			Type    string    `yaml:"type"`
			Default yaml.Node `yaml:"default"`
		} `yaml:"params"`
		Workspaces []struct {
			Name     string `yaml:"name"`
			Optional bool   `yaml:"optional"`
		} `yaml:"workspaces"`
		Results []struct {
			Name string `yaml:"name"`
		} `yaml:"results"`
		Steps []struct {
			Name  string `yaml:"name"`
			Image string `yaml:"image"`
			Env   []struct {
				Name  string `yaml:"name"`
				Value string `yaml:"value"`
			} `yaml:"env"`
			Args   []string `yaml:"args"`
			Script string   `yaml:"script"`
		} `yaml:"steps"`
	} `yaml:"spec"`
}

// taskRun is what running the Task did.
type taskRun struct {
	out     string
	code    int
	results map[string]string // the results written
}

var tektonVar = regexp.MustCompile(`\$\((params|workspaces|results|context|steps)\.[^)]*\)`)

// runTask runs the Task's step as Tekton would for a TaskRun with params
// (array params as []string) and workspaces bound to directories:
// $(params.X), $(params.X[*]), $(workspaces.X.path) (empty
// when an optional workspace is not bound) and $(results.X.path)
// substituted in the step's env and args; the script run with the args.
// A variable the test does not substitute fails the test, and so does
// one in the script (parameters reach it through env only).
func runTask(t *testing.T, sh shell, params map[string]any, workspaces map[string]string) taskRun {
	t.Helper()
	data, err := os.ReadFile("tekton/oslayer-lint.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var task tektonTask
	if err := yaml.Unmarshal(data, &task); err != nil {
		t.Fatal(err)
	}
	strs, arrays := map[string]string{}, map[string][]string{}
	for _, p := range task.Spec.Params {
		v, given := params[p.Name]
		if p.Type == "array" {
			var def []string
			if err := p.Default.Decode(&def); err != nil {
				t.Fatalf("param %s: %v", p.Name, err)
			}
			arrays[p.Name] = def
			if given {
				arrays[p.Name] = v.([]string)
			}
			continue
		}
		if p.Default.Kind == 0 && !given {
			t.Fatalf("param %s has no default and is not given", p.Name)
		}
		strs[p.Name] = p.Default.Value
		if given {
			strs[p.Name] = v.(string)
		}
	}
	for name := range params {
		_, isString := strs[name]
		_, isArray := arrays[name]
		if !isString && !isArray {
			t.Fatalf("the Task has no param %s", name)
		}
	}
	r := taskRun{results: map[string]string{}}
	repl := map[string]string{}
	for k, v := range strs {
		repl["$(params."+k+")"] = v
	}
	for _, w := range task.Spec.Workspaces {
		dir, bound := workspaces[w.Name]
		if !bound && !w.Optional {
			t.Fatalf("workspace %s is not optional", w.Name)
		}
		repl["$(workspaces."+w.Name+".path)"] = dir
	}
	for w := range workspaces {
		if _, ok := repl["$(workspaces."+w+".path)"]; !ok {
			t.Fatalf("the Task has no workspace %s", w)
		}
	}
	resultDir := t.TempDir()
	for _, res := range task.Spec.Results {
		repl["$(results."+res.Name+".path)"] = filepath.Join(resultDir, res.Name)
	}
	subst := func(s string) string {
		s = tektonVar.ReplaceAllStringFunc(s, func(m string) string {
			if v, ok := repl[m]; ok {
				return v
			}
			t.Fatalf("%s: the test knows no such variable", m)
			return ""
		})
		return s
	}
	if len(task.Spec.Steps) != 1 {
		t.Fatalf("the Task has %d steps, the test runs one", len(task.Spec.Steps))
	}
	st := task.Spec.Steps[0]
	if m := tektonVar.FindString(st.Script); m != "" {
		t.Fatalf("the script uses %s: pass it through env", m)
	}
	if !strings.HasPrefix(st.Script, "#!/bin/sh\n") {
		t.Fatalf("the script does not start with #!/bin/sh")
	}
	if subst(st.Image) == "" {
		t.Fatalf("the step has no image")
	}
	env := baseEnv(t, sh.path)
	for _, e := range st.Env {
		env[e.Name] = subst(e.Value)
	}
	var args []string
	for _, a := range st.Args {
		if m := regexp.MustCompile(`^\$\(params\.([A-Za-z0-9_-]+)\[\*\]\)$`).FindStringSubmatch(a); m != nil {
			args = append(args, arrays[m[1]]...)
			continue
		}
		args = append(args, subst(a))
	}
	r.out, r.code = run(t, sh.argv, st.Script, t.TempDir(), env, args...)
	for _, res := range task.Spec.Results {
		if b, err := os.ReadFile(filepath.Join(resultDir, res.Name)); err == nil {
			r.results[res.Name] = string(b)
		}
	}
	return r
}

// keyDir is a cache-key workspace holding key.
func keyDir(t *testing.T, key string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "OSLAYER_CACHE_KEY"), []byte(key), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

const cacheDropped = "held entries that do not verify"

func TestTektonTask(t *testing.T) {
	rel := serveRelease(t)
	base, derived := "oci:"+layout+":base", "oci:"+layout+":derived"
	for _, sh := range shells(t) {
		t.Run(sh.name, func(t *testing.T) {
			cache := t.TempDir()
			var fromJSON lintJSON
			t.Run("JSON to the output workspace, a cache with its key, args: fails, results written", func(t *testing.T) {
				output := t.TempDir()
				r := runTask(t, sh, map[string]any{
					"IMAGE": derived, "BASE": base, "FORMAT": "json", "ARGS": []string{"--skip", "var-log"},
					"OSLAYER_RELEASE_URL": rel.URL,
				}, map[string]string{"cache": cache, "cache-key": keyDir(t, "key one"), "output": output})
				if r.code != 1 || r.results["exit-code"] != "1" {
					t.Fatalf("exit %d, results %v, want 1:\n%s", r.code, r.results, r.out)
				}
				if !strings.Contains(r.out, "oslayer "+testVersion) {
					t.Errorf("the downloaded binary did not run:\n%s", r.out)
				}
				fromJSON = readLintJSON(t, filepath.Join(output, "oslayer-lint.json"))
				if fromJSON.status("var-log") != "skipped" || fromJSON.status("usr-override") != "failed" {
					t.Errorf("checks %v: want var-log skipped, usr-override failed", fromJSON.Checks)
				}
				if r.results["fatal"] != strconv.Itoa(fromJSON.Counts.Fatal) || r.results["warnings"] != strconv.Itoa(fromJSON.Counts.Warning) ||
					fromJSON.Counts.Fatal == 0 || fromJSON.Counts.Warning == 0 {
					t.Errorf("results %v, report counts %+v", r.results, fromJSON.Counts)
				}
				if ents, err := os.ReadDir(filepath.Join(cache, "oslayer")); err != nil || len(ents) == 0 {
					t.Errorf("nothing cached in the cache workspace: %v %v", ents, err)
				}
			})

			t.Run("text to the log, FAIL_ON never, the same key: passes, counts as JSON's", func(t *testing.T) {
				r := runTask(t, sh, map[string]any{
					"IMAGE": derived, "BASE": base, "FAIL_ON": "never", "ARGS": []string{"--skip", "var-log"},
					"OSLAYER_BINARY": oslayerBin,
				}, map[string]string{"cache": cache, "cache-key": keyDir(t, "key one")})
				if r.code != 0 || r.results["exit-code"] != "1" {
					t.Fatalf("exit %d, results %v, want 0 and 1:\n%s", r.code, r.results, r.out)
				}
				if r.results["fatal"] != strconv.Itoa(fromJSON.Counts.Fatal) || r.results["warnings"] != strconv.Itoa(fromJSON.Counts.Warning) {
					t.Errorf("results %v, the JSON report counted %+v", r.results, fromJSON.Counts)
				}
				if !strings.Contains(r.out, "usr-override (fatal)") || strings.Contains(r.out, cacheDropped) {
					t.Errorf("the log lacks the text report, or the cache did not verify:\n%s", r.out)
				}
			})

			t.Run("another key: the cache's entries are not trusted", func(t *testing.T) {
				r := runTask(t, sh, map[string]any{"IMAGE": base, "OSLAYER_BINARY": oslayerBin},
					map[string]string{"cache": cache, "cache-key": keyDir(t, "key two")})
				if r.code != 0 || !strings.Contains(r.out, cacheDropped) {
					t.Fatalf("exit %d, want 0 and a warning about the cache:\n%s", r.code, r.out)
				}
			})

			t.Run("no key: warned", func(t *testing.T) {
				r := runTask(t, sh, map[string]any{"IMAGE": base, "OSLAYER_BINARY": oslayerBin}, map[string]string{"cache": t.TempDir()})
				if r.code != 0 || !strings.Contains(r.out, "no cache-key workspace") {
					t.Fatalf("exit %d:\n%s", r.code, r.out)
				}
			})

			t.Run("a cache-key workspace without the key", func(t *testing.T) {
				r := runTask(t, sh, map[string]any{"IMAGE": base, "OSLAYER_BINARY": oslayerBin},
					map[string]string{"cache": t.TempDir(), "cache-key": t.TempDir()})
				if r.code != 2 || !strings.Contains(r.out, "the cache-key workspace has no OSLAYER_CACHE_KEY") {
					t.Fatalf("exit %d:\n%s", r.code, r.out)
				}
			})

			t.Run("SARIF, a pinned version, FAIL_ON warning: fails on the base image, no counts", func(t *testing.T) {
				output := t.TempDir()
				r := runTask(t, sh, map[string]any{
					"IMAGE": base, "FORMAT": "sarif", "FAIL_ON": "warning", "REPORT": "reports/base.sarif",
					"OSLAYER_VERSION": testVersion, "OSLAYER_RELEASE_URL": rel.URL,
				}, map[string]string{"output": output})
				if r.code != 1 || r.results["exit-code"] != "1" || r.results["fatal"] != "" || r.results["warnings"] != "" {
					t.Fatalf("exit %d, results %v:\n%s", r.code, r.results, r.out)
				}
				checkSARIF(t, filepath.Join(output, "reports/base.sarif"), "sysusers")
			})

			t.Run("registry credentials from the dockerconfig workspace", func(t *testing.T) {
				auth := t.TempDir()
				os.WriteFile(filepath.Join(auth, ".dockerconfigjson"), []byte(`{"auths": {}}`), 0o600)
				r := runTask(t, sh, map[string]any{"IMAGE": base, "OSLAYER_BINARY": oslayerBin}, map[string]string{"dockerconfig": auth})
				if r.code != 0 {
					t.Fatalf("exit %d:\n%s", r.code, r.out)
				}
				r = runTask(t, sh, map[string]any{"IMAGE": base, "OSLAYER_BINARY": oslayerBin}, map[string]string{"dockerconfig": t.TempDir()})
				if r.code != 2 || !strings.Contains(r.out, "holds neither config.json nor .dockerconfigjson") {
					t.Fatalf("exit %d, want 2:\n%s", r.code, r.out)
				}
			})

			t.Run("a download that does not match its checksum", func(t *testing.T) {
				r := runTask(t, sh, map[string]any{"IMAGE": base, "OSLAYER_VERSION": "v6.6.6", "OSLAYER_RELEASE_URL": rel.URL}, nil)
				if r.code != 2 || !strings.Contains(r.out, "does not match its checksum") || r.results["exit-code"] != "" {
					t.Fatalf("exit %d, results %v, want 2 before linting:\n%s", r.code, r.results, r.out)
				}
			})

			t.Run("an image that does not open", func(t *testing.T) {
				output := t.TempDir()
				r := runTask(t, sh, map[string]any{"IMAGE": "oci:" + layout + ":missing", "OSLAYER_BINARY": oslayerBin}, map[string]string{"output": output})
				if r.code != 2 || r.results["exit-code"] != "2" || !strings.Contains(r.out, "could not check oci:"+layout+":missing (exit 2)") {
					t.Fatalf("exit %d, results %v:\n%s", r.code, r.results, r.out)
				}
				if ents, _ := os.ReadDir(output); len(ents) != 0 {
					t.Errorf("the output workspace holds %v, want no report", ents)
				}
			})
		})
	}
}
