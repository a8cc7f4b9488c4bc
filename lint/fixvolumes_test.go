package lint

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/oslayer/oslayer/fixtures"
)

// withHostSystemd gives a scratch root the unit files and systemd-tmpfiles
// of this machine's systemd, as a bootable base has its own, so that
// systemd-analyze verify --root checks units against a real boot
// transaction (local-fs.target, systemd-tmpfiles-setup.service, ...).
func withHostSystemd(t *testing.T, root string) {
	t.Helper()
	fixtures.RequireTools(t, "systemd-analyze", "systemd-tmpfiles")
	tmpfiles, _ := exec.LookPath("systemd-tmpfiles")
	os.MkdirAll(filepath.Join(root, "usr/lib/systemd"), 0o755)
	os.MkdirAll(filepath.Join(root, "usr/bin"), 0o755)
	fixtures.Run(t, "", "cp", "-a", "/usr/lib/systemd/system", filepath.Join(root, "usr/lib/systemd/"))
	fixtures.Run(t, "", "cp", tmpfiles, filepath.Join(root, "usr/bin/systemd-tmpfiles"))
}

// verifyUnits runs systemd-analyze verify on units of a root: it loads
// them with the root's other units, builds the start transaction of each
// (ordering cycles fail it) and checks every setting and the executables
// they run. Warnings fail the test as errors do. It needs no running
// systemd: --root reads the units from the root, --man=no leaves
// Documentation= unchecked (man is not installed).
func verifyUnits(t *testing.T, root string, units ...string) {
	t.Helper()
	out, err := exec.Command("systemd-analyze", append([]string{"verify", "--root=" + root, "--man=no"}, units...)...).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify %s: %v\n%s", strings.Join(units, " "), err, out)
	}
}

