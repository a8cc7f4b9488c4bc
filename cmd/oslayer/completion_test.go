package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/lint"
)

// complete asks cobra's hidden __complete command, as the shell scripts
// do, and returns the candidates (without descriptions) and the directive.
func complete(t *testing.T, args ...string) ([]string, cobra.ShellCompDirective) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&bytes.Buffer{})
	root.SetArgs(append([]string{cobra.ShellCompRequestCmd}, args...))
	if err := root.Execute(); err != nil {
		t.Fatalf("__complete %q: %v", args, err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	var directive cobra.ShellCompDirective
	last := lines[len(lines)-1]
	if _, err := fmt.Sscan(strings.TrimPrefix(last, ":"), &directive); err != nil || !strings.HasPrefix(last, ":") {
		t.Fatalf("__complete %q: no directive line in\n%s", args, out.String())
	}
	var got []string
	for _, l := range lines[:len(lines)-1] {
		id, _, _ := strings.Cut(l, "\t")
		got = append(got, id)
	}
	return got, directive
}

// TestCompletion covers every completion oslayer gives, through
// __complete: --format values per command, lint's rule ids for --skip,
// transports, the directories and names of OCI layouts, archive files.
func TestCompletion(t *testing.T) {
	var ruleIDs, uRules []string
	for _, r := range lint.Rules() {
		ruleIDs = append(ruleIDs, r.ID)
		if strings.HasPrefix(r.ID, "u") {
			uRules = append(uRules, r.ID)
		}
	}
	if len(ruleIDs) < 10 || len(uRules) == 0 {
		t.Fatalf("the registry has rules %q", ruleIDs)
	}
	// A layout (with an image called "latest"), an archive and a plain
	// directory, as a user's working directory holds them.
	dir := t.TempDir()
	mustMkdir(t, filepath.Join(dir, "plain"))
	fixtures.WriteOCILayout(t, filepath.Join(dir, "build"),
		fixtures.Named{Name: "latest", Image: fixtures.BaseImage(t)},
		fixtures.Named{Name: "candidate", Image: fixtures.BaseImage(t)})
	if err := os.WriteFile(filepath.Join(dir, "os.tar"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	transports := []string{"docker://", "oci:", "oci-archive:", "docker-archive:", "containers-storage:"}
	const (
		noFile = cobra.ShellCompDirectiveNoFileComp
		prefix = cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
	)
	tests := []struct {
		name      string
		args      []string
		want      []string
		directive cobra.ShellCompDirective
	}{
		{"diff --format", []string{"diff", "--format", ""}, []string{"text", "json"}, noFile},
		{"lint --format", []string{"lint", "--format", ""}, []string{"text", "json", "sarif", "junit"}, noFile},
		{"finalize --format", []string{"finalize", "--format", "s"}, []string{"sarif"}, noFile},
		{"version --format", []string{"version", "--format", ""}, []string{"text", "json"}, noFile},
		{"chunk --format", []string{"chunk", "--format", "j"}, []string{"json"}, noFile},
		{"butane --format", []string{"butane", "--format", ""}, []string{"text", "json"}, noFile},
		{"diff --kind", []string{"diff", "--kind", "m"}, []string{"modified", "metadata"}, noFile},
		{"diff --kind after a comma", []string{"diff", "--kind", "modified,"},
			[]string{"modified,added", "modified,metadata", "modified,typechange", "modified,removed"}, noFile},
		{"chunk --compression", []string{"chunk", "--compression", "z"}, []string{"zstd"}, noFile},
		{"lint --skip", []string{"lint", "--skip", ""}, ruleIDs, noFile},
		{"lint --skip by prefix", []string{"lint", "--skip", "u"}, uRules, noFile},
		{"lint --skip leaves out the skipped", []string{"lint", "--skip", uRules[0], "--skip", "u"}, uRules[1:], noFile},
		{"finalize --skip", []string{"finalize", "--skip", "u"}, uRules, noFile},
		{"an image: the transports", []string{"diff", ""}, transports, prefix},
		{"a transport's start", []string{"diff", "oci"}, []string{"oci:", "oci-archive:"}, prefix},
		{"docker: is docker://", []string{"lint", "docker:"}, []string{"docker://"}, prefix},
		{"a registry reference", []string{"diff", "docker://quay.io/fedora/"}, nil, noFile},
		{"oci: directories, and a layout ready for a name", []string{"diff", "oci:" + dir + "/"},
			[]string{"oci:" + dir + "/build/", "oci:" + dir + "/build:", "oci:" + dir + "/plain/"}, prefix},
		{"oci:DIR: the layout's names", []string{"diff", "oci:" + dir + "/build:"},
			[]string{"oci:" + dir + "/build:candidate", "oci:" + dir + "/build:latest"}, noFile},
		{"oci:DIR:N names starting with N", []string{"diff", "base", "oci:" + dir + "/build:l"}, []string{"oci:" + dir + "/build:latest"}, noFile},
		{"oci: a directory that is no layout", []string{"diff", "oci:" + dir + "/plain:"}, nil, noFile},
		{"oci-archive: files and directories", []string{"chunk", "oci:x", "oci-archive:" + dir + "/"},
			[]string{"oci-archive:" + dir + "/build/", "oci-archive:" + dir + "/os.tar", "oci-archive:" + dir + "/plain/"}, prefix},
		{"docker-archive: a file's start", []string{"lint", "docker-archive:" + dir + "/o"}, []string{"docker-archive:" + dir + "/os.tar"}, prefix},
		{"lint --base", []string{"lint", "--base", "oci-"}, []string{"oci-archive:"}, prefix},
		{"chunk --prior", []string{"chunk", "--prior", "oci:" + dir + "/build:c"}, []string{"oci:" + dir + "/build:candidate"}, noFile},
		{"butane --base", []string{"butane", "--base", "docker"}, []string{"docker://", "docker-archive:"}, prefix},
		{"butane --dest", []string{"butane", "--dest", "oci:" + dir + "/build:"}, []string{"oci:" + dir + "/build:candidate", "oci:" + dir + "/build:latest"}, noFile},
		{"diff takes two images", []string{"diff", "a", "b", ""}, nil, noFile},
		{"lint takes one", []string{"lint", "a", ""}, nil, noFile},
		{"--rootfs is a directory", []string{"diff", "--rootfs", ""}, nil, cobra.ShellCompDirectiveFilterDirs},
		{"--tmpdir is a directory", []string{"chunk", "--tmpdir", ""}, nil, cobra.ShellCompDirectiveFilterDirs},
		{"the commands", []string{"v"}, []string{"version"}, noFile},
		{"completion's shells", []string{"completion", ""}, []string{"bash", "fish", "powershell", "zsh"}, noFile},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, directive := complete(t, tc.args...)
			if !slices.Equal(got, tc.want) || directive != tc.directive {
				t.Errorf("__complete %q:\ngot  %q, directive %d\nwant %q, directive %d", tc.args, got, directive, tc.want, tc.directive)
			}
		})
	}
}

// TestCompletionScripts: oslayer completion writes a script for each
// shell that asks __complete; bash's, loaded in a real bash with the
// bash-completion package, completes a layout's image names after the
// colons bash splits words at.
func TestCompletionScripts(t *testing.T) {
	for _, shell := range []string{"bash", "zsh", "fish"} {
		stdout, stderr, code := oslayer(t, t.TempDir(), "completion", shell)
		if code != 0 || !strings.Contains(stdout, "__complete") || stderr != "" {
			t.Errorf("completion %s: exit %d, stderr %q, script:\n%.300s", shell, code, stderr, stdout)
		}
	}

	fixtures.RequireTools(t, "bash")
	const bashCompletion = "/usr/share/bash-completion/bash_completion"
	if _, err := os.Stat(bashCompletion); err != nil {
		if fixtures.InCI() {
			t.Fatalf("the bash-completion package is required under CI=true: %v", err)
		}
		t.Skipf("no bash-completion: %v", err)
	}
	bin := t.TempDir()
	if err := os.Symlink(oslayerBin, filepath.Join(bin, "oslayer")); err != nil {
		t.Fatal(err)
	}
	// What bash does on TAB: COMP_WORDS split at COMP_WORDBREAKS (":"
	// among them), the completion function called, COMPREPLY read.
	script := `source ` + bashCompletion + `
source <(oslayer completion bash)
line="oslayer diff oci:../../examples/layout:d"
COMP_LINE=$line COMP_POINT=${#line}
COMP_WORDS=(oslayer diff oci : ../../examples/layout : d) COMP_CWORD=6
__start_oslayer oslayer d : 2>/dev/null
printf '%s\n' "${COMPREPLY[@]}"
`
	cmd := exec.Command("bash", "--norc", "--noprofile", "-c", script)
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "derived\n" {
		t.Errorf("bash completes oci:../../examples/layout:d to %q (%v), want the rest of the word after the colon, derived", out, err)
	}
}

func mustMkdir(t *testing.T, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
}
