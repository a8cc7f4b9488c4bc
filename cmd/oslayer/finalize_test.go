package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/lint"
)

// rpmBase is a bootable fixture base with a shell, the host's rpm and a
// real rpm database holding the package hello.
func rpmBase(t *testing.T, pkgs string) v1.Image {
	t.Helper()
	fixtures.RequireRoot(t)
	hello := fixtures.BuildRPM(t, pkgs, fixtures.RPMSpec{Name: "hello", Version: "1.0", Release: "1", Files: []fixtures.RPMFile{
		{Path: "/usr/bin/hello", Content: "hello 1.0\n", Mode: 0o755},
	}})
	staging := t.TempDir()
	fixtures.InstallRPMs(t, staging, "/usr/lib/sysimage/rpm", "sqlite", hello)
	layers := fixtures.Layers(t, fixtures.BusyboxBaseFiles(t))
	layers = append(layers,
		fixtures.Layer(t, fixtures.HostPrograms(t, []string{"rpm"}, "/usr/lib/rpm")...),
		fixtures.LayerFromDir(t, staging))
	return fixtures.Image(t, fixtures.BaseLabels, nil, layers...)
}

// buildWith writes a Containerfile (with %LAYOUT% replaced) and the
// oslayer binary into a build context and runs buildah bud.
func buildWith(t *testing.T, bh *fixtures.Buildah, layout, containerfile, tag string, extra map[string]string) (string, error) {
	t.Helper()
	ctx := t.TempDir()
	bin, err := os.ReadFile(oslayerBin)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(ctx, "oslayer"), bin, 0o755)
	for name, src := range extra {
		data, _ := os.ReadFile(src)
		os.WriteFile(filepath.Join(ctx, name), data, 0o644)
	}
	os.WriteFile(filepath.Join(ctx, "Containerfile"), []byte(strings.ReplaceAll(containerfile, "%LAYOUT%", layout)), 0o644)
	return bh.TryBud(ctx, tag)
}

