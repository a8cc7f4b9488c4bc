// Package ci holds the tests of the project's scripts: release.sh here,
// the integrations in ./integrations.
package ci

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/oslayer/oslayer/fixtures"
)

// release runs release.sh with args and extra environment, and returns
// its output and exit code.
func release(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command("bash", append([]string{"release.sh"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

func TestReleaseRefuses(t *testing.T) {
	full := t.TempDir()
	os.WriteFile(filepath.Join(full, "old"), nil, 0o644)
	for _, tc := range []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"no version", nil, nil, "usage: ci/release.sh VERSION [OUTDIR]"},
		{"a version that cannot name a tag", nil, []string{"v1.0/evil", t.TempDir()}, `version "v1.0/evil": want letters`},
		{"a directory with files", nil, []string{"v1.0.0", full}, full + " is not empty"},
		{"an unknown architecture", []string{"OSLAYER_ARCHES=amd64 riscv64"}, []string{"v1.0.0", t.TempDir()}, "OSLAYER_ARCHES: riscv64: want amd64 and/or arm64"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, code := release(t, tc.env, tc.args...)
			if code != 2 || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, want 2 saying %q:\n%s", code, tc.want, out)
			}
		})
	}
}

// TestRelease builds a release for this machine's architecture (the
// arm64 one costs a cold cross-compile: run release.sh by hand for it)
// without -trimpath, so that the build reuses what go test compiled.
func TestRelease(t *testing.T) {
	fixtures.RequireRoot(t)
	fixtures.RequireTools(t, "buildah", "go", "sha256sum", "tar", "gzip")
	const version = "v0.0.0-releasetest"
	const epoch = 1700000000
	env := []string{"OSLAYER_ARCHES=" + runtime.GOARCH, "RELEASE_GOFLAGS=", "SOURCE_DATE_EPOCH=1700000000"}
	out, again := t.TempDir(), t.TempDir()
	log, code := release(t, env, version, out)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, log)
	}
	// The same commit and time give the same files, byte for byte.
	if log, code := release(t, env, version, again); code != 0 {
		t.Fatalf("again: exit %d:\n%s", code, log)
	}
	s1, _ := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	s2, _ := os.ReadFile(filepath.Join(again, "SHA256SUMS"))
	if !bytes.Equal(s1, s2) {
		t.Errorf("two releases differ:\n%s\n%s", s1, s2)
	}
	bin := "oslayer-linux-" + runtime.GOARCH
	archive := "oslayer-" + version + ".oci.tar"
	man := "oslayer-" + version + "-man.tar.gz"

	// The binary: static, stamped, runs.
	v, err := exec.Command(filepath.Join(out, bin), "version").Output()
	if err != nil || !strings.HasPrefix(string(v), "oslayer "+version+" (") {
		t.Errorf("%s version: %q %v", bin, v, err)
	}
	info, _ := exec.Command("go", "version", "-m", filepath.Join(out, bin)).Output()
	if !strings.Contains(string(info), "CGO_ENABLED=0") {
		t.Errorf("%s is not built with CGO_ENABLED=0:\n%s", bin, info)
	}

	// Man pages when the binary has the man command, a warning until then.
	want := []string{bin, archive}
	if exec.Command(filepath.Join(out, bin), "man", "--help").Run() == nil {
		want = append(want, man)
		checkManArchive(t, filepath.Join(out, man))
	} else if !strings.Contains(log, "this oslayer has no 'man' command yet") {
		t.Errorf("no man pages and no warning:\n%s", log)
	}

	// SHA256SUMS covers every file, in the format the integrations read.
	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	var named []string
	line := regexp.MustCompile(`^[0-9a-f]{64}  (\S+)$`)
	for _, l := range strings.Split(strings.TrimSuffix(string(sums), "\n"), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			t.Fatalf("SHA256SUMS line %q", l)
		}
		named = append(named, m[1])
	}
	slices.Sort(named)
	slices.Sort(want)
	if !slices.Equal(named, want) {
		t.Errorf("SHA256SUMS names %v, want %v", named, want)
	}
	check := exec.Command("sha256sum", "-c", "SHA256SUMS")
	check.Dir = out
	if o, err := check.CombinedOutput(); err != nil {
		t.Errorf("sha256sum -c: %v\n%s", err, o)
	}
	if entries, _ := os.ReadDir(out); len(entries) != len(want)+1 {
		t.Errorf("%s holds %d files, want %d", out, len(entries), len(want)+1)
	}

	// The image: an index tagged with the version, one image per
	// architecture holding the binary alone.
	binData, _ := os.ReadFile(filepath.Join(out, bin))
	dir := untar(t, filepath.Join(out, archive))
	top, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	tm, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(tm.Manifests) != 1 || tm.Manifests[0].Annotations["org.opencontainers.image.ref.name"] != version || !tm.Manifests[0].MediaType.IsIndex() {
		t.Fatalf("%s: index.json %+v, want one index tagged %s", archive, tm.Manifests, version)
	}
	idx, err := top.ImageIndex(tm.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	im, _ := idx.IndexManifest()
	if len(im.Manifests) != 1 || im.Manifests[0].Platform == nil || im.Manifests[0].Platform.OS != "linux" || im.Manifests[0].Platform.Architecture != runtime.GOARCH {
		t.Fatalf("%s: the index lists %+v, want linux/%s", archive, im.Manifests, runtime.GOARCH)
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cf.Config.Entrypoint, []string{"/oslayer"}) || cf.Config.Labels["org.opencontainers.image.version"] != version ||
		!cf.Created.Time.Equal(time.Unix(epoch, 0)) || cf.Architecture != runtime.GOARCH {
		t.Errorf("image config: entrypoint %q, labels %v, created %v, architecture %s", cf.Config.Entrypoint, cf.Config.Labels, cf.Created, cf.Architecture)
	}
	lyrs, _ := img.Layers()
	if len(lyrs) != 1 {
		t.Fatalf("the image has %d layers, want 1", len(lyrs))
	}
	rc, err := lyrs[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var names []string
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, hdr.Name)
		if data, _ := io.ReadAll(tr); hdr.Name == "oslayer" && (!bytes.Equal(data, binData) || hdr.Mode&0o111 == 0) {
			t.Errorf("/oslayer in the image is not the executable %s", bin)
		}
	}
	if !slices.Equal(names, []string{"oslayer"}) {
		t.Errorf("the image's layer holds %v, want oslayer alone", names)
	}
}

// untar unpacks an OCI archive into a new directory.
func untar(t *testing.T, file string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("tar", "-xf", file, "-C", dir).CombinedOutput(); err != nil {
		t.Fatalf("tar -xf %s: %v\n%s", file, err, out)
	}
	return dir
}

// checkManArchive checks that the man page archive holds files below man/.
func checkManArchive(t *testing.T, file string) {
	t.Helper()
	out, err := exec.Command("tar", "-tzf", file).Output()
	if err != nil {
		t.Fatalf("tar -tzf %s: %v", file, err)
	}
	pages := 0
	for _, name := range strings.Fields(string(out)) {
		if !strings.HasPrefix(name, "man/") {
			t.Errorf("%s holds %s, outside man/", file, name)
		}
		if !strings.HasSuffix(name, "/") {
			pages++
		}
	}
	if pages == 0 {
		t.Errorf("%s holds no page", file)
	}
}
