package integrations

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// gitlabJob is the part of the template's job a runner reads.
type gitlabJob struct {
	Variables map[string]string `yaml:"variables"`
	Script    []string          `yaml:"script"`
	Cache     struct {
		Paths []string `yaml:"paths"`
	} `yaml:"cache"`
	Artifacts struct {
		When    string   `yaml:"when"`
		Paths   []string `yaml:"paths"`
		Reports struct {
			JUnit string `yaml:"junit"`
		} `yaml:"reports"`
	} `yaml:"artifacts"`
}

// junit is the part of a JUnit report GitLab reads.
type junit struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Suites   []struct {
		Cases []struct {
			Name    string    `xml:"name,attr"`
			Failure *struct{} `xml:"failure"`
			Skipped *struct{} `xml:"skipped"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

// runGitLabJob runs the .oslayer-lint job as a runner would for a job
// that extends it with vars: the job's variables (expanded, as GitLab
// expands references between variables) and the predefined ones in the
// environment, the script lines joined into one script in
// $CI_PROJECT_DIR. It returns the output, the exit code and the project
// directory.
func runGitLabJob(t *testing.T, sh shell, vars map[string]string) (string, int, string, gitlabJob) {
	t.Helper()
	data, err := os.ReadFile("gitlab/oslayer.gitlab-ci.yml")
	if err != nil {
		t.Fatal(err)
	}
	var file map[string]gitlabJob
	if err := yaml.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	job, ok := file[".oslayer-lint"]
	if !ok {
		t.Fatal("the template has no .oslayer-lint job")
	}
	project := t.TempDir()
	env := baseEnv(t, sh.path)
	env["CI"], env["GITLAB_CI"], env["CI_PROJECT_DIR"] = "true", "true", project
	for k, v := range job.Variables {
		if _, over := vars[k]; !over {
			env[k] = os.Expand(v, func(name string) string { return env[name] })
		}
	}
	for k, v := range vars {
		env[k] = v
	}
	out, code := run(t, sh.argv, strings.Join(job.Script, "\n"), project, env)
	return out, code, project, job
}

func readJUnit(t *testing.T, file string) junit {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var j junit
	if err := xml.Unmarshal(data, &j); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return j
}

// failed and skipped name the test cases that failed and were skipped.
func (j junit) failed() (failed, skipped []string) {
	for _, s := range j.Suites {
		for _, c := range s.Cases {
			if c.Failure != nil {
				failed = append(failed, c.Name)
			}
			if c.Skipped != nil {
				skipped = append(skipped, c.Name)
			}
		}
	}
	return failed, skipped
}

func TestGitLabTemplate(t *testing.T) {
	rel := serveRelease(t)
	base, derived := "oci:"+layout+":base", "oci:"+layout+":derived"
	for _, sh := range shells(t) {
		t.Run(sh.name, func(t *testing.T) {
			t.Run("derived image: downloaded, JUnit report, the job fails", func(t *testing.T) {
				out, code, project, job := runGitLabJob(t, sh, map[string]string{
					"OSLAYER_LINT_IMAGE": derived, "OSLAYER_LINT_BASE": base, "OSLAYER_RELEASE_URL": rel.URL,
				})
				if code != 1 {
					t.Fatalf("exit %d, want 1:\n%s", code, out)
				}
				if !strings.Contains(out, "oslayer "+testVersion) || !strings.Contains(out, "see the Tests tab") {
					t.Errorf("output:\n%s", out)
				}
				if job.Artifacts.Reports.JUnit != "oslayer-junit.xml" || job.Artifacts.When != "always" {
					t.Fatalf("artifacts %+v: want the JUnit report oslayer-junit.xml, always", job.Artifacts)
				}
				j := readJUnit(t, filepath.Join(project, job.Artifacts.Reports.JUnit))
				failed, _ := j.failed()
				if j.Tests == 0 || j.Failures == 0 || !slices.Contains(failed, "usr-override") {
					t.Errorf("JUnit: %d tests, %d failures (%v): want usr-override failed", j.Tests, j.Failures, failed)
				}
				// The cache GitLab keeps is where oslayer wrote its own.
				if len(job.Cache.Paths) != 1 {
					t.Fatalf("cache paths %v", job.Cache.Paths)
				}
				if ents, err := os.ReadDir(filepath.Join(project, job.Cache.Paths[0], "oslayer")); err != nil || len(ents) == 0 {
					t.Errorf("oslayer's cache is not in GitLab's cache path %s: %v %v", job.Cache.Paths[0], ents, err)
				}
			})

			t.Run("fail-on never: the job passes with the report", func(t *testing.T) {
				out, code, project, _ := runGitLabJob(t, sh, map[string]string{
					"OSLAYER_LINT_IMAGE": derived, "OSLAYER_LINT_BASE": base, "OSLAYER_BINARY": oslayerBin, "OSLAYER_LINT_FAIL_ON": "never",
					"OSLAYER_LINT_ARGS": " --skip var-log --skip\topt-state ", "OSLAYER_RELEASE_URL": rel.URL,
				})
				if code != 0 || !strings.Contains(out, "failed (OSLAYER_LINT_FAIL_ON=never)") {
					t.Fatalf("exit %d, want 0 saying it failed:\n%s", code, out)
				}
				failed, skipped := readJUnit(t, filepath.Join(project, "oslayer-junit.xml")).failed()
				if !slices.Contains(failed, "usr-override") || !slices.Equal(skipped, []string{"opt-state", "var-log"}) {
					t.Errorf("JUnit failed %v, skipped %v: want usr-override failed, opt-state and var-log skipped", failed, skipped)
				}
			})

			t.Run("the job's registry credentials become an auth file", func(t *testing.T) {
				tmp := t.TempDir()
				vars := map[string]string{
					"OSLAYER_LINT_IMAGE": base, "OSLAYER_VERSION": testVersion, "OSLAYER_RELEASE_URL": rel.URL, "TMPDIR": tmp,
					"CI_REGISTRY": "registry.example.com", "CI_REGISTRY_USER": "gitlab-ci-token", "CI_REGISTRY_PASSWORD": "s3cr:et",
				}
				out, code, _, _ := runGitLabJob(t, sh, vars)
				if code != 0 {
					t.Fatalf("exit %d, want 0:\n%s", code, out)
				}
				if strings.Contains(out, "s3cr:et") {
					t.Errorf("the password is in the log:\n%s", out)
				}
				// The auth file is the one temporary file the script made
				// (the download went into a temporary directory).
				var files []string
				ents, _ := os.ReadDir(tmp)
				for _, e := range ents {
					if e.Type().IsRegular() {
						files = append(files, filepath.Join(tmp, e.Name()))
					}
				}
				if len(files) != 1 {
					t.Fatalf("temporary files %v, want the auth file alone", files)
				}
				if got := authFile(t, files[0], "registry.example.com"); got != "gitlab-ci-token:s3cr:et" {
					t.Errorf("auth file credentials %q", got)
				}
			})

			t.Run("no image named", func(t *testing.T) {
				out, code, project, _ := runGitLabJob(t, sh, map[string]string{"OSLAYER_BINARY": oslayerBin})
				if code != 2 || !strings.Contains(out, "set OSLAYER_LINT_IMAGE") {
					t.Fatalf("exit %d, want 2:\n%s", code, out)
				}
				if _, err := os.Stat(filepath.Join(project, "oslayer-junit.xml")); err == nil {
					t.Errorf("a report was written")
				}
			})

			t.Run("an image that does not open: no report", func(t *testing.T) {
				out, code, project, _ := runGitLabJob(t, sh, map[string]string{"OSLAYER_BINARY": oslayerBin, "OSLAYER_LINT_IMAGE": "oci:" + layout + ":missing"})
				if code != 2 || !strings.Contains(out, "could not check oci:"+layout+":missing (exit 2)") {
					t.Fatalf("exit %d, want 2:\n%s", code, out)
				}
				if _, err := os.Stat(filepath.Join(project, "oslayer-junit.xml")); err == nil {
					t.Errorf("an empty report is left for GitLab to parse")
				}
			})
		})
	}
}

// authFile decodes a docker/podman auth file's entry for a registry.
func authFile(t *testing.T, file, registry string) string {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var a struct {
		Auths map[string]struct {
			Auth string `json:"auth"`
		} `json:"auths"`
	}
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatalf("%s: %v\n%s", file, err, data)
	}
	dec, err := base64.StdEncoding.DecodeString(a.Auths[registry].Auth)
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return string(dec)
}