func TestFinalizeInARealBuild(t *testing.T) {
	bh := fixtures.NewBuildah(t)
	pkgs := t.TempDir()
	layout, err := os.MkdirTemp("", "oslayer-finalize-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(layout) })
	fixtures.WriteOCILayout(t, layout, fixtures.Named{Name: "base", Image: rpmBase(t, pkgs)})
	extra := fixtures.BuildRPM(t, pkgs, fixtures.RPMSpec{Name: "extra", Version: "2.0", Release: "1", Files: []fixtures.RPMFile{
		{Path: "/usr/bin/extra", Content: "extra\n", Mode: 0o755},
	}})
	const install = `FROM oci:%LAYOUT%:base
RUN --mount=type=bind,source=.,target=/ctx /usr/bin/rpm --dbpath /usr/lib/sysimage/rpm --define '_db_backend sqlite' -i --nodeps /ctx/extra.rpm && mkdir -p /var/cache/dnf && echo metadata > /var/cache/dnf/repomd.xml && echo scratch > /tmp/scratch && mkdir -p /var/tmp/build && echo x > /var/tmp/build/x
RUN --mount=type=bind,source=.,target=/ctx /ctx/oslayer finalize
`
	t.Run("installing packages builds and ships clean", func(t *testing.T) {
		out, err := buildWith(t, bh, layout, install, "localhost/installed:1", map[string]string{"extra.rpm": extra})
		if err != nil {
			t.Fatalf("build failed: %v\n%s", err, out)
		}
		// var-tmpfiles runs on the live root of the build, as bootc's does.
		for _, want := range []string{"/tmp: removed 1 files", "/var/cache: removed 1 files and 1 directories", "/usr/lib/sysimage/rpm/rpmdb.sqlite: merged and removed its write-ahead log",
			"var-tmpfiles (warning): content in /var needs systemd tmpfiles.d entries", "PASS"} {
			if !strings.Contains(out, want) {
				t.Errorf("build output lacks %q:\n%s", want, out)
			}
		}
		mnt := bh.Mount(bh.From("localhost/installed:1"))
		for _, dir := range []string{"tmp", "var/cache", "var/tmp"} {
			ents, err := os.ReadDir(filepath.Join(mnt, dir))
			if err != nil || len(ents) != 0 {
				t.Errorf("/%s ships %v (%v)", dir, ents, err)
			}
		}
		for _, f := range []string{"rpmdb.sqlite-wal", "rpmdb.sqlite-shm"} {
			if _, err := os.Lstat(filepath.Join(mnt, "usr/lib/sysimage/rpm", f)); err == nil {
				t.Errorf("the image ships %s", f)
			}
		}
		// The database still knows both packages, read by the real rpm.
		q := fixtures.Run(t, "", "rpm", "--root", mnt, "--dbpath", "/usr/lib/sysimage/rpm", "-q", "hello", "extra")
		if !strings.Contains(q, "hello-1.0-1") || !strings.Contains(q, "extra-2.0-1") {
			t.Errorf("rpm -q after finalize: %s", q)
		}
	})

	const override = `FROM oci:%LAYOUT%:base
RUN echo hacked > /usr/bin/hello
RUN --mount=type=bind,source=.,target=/ctx /ctx/oslayer finalize %FLAGS%
`
	t.Run("overwriting a base binary fails naming it and its package", func(t *testing.T) {
		out, err := buildWith(t, bh, layout, strings.ReplaceAll(override, "%FLAGS%", ""), "localhost/override:1", nil)
		if err == nil {
			t.Fatalf("the build passed:\n%s", out)
		}
		for _, want := range []string{"usr-override (fatal)", "/usr/bin/hello [hello]: base file changed: content; differs from what package hello 1.0-1 installed", "FAIL: 1 fatal finding",
			"oslayer: usr-override (fatal): /usr/bin/hello [hello]"} {
			if !strings.Contains(out, want) {
				t.Errorf("build output lacks %q:\n%s", want, out)
			}
		}
	})
	t.Run("the same with --allow-override builds", func(t *testing.T) {
		out, err := buildWith(t, bh, layout, strings.ReplaceAll(override, "%FLAGS%", "--allow-override"), "localhost/allowed:1", nil)
		if err != nil {
			t.Fatalf("build failed: %v\n%s", err, out)
		}
	})

	// The Containerfile lines the README gives for a VOLUME.
	const volume = `FROM oci:%LAYOUT%:base
RUN mkdir -p /opt/app/data && echo seed > /opt/app/data/seed
RUN --mount=type=bind,source=.,target=/ctx /ctx/oslayer finalize --volumes --volume /opt/app/data
VOLUME /opt/app/data
`
	t.Run("a VOLUME is kept by a bind mount from /var, and lint sees it kept", func(t *testing.T) {
		out, err := buildWith(t, bh, layout, volume, "localhost/volume:1", nil)
		if err != nil {
			t.Fatalf("build failed: %v\n%s", err, out)
		}
		for _, want := range []string{"--volumes: /opt/app/data: opt-app-data.mount binds /var/lib/volumes/opt-app-data there, seeded at first boot from /usr/share/factory/opt/app/data", "PASS"} {
			if !strings.Contains(out, want) {
				t.Errorf("build output lacks %q:\n%s", want, out)
			}
		}
		mnt := bh.Mount(bh.From("localhost/volume:1"))
		if ents, err := os.ReadDir(filepath.Join(mnt, "opt/app/data")); err != nil || len(ents) != 0 {
			t.Errorf("the mount point /opt/app/data ships %v (%v)", ents, err)
		}
		if data, err := os.ReadFile(filepath.Join(mnt, "usr/share/factory/opt/app/data/seed")); err != nil || string(data) != "seed\n" {
			t.Errorf("the seed: %q, %v", data, err)
		}
		if _, err := os.Stat(filepath.Join(mnt, "usr/lib/systemd/system/local-fs.target.wants/opt-app-data.mount")); err != nil {
			t.Errorf("the mount unit is not enabled: %v", err)
		}
		// Image mode reads the VOLUME from the image config.
		stdout, stderr, code := oslayer(t, t.TempDir(), "lint", "--format", "json", "containers-storage:"+bh.Store()+"localhost/volume:1", "--base", "oci:"+layout+":base")
		var res lint.Result
		if err := json.Unmarshal([]byte(stdout), &res); err != nil {
			t.Fatalf("lint: exit %d, %v\n%s\n%s", code, err, stdout, stderr)
		}
		checked := false
		for _, c := range res.Checks {
			if c.Rule == "volumes" {
				checked = true
				if c.Status != lint.Passed {
					t.Errorf("the volumes check %s (%s): %+v", c.Status, c.Reason, res.Findings)
				}
			}
		}
		if !checked {
			t.Errorf("lint ran no volumes check: %+v", res.Checks)
		}
	})
}

// TestFinalizeCLI: --dry-run changes nothing; a failing lint names its
// fatal findings on stderr too, whatever stdout gets; / on a machine that
// is not an image being built is refused with exit 2.
func TestFinalizeCLI(t *testing.T) {
	root := t.TempDir()
	for p, content := range map[string]string{"tmp/scratch": "x", "var/cache/c": "c"} {
		os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
		os.WriteFile(filepath.Join(root, p), []byte(content), 0o644)
	}
	stdout, stderr, code := oslayer(t, t.TempDir(), "finalize", "--rootfs", root, "--dry-run")
	if code != 0 || stdout != "" || !strings.Contains(stderr, "/tmp: would remove 1 files") {
		t.Errorf("--dry-run: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if _, err := os.Stat(filepath.Join(root, "tmp/scratch")); err != nil {
		t.Errorf("--dry-run removed /tmp/scratch: %v", err)
	}
	stdout, stderr, code = oslayer(t, t.TempDir(), "finalize", "--rootfs", root, "--format", "json")
	if code != 1 || !strings.HasPrefix(stdout, "{") {
		t.Fatalf("finalize of a root missing its API directories: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	for _, want := range []string{"/tmp: removed 1 files", "oslayer: FAIL: " + root, "oslayer: api-base-directories (fatal): /dev: missing"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	_, stderr, code = oslayer(t, t.TempDir(), "finalize", "--rootfs", root, "--volumes")
	if code != 2 || !strings.Contains(stderr, "--volumes: name each VOLUME with --volume PATH") {
		t.Errorf("--volumes without --volume: exit %d\n%s", code, stderr)
	}
	// This machine's / (a dry run changes nothing even if it were let
	// through): unless it is a bootable root, finalize must refuse it.
	kernels, _ := filepath.Glob("/usr/lib/modules/*/vmlinuz")
	for _, marker := range []string{"/usr/lib/bootc", "/usr/lib/ostree", "/sysroot"} {
		if _, err := os.Stat(marker); err == nil {
			kernels = append(kernels, marker)
		}
	}
	if len(kernels) > 0 {
		t.Logf("this machine's / looks bootable (%v): not checking that finalize refuses it", kernels)
		return
	}
	_, stderr, code = oslayer(t, t.TempDir(), "finalize", "--dry-run")
	if code != 2 || !strings.Contains(stderr, "refusing to finalize /") || !strings.Contains(stderr, "--rootfs DIR") {
		t.Errorf("finalize of this machine's /: exit %d\n%s", code, stderr)
	}
}