func TestFinalizeVolumes(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	withHostSystemd(t, root)
	mkfile(t, filepath.Join(root, "opt/app/data/seed.txt"), "seed\n")
	mkfile(t, filepath.Join(root, "opt/app/data/sub/x"), "x")
	os.Chmod(filepath.Join(root, "opt/app/data"), 0o750)
	os.MkdirAll(filepath.Join(root, "opt/my-app/cache"), 0o755)
	os.MkdirAll(filepath.Join(root, "usr/lib/srv"), 0o755)
	os.Symlink("usr/lib/srv", filepath.Join(root, "srv"))
	mkfile(t, filepath.Join(root, "var/lib/app/state"), "state")
	mkfile(t, filepath.Join(root, "etc/app/app.conf"), "conf")
	volumes := []string{"/opt/app/data", "/opt/my-app/cache", "/srv/www", "/var/lib/app", "/etc/app", "/opt/app/data/"}

	rep, err := Finalize(ctx, FinalizeOptions{Root: root, Volumes: volumes, FixVar: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []VolumeFix{
		{Path: "/etc/app", Real: "/etc/app"},
		{Path: "/opt/app/data", Real: "/opt/app/data", Unit: "opt-app-data.mount", What: "/var/lib/volumes/opt-app-data",
			Seed:  "/usr/share/factory/opt/app/data",
			Lines: []string{"C /var/lib/volumes/opt-app-data - - - - /usr/share/factory/opt/app/data"}},
		{Path: "/opt/my-app/cache", Real: "/opt/my-app/cache", Unit: `opt-my\x2dapp-cache.mount`, What: `/var/lib/volumes/opt-my\x2dapp-cache`,
			Lines: []string{`d "/var/lib/volumes/opt-my\\x2dapp-cache" 0755 0 0 - -`}},
		{Path: "/srv/www", Real: "/usr/lib/srv/www", Unit: "usr-lib-srv-www.mount", What: "/var/lib/volumes/usr-lib-srv-www",
			Lines: []string{"d /var/lib/volumes/usr-lib-srv-www 0755 0 0 - -"}},
		{Path: "/var/lib/app", Real: "/var/lib/app", Lines: []string{"d /var/lib/app 0755 0 0 - -"}},
	}
	if !reflect.DeepEqual(rep.Volumes, want) {
		t.Errorf("volumes:\n got %+v\nwant %+v", rep.Volumes, want)
	}
	unit, _ := os.ReadFile(filepath.Join(root, "usr/lib/systemd/system/opt-app-data.mount"))
	for _, line := range []string{"What=/var/lib/volumes/opt-app-data\n", "Where=/opt/app/data\n", "Options=bind\n", "WantedBy=local-fs.target\n",
		"After=oslayer-volumes.service var.mount\n", "Requires=oslayer-volumes.service\n"} {
		if !strings.Contains(string(unit), line) {
			t.Errorf("opt-app-data.mount lacks %q:\n%s", line, unit)
		}
	}
	for _, u := range []string{"opt-app-data.mount", `opt-my\x2dapp-cache.mount`, "usr-lib-srv-www.mount"} {
		if target, err := os.Readlink(filepath.Join(root, "usr/lib/systemd/system/local-fs.target.wants", u)); err != nil || target != "../"+u {
			t.Errorf("local-fs.target.wants/%s -> %q, %v", u, target, err)
		}
	}
	// The mount points stay in the image, empty, with their mode; the
	// content went to the factory.
	for p, mode := range map[string]os.FileMode{"opt/app/data": 0o750, "opt/my-app/cache": 0o755, "usr/lib/srv/www": 0o755} {
		ents, err := os.ReadDir(filepath.Join(root, p))
		fi, _ := os.Stat(filepath.Join(root, p))
		if err != nil || len(ents) != 0 || fi.Mode().Perm() != mode {
			t.Errorf("mount point /%s: %v entries, mode %v, %v", p, len(ents), fi.Mode(), err)
		}
	}
	seed := filepath.Join(root, "usr/share/factory/opt/app/data")
	if data, err := os.ReadFile(filepath.Join(seed, "seed.txt")); err != nil || string(data) != "seed\n" || !exists(filepath.Join(seed, "sub/x")) {
		t.Errorf("factory seed: %q, %v", data, err)
	}

	verifyUnits(t, root, "local-fs.target", "oslayer-volumes.service", "opt-app-data.mount", `opt-my\x2dapp-cache.mount`, "usr-lib-srv-www.mount")

	// What boot does: systemd-tmpfiles reads the lines finalize wrote and
	// fills /var as the volumes need it.
	fixtures.Run(t, "", "systemd-tmpfiles", "--create", "--root="+root)
	for p, content := range map[string]string{
		"var/lib/volumes/opt-app-data/seed.txt": "seed\n", "var/lib/volumes/opt-app-data/sub/x": "x",
		"var/lib/app/state": "state", // --fix-var enters the directory --volumes declared
	} {
		if data, err := os.ReadFile(filepath.Join(root, p)); err != nil || string(data) != content {
			t.Errorf("/%s after systemd-tmpfiles --create: %q, %v", p, data, err)
		}
	}
	for _, p := range []string{`var/lib/volumes/opt-my\x2dapp-cache`, "var/lib/volumes/usr-lib-srv-www"} {
		if fi, err := os.Stat(filepath.Join(root, p)); err != nil || !fi.IsDir() {
			t.Errorf("/%s after systemd-tmpfiles --create: %v", p, err)
		}
	}
	if fi, _ := os.Stat(filepath.Join(root, "var/lib/volumes/opt-app-data")); fi == nil || fi.Mode().Perm() != 0o750 {
		t.Errorf("/var/lib/volumes/opt-app-data has not the mode of the image's directory: %v", fi)
	}
	os.RemoveAll(filepath.Join(root, "var/lib/volumes"))

	// The root now passes the volumes rule.
	if got := checkRule(t, volumesRule, Input{Rootfs: root, Volumes: volumes}); len(got) != 0 {
		t.Errorf("volumes after finalize --volumes: %v", got)
	}

	// A second run keeps the seed and writes the same lines, once.
	confBefore, _ := os.ReadFile(filepath.Join(root, volumesConf))
	again, err := Finalize(ctx, FinalizeOptions{Root: root, Volumes: volumes})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(again.Volumes, want) {
		t.Errorf("second run:\n got %+v\nwant %+v", again.Volumes, want)
	}
	if conf, _ := os.ReadFile(filepath.Join(root, volumesConf)); string(conf) != string(confBefore) {
		t.Errorf("second run changed %s:\n%s\nto\n%s", volumesConf, confBefore, conf)
	}
	// New content that would overwrite the seed is refused, not merged.
	mkfile(t, filepath.Join(root, "opt/app/data/seed.txt"), "newer\n")
	if _, err := Finalize(ctx, FinalizeOptions{Root: root, Volumes: volumes}); err == nil || !strings.Contains(err.Error(), "seed.txt exists already") {
		t.Errorf("moving over the seed: %v", err)
	}
	if data, _ := os.ReadFile(filepath.Join(seed, "seed.txt")); string(data) != "seed\n" {
		t.Errorf("the seed was overwritten: %q", data)
	}
}

// TestFinalizeVolumesRefuses paths that cannot hold a volume, before it
// changes anything.
func TestFinalizeVolumesRefuses(t *testing.T) {
	root := t.TempDir()
	mkfile(t, filepath.Join(root, "opt/file"), "f")
	for volume, want := range map[string]string{
		"/run/app":  "VOLUME /run/app (/run/app): the OS itself or a file system mounted afresh at every boot cannot hold a volume",
		"/usr":      "VOLUME /usr (/usr): the OS itself",
		"/opt/file": "/opt/file: not a directory",
		"/opt/a\nb": "a control character",
	} {
		_, err := Finalize(context.Background(), FinalizeOptions{Root: root, Volumes: []string{volume}})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("VOLUME %q: %v, want an error with %q", volume, err, want)
		}
	}
	// One refused VOLUME among others changes nothing either.
	mkfile(t, filepath.Join(root, "srv/ok/seed"), "seed")
	if _, err := Finalize(context.Background(), FinalizeOptions{Root: root, Volumes: []string{"/srv/ok", "/opt/file"}}); err == nil {
		t.Error("finalize --volumes with /opt/file passed")
	}
	if exists(filepath.Join(root, "usr")) || !exists(filepath.Join(root, "srv/ok/seed")) {
		t.Error("a refused VOLUME left units, tmpfiles.d lines or moved content")
	}
}

// TestFinalizeVolumesAtAMountPoint: a VOLUME line before finalize makes
// the builder mount a volume at the path for later RUN steps (buildah
// bind-mounts a copy); finalize cannot move its content and says what to
// change.
func TestFinalizeVolumesAtAMountPoint(t *testing.T) {
	fixtures.RequireRoot(t)
	root, vol := t.TempDir(), t.TempDir()
	mkfile(t, filepath.Join(vol, "seed"), "seed")
	mnt := filepath.Join(root, "opt/app/data")
	os.MkdirAll(mnt, 0o755)
	if err := unix.Mount(vol, mnt, "", unix.MS_BIND, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(mnt, unix.MNT_DETACH) })
	_, err := Finalize(context.Background(), FinalizeOptions{Root: root, Volumes: []string{"/opt/app/data"}})
	if err == nil || !strings.Contains(err.Error(), "(a mount point): the builder mounts a volume there when the Containerfile's VOLUME line comes before this RUN step; put it after") {
		t.Errorf("finalize --volumes at a mount point: %v", err)
	}
	if !exists(filepath.Join(vol, "seed")) || exists(filepath.Join(root, "usr/share/factory")) {
		t.Error("finalize moved content out of a mount point")
	}
}
