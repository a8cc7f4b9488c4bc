package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
)

func TestReadBuildInfo(t *testing.T) {
	rev := "0123456789abcdef0123456789abcdef01234567"
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	module := func(v string, s []debug.BuildSetting) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Path: "github.com/oslayer/oslayer", Version: v}, Settings: s}
	}
	for _, tc := range []struct {
		name, linked string
		info         *debug.BuildInfo
		want         buildInfo
	}{
		{"-X wins", "v1.2.3", module("v0.9.0", vcs("true")), buildInfo{Version: "v1.2.3", Commit: rev, Modified: true}},
		{"-X without build info", "v1.2.3", nil, buildInfo{Version: "v1.2.3"}},
		{"the module version", "", module("v1.4.0", nil), buildInfo{Version: "v1.4.0"}},
		{"the version Go derives from the repository", "", module("v0.0.0-20260102030405-0123456789ab+dirty", vcs("true")),
			buildInfo{Version: "v0.0.0-20260102030405-0123456789ab+dirty", Commit: rev, Modified: true}},
		{"the VCS stamp", "", module("(devel)", vcs("false")), buildInfo{Version: "devel-0123456789ab", Commit: rev}},
		{"the VCS stamp of a modified tree", "", module("(devel)", vcs("true")), buildInfo{Version: "devel-0123456789ab+dirty", Commit: rev, Modified: true}},
		{"nothing", "", module("(devel)", nil), buildInfo{Version: "devel"}},
		{"no build info", "", nil, buildInfo{Version: "devel"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.want.Go, tc.want.Platform = runtime.Version(), runtime.GOOS+"/"+runtime.GOARCH
			if got := readBuildInfo(tc.linked, tc.info); got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

// buildOslayer builds the static binary from the module in dir.
func buildOslayer(t *testing.T, dir string, flags ...string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "oslayer")
	cmd := exec.Command("go", append(append([]string{"build", "-o", bin}, flags...), "./cmd/oslayer")...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %v: %v\n%s", flags, err, out)
	}
	return bin
}

// versions runs oslayer --version, oslayer version and oslayer version
// --format json; the two lines must be the same.
func versions(t *testing.T, bin string) (line string, info buildInfo) {
	t.Helper()
	run := func(args ...string) string {
		out, err := exec.Command(bin, args...).Output()
		if err != nil {
			t.Fatalf("oslayer %v: %v", args, err)
		}
		return string(out)
	}
	line = run("--version")
	if cmdLine := run("version"); cmdLine != line {
		t.Errorf("oslayer version prints %q, oslayer --version %q", cmdLine, line)
	}
	if err := json.Unmarshal([]byte(run("version", "--format", "json")), &info); err != nil {
		t.Fatal(err)
	}
	return line, info
}

// TestVersionOfBuiltBinaries builds oslayer with -ldflags -X, without it
// and without VCS information, and in a git repository, clean and with a
// change: each prints the version it should, the same with --version and
// version, and in JSON.
func TestVersionOfBuiltBinaries(t *testing.T) {
	fixtures.RequireTools(t, "go", "git")
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	platform := runtime.GOOS + "/" + runtime.GOARCH

	line, info := versions(t, buildOslayer(t, root, "-buildvcs=false", "-ldflags", "-X main.version=v9.8.7-test"))
	if want := "oslayer v9.8.7-test (" + runtime.Version() + ", " + platform + ")\n"; line != want {
		t.Errorf("with -X: %q, want %q", line, want)
	}
	if want := (buildInfo{Version: "v9.8.7-test", Go: runtime.Version(), Platform: platform}); info != want {
		t.Errorf("with -X: %+v, want %+v", info, want)
	}

	if line, info := versions(t, buildOslayer(t, root, "-buildvcs=false")); info.Version != "devel" || !strings.HasPrefix(line, "oslayer devel (") {
		t.Errorf("with nothing: %q, %+v; want devel", line, info)
	}

	// A repository of the module's files, as a clone of it is.
	repo := t.TempDir()
	files := strings.Fields(fixtures.Run(t, root, "git", "ls-files", "--cached", "--others", "--exclude-standard"))
	for _, f := range files {
		data, err := os.ReadFile(filepath.Join(root, f))
		if os.IsNotExist(err) {
			continue // deleted in the working tree
		}
		if err != nil {
			t.Fatal(err)
		}
		mustMkdir(t, filepath.Join(repo, filepath.Dir(f)))
		if err := os.WriteFile(filepath.Join(repo, f), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	git := func(args ...string) string {
		return strings.TrimSpace(fixtures.Run(t, repo, "git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...))
	}
	git("init", "-q")
	git("add", "-A")
	git("commit", "-q", "-m", "snapshot")
	head := git("rev-parse", "HEAD")
	pseudo := regexp.MustCompile(`^v0\.0\.0-[0-9]{14}-` + head[:12] + `(\+dirty)?$`)

	line, info = versions(t, buildOslayer(t, repo, "-buildvcs=true"))
	if !pseudo.MatchString(info.Version) || strings.HasSuffix(info.Version, "+dirty") || info.Commit != head || info.Modified {
		t.Errorf("from a clean repository: %+v, want the pseudo-version of %s, not modified", info, head)
	}
	if want := "oslayer " + info.Version + " (commit " + head[:12] + ", " + runtime.Version() + ", " + platform + ")\n"; line != want {
		t.Errorf("from a clean repository: %q, want %q", line, want)
	}

	if err := os.WriteFile(filepath.Join(repo, "README.md"), []byte("changed\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	line, info = versions(t, buildOslayer(t, repo, "-buildvcs=true"))
	if !pseudo.MatchString(info.Version) || !strings.HasSuffix(info.Version, "+dirty") || info.Commit != head || !info.Modified {
		t.Errorf("from a modified repository: %+v, want the +dirty pseudo-version of %s, modified", info, head)
	}
	if !strings.Contains(line, "(commit "+head[:12]+", modified, ") {
		t.Errorf("from a modified repository: %q, want the commit, modified", line)
	}
}
