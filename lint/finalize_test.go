package lint

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/oslayer/oslayer/fixtures"
)

func mkfile(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// walDB creates a sqlite database in WAL mode whose last row lives only in
// the -wal file, as rpm leaves rpmdb.sqlite after a transaction.
func walDB(t *testing.T, path string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o755)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	for _, q := range []string{"PRAGMA journal_mode=WAL", "PRAGMA wal_autocheckpoint=0",
		"CREATE TABLE Packages (name TEXT)", "INSERT INTO Packages VALUES ('in-wal-only')"} {
		if _, err := db.Exec(q); err != nil {
			t.Fatal(q, err)
		}
	}
	// Copy the files while the connection is open, so the copy keeps the
	// log un-checkpointed; then close the original.
	for _, suffix := range []string{"", "-wal", "-shm"} {
		data, err := os.ReadFile(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path+suffix+".copy", data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Rename(path+suffix+".copy", path+suffix)
	}
	if !exists(path + "-wal") {
		t.Fatal("fixture lost its -wal file")
	}
}

func TestFinalizeCleansSafely(t *testing.T) {
	ctx := context.Background()
	root, outside := t.TempDir(), t.TempDir()
	mkfile(t, filepath.Join(outside, "precious"), "do not delete")
	mkfile(t, filepath.Join(outside, "secrets", "token"), "secret")

	mkfile(t, filepath.Join(root, "tmp/build.log"), "0123456789")
	mkfile(t, filepath.Join(root, "tmp/deep/er/file"), "x")
	os.Symlink(outside, filepath.Join(root, "tmp/abs-escape"))
	os.Symlink("../../../../../../"+outside, filepath.Join(root, "tmp/rel-escape"))
	mkfile(t, filepath.Join(root, "var/tmp/x"), "x")
	mkfile(t, filepath.Join(root, "var/cache/dnf/metadata"), "cache")
	os.Chmod(filepath.Join(root, "var/cache/dnf"), 0o500)
	mkfile(t, filepath.Join(root, "run/.containerenv"), "engine=\"buildah\"")
	mkfile(t, filepath.Join(root, "run/lock/x"), "")
	walDB(t, filepath.Join(root, "usr/lib/sysimage/rpm/rpmdb.sqlite"))
	os.MkdirAll(filepath.Join(root, "var/lib"), 0o755)
	os.Symlink("../../usr/lib/sysimage/rpm", filepath.Join(root, "var/lib/rpm"))

	mounted := false
	if os.Geteuid() == 0 {
		os.MkdirAll(filepath.Join(root, "run/secrets"), 0o755)
		if err := unix.Mount(filepath.Join(outside, "secrets"), filepath.Join(root, "run/secrets"), "", unix.MS_BIND, ""); err == nil {
			mounted = true
			defer unix.Unmount(filepath.Join(root, "run/secrets"), unix.MNT_DETACH)
		}
	}

	rep, err := Finalize(ctx, FinalizeOptions{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"tmp/build.log", "tmp/deep", "tmp/abs-escape", "tmp/rel-escape", "var/tmp/x", "var/cache/dnf", "run/lock",
		"usr/lib/sysimage/rpm/rpmdb.sqlite-wal", "usr/lib/sysimage/rpm/rpmdb.sqlite-shm"} {
		if exists(filepath.Join(root, p)) {
			t.Errorf("%s survived", p)
		}
	}
	for _, p := range []string{"tmp", "var/tmp", "var/cache", "run", "run/.containerenv", "var/lib/rpm"} {
		if !exists(filepath.Join(root, p)) {
			t.Errorf("%s was removed", p)
		}
	}
	if !exists(filepath.Join(outside, "precious")) || !exists(filepath.Join(outside, "secrets", "token")) {
		t.Fatal("finalize deleted files outside the root")
	}
	if mounted && !exists(filepath.Join(root, "run/secrets/token")) {
		t.Error("finalize emptied a mount point")
	}
	tmp := rep.Removed[0]
	if tmp.Dir != "/tmp" || tmp.Files != 4 || tmp.Dirs != 2 || tmp.Bytes != 11 {
		t.Errorf("/tmp report = %+v", tmp)
	}
	if len(rep.Checkpointed) != 1 || rep.Checkpointed[0].Path != "/usr/lib/sysimage/rpm/rpmdb.sqlite" {
		t.Errorf("checkpointed = %+v", rep.Checkpointed)
	}
	// The row that lived only in the log is now in the database.
	db, _ := sql.Open("sqlite", filepath.Join(root, "usr/lib/sysimage/rpm/rpmdb.sqlite")+"?mode=ro")
	defer db.Close()
	var name, mode string
	if err := db.QueryRow("SELECT name FROM Packages").Scan(&name); err != nil || name != "in-wal-only" {
		t.Errorf("row after checkpoint: %q, %v", name, err)
	}
	if err := db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil || mode != "delete" {
		t.Errorf("journal mode %q, %v", mode, err)
	}
}

func TestFinalizeLeavesSymlinkedDirsAlone(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	mkfile(t, filepath.Join(outside, "keep"), "k")
	os.MkdirAll(filepath.Join(root, "var"), 0o755)
	os.Symlink(outside, filepath.Join(root, "var/cache"))
	os.Symlink(outside, filepath.Join(root, "tmp"))
	rep, err := Finalize(context.Background(), FinalizeOptions{Root: root})
	if err != nil {
		t.Fatal(err)
	}
	if !exists(filepath.Join(outside, "keep")) {
		t.Fatal("followed a symlinked /var/cache out of the root")
	}
	var skipped []string
	for _, rm := range rep.Removed {
		if rm.Skipped != "" {
			skipped = append(skipped, rm.Dir)
		}
	}
	if !slices.Equal(skipped, []string{"/tmp", "/var/cache"}) {
		t.Errorf("skipped %v", skipped)
	}
}

func TestFinalizeFixVar(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	mkfile(t, filepath.Join(root, "usr/lib/tmpfiles.d/base.conf"), "d /var/lib 0755 root root - -\n")
	mkfile(t, filepath.Join(root, "var/lib/app/data.db"), "state")
	mkfile(t, filepath.Join(root, `var/lib/my app\x`), "spaced")
	mkfile(t, filepath.Join(root, "var/opt/thing"), "t")
	os.Symlink("../run/app", filepath.Join(root, "var/lib/app-run"))
	mkfile(t, filepath.Join(root, "var/cache/x"), "c")
	// Package databases stay where they are: moved to the factory they
	// would describe the first image forever.
	status := "Package: tool\nStatus: install ok installed\nVersion: 1.0\nArchitecture: amd64\n\n"
	mkfile(t, filepath.Join(root, "var/lib/dpkg/status"), status)
	mkfile(t, filepath.Join(root, "var/lib/dpkg/info/tool.list"), "/usr/bin/tool\n")
	mkfile(t, filepath.Join(root, "var/lib/apt/extended_states"), "")

	rep, err := Finalize(ctx, FinalizeOptions{Root: root, FixVar: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"d /var/cache 0755 0 0 - -",
		"C /var/lib/app - - - - /usr/share/factory/var/lib/app",
		"L /var/lib/app-run - - - - ../run/app",
		`C "/var/lib/my app\\x" - - - - /usr/share/factory/var/lib/my\x20app\x5cx`,
		"C /var/opt - - - - /usr/share/factory/var/opt",
	}
	if !slices.Equal(rep.VarLines, want) {
		t.Errorf("lines (-want +got):\n-%s\n+%s", strings.Join(want, "\n-"), strings.Join(rep.VarLines, "\n+"))
	}
	if data, err := os.ReadFile(filepath.Join(root, "usr/share/factory/var/lib/app/data.db")); err != nil || string(data) != "state" {
		t.Errorf("factory copy: %q, %v", data, err)
	}
	if exists(filepath.Join(root, "var/lib/app")) || exists(filepath.Join(root, "var/opt")) || !exists(filepath.Join(root, "var/lib")) {
		t.Error("/var not moved as expected")
	}
	for _, p := range []string{"var/lib/dpkg/status", "var/lib/dpkg/info/tool.list", "var/lib/apt/extended_states"} {
		if !exists(filepath.Join(root, p)) || exists(filepath.Join(root, "usr/share/factory", p)) {
			t.Errorf("--fix-var moved /%s", p)
		}
	}
	conf, _ := os.ReadFile(filepath.Join(root, "usr/lib/tmpfiles.d/oslayer-var.conf"))
	for _, l := range want {
		if !strings.Contains(string(conf), l+"\n") {
			t.Errorf("%s lacks %q", rep.VarConf, l)
		}
	}
	// systemd-tmpfiles (252, as on CentOS Stream 9) reads the lines back as
	// they were meant.
	fixtures.RequireTools(t, "systemd-tmpfiles")
	scratch := t.TempDir()
	os.MkdirAll(filepath.Join(scratch, "usr/share"), 0o755)
	fixtures.Run(t, "", "cp", "-a", filepath.Join(root, "usr/share/factory"), filepath.Join(scratch, "usr/share/"))
	fixtures.Run(t, "", "systemd-tmpfiles", "--create", "--root="+scratch, filepath.Join(root, "usr/lib/tmpfiles.d/oslayer-var.conf"))
	for p, content := range map[string]string{"var/lib/app/data.db": "state", `var/lib/my app\x`: "spaced", "var/opt/thing": "t"} {
		if data, err := os.ReadFile(filepath.Join(scratch, p)); err != nil || string(data) != content {
			t.Errorf("/%s after systemd-tmpfiles --create: %q, %v", p, data, err)
		}
	}
	if target, err := os.Readlink(filepath.Join(scratch, "var/lib/app-run")); err != nil || target != "../run/app" {
		t.Errorf("/var/lib/app-run after systemd-tmpfiles --create: %q, %v", target, err)
	}
	// Now /var passes var-tmpfiles, which runs on the live root only: the
	// root stands in for "/" of a build.
	target, err := Open(ctx, Input{Rootfs: root})
	if err != nil {
		t.Fatal(err)
	}
	target.Running = true
	res, err := Run(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	pkgdbWarned := false
	for _, f := range res.Findings {
		if f.Rule == "var-tmpfiles" && !strings.HasPrefix(f.Path, "/var/lib/dpkg") && !strings.HasPrefix(f.Path, "/var/lib/apt") {
			t.Errorf("after --fix-var: %+v", f)
		}
		pkgdbWarned = pkgdbWarned || f.Rule == "var-pkgdb" && f.Path == "/var/lib/dpkg/status"
	}
	if !pkgdbWarned {
		t.Error("no var-pkgdb warning for the dpkg database in /var")
	}
	// A second run changes nothing and keeps the file as it is.
	rep, err = Finalize(ctx, FinalizeOptions{Root: root, FixVar: true})
	if err != nil || len(rep.VarLines) != 0 {
		t.Errorf("second run: %v, %v", rep.VarLines, err)
	}
}

// TestFinalizeDryRun reports what a real run then does, and changes
// nothing itself.
func TestFinalizeDryRun(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	mkfile(t, filepath.Join(root, "tmp/a/b"), "0123")
	mkfile(t, filepath.Join(root, "var/cache/apt/pkgcache.bin"), "cache")
	mkfile(t, filepath.Join(root, "var/lib/app/state"), "state")
	mkfile(t, filepath.Join(root, "opt/app/data/seed"), "seed")
	walDB(t, filepath.Join(root, "usr/lib/sysimage/rpm/rpmdb.sqlite"))
	before := treeLines(t, root)
	volumes := []string{"/opt/app/data", "/var/lib/app", "/srv/new"}
	dry, err := Finalize(ctx, FinalizeOptions{Root: root, DryRun: true, FixVar: true, Volumes: volumes})
	if err != nil {
		t.Fatal(err)
	}
	if after := treeLines(t, root); !slices.Equal(before, after) {
		t.Fatalf("--dry-run changed the root (-before +after):\n-%s\n+%s", strings.Join(before, "\n-"), strings.Join(after, "\n+"))
	}
	var out strings.Builder
	WriteFinalizeReport(&out, dry)
	for _, want := range []string{"--dry-run", "/tmp: would remove 1 files and 1 directories, 4 bytes", "would merge", "C /var/lib - - - - /usr/share/factory/var/lib", "lines would go to",
		"--volumes: /opt/app/data: opt-app-data.mount would bind /var/lib/volumes/opt-app-data there, seeded at first boot from /usr/share/factory/opt/app/data",
		"--volumes: /var/lib/app: in /var, declared with d /var/lib/app 0755 0 0 - -", "--volumes: 3 tmpfiles.d lines would go to /usr/lib/tmpfiles.d/oslayer-volumes.conf"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("dry-run report lacks %q:\n%s", want, out.String())
		}
	}
	real, err := Finalize(ctx, FinalizeOptions{Root: root, FixVar: true, Volumes: volumes})
	if err != nil {
		t.Fatal(err)
	}
	dry.DryRun = false
	if d, r := fmt.Sprintf("%+v", dry), fmt.Sprintf("%+v", real); d != r {
		t.Errorf("the dry run said\n%s\nthe real run did\n%s", d, r)
	}
}

// treeLines lists every path below root with its size.
func treeLines(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err == nil {
			out = append(out, fmt.Sprintf("%s %d %v", strings.TrimPrefix(p, root), fi.Size(), fi.Mode()))
		}
		return nil
	})
	return out
}

// TestFinalizeGoesOnPastAFailure: an immutable file in /tmp is reported,
// its directory stays, and everything else is still removed.
func TestFinalizeGoesOnPastAFailure(t *testing.T) {
	fixtures.RequireRoot(t)
	fixtures.RequireTools(t, "chattr")
	root := t.TempDir()
	mkfile(t, filepath.Join(root, "tmp/a"), "a")
	stuck := filepath.Join(root, "tmp/m/stuck")
	mkfile(t, stuck, "s")
	mkfile(t, filepath.Join(root, "tmp/z"), "zz")
	mkfile(t, filepath.Join(root, "var/tmp/x"), "x")
	fixtures.Run(t, "", "chattr", "+i", stuck)
	t.Cleanup(func() { fixtures.Run(t, "", "chattr", "-i", stuck) })
	rep, err := Finalize(context.Background(), FinalizeOptions{Root: root})
	if err == nil || !strings.Contains(err.Error(), "could not remove 1 path(s): "+stuck+" (operation not permitted)") {
		t.Fatalf("err = %v, want one naming %s", err, stuck)
	}
	for p, want := range map[string]bool{"tmp/a": false, "tmp/z": false, "var/tmp/x": false, "tmp/m/stuck": true, "tmp/m": true} {
		if exists(filepath.Join(root, p)) != want {
			t.Errorf("/%s exists: %v, want %v", p, !want, want)
		}
	}
	if tmp := rep.Removed[0]; tmp.Files != 2 || tmp.Dirs != 0 || tmp.Bytes != 3 || len(tmp.Failed) != 1 {
		t.Errorf("/tmp report %+v: want 2 files (3 bytes) removed and 1 failure", tmp)
	}
	if vt := rep.Removed[1]; vt.Dir != "/var/tmp" || vt.Files != 1 {
		t.Errorf("/var/tmp report %+v", vt)
	}
}

// TestBuildRootChecks runs finalize's checks of "/" on stand-in roots:
// what an image build looks like, and what a booted machine, a toolbox,
// a CI job container or a devcontainer look like. The real "/" is never
// handed to Finalize by a test.
func TestBuildRootChecks(t *testing.T) {
	const kernel = "usr/lib/modules/6.8.0/vmlinuz"
	buildah := `engine="buildah-1.28.2"` + "\n"
	podman := `engine="podman-4.3.1"` + "\n"
	tests := []struct {
		name      string
		files     map[string]string // path → content; a trailing / makes a directory
		container string
		want      string // in the error; "" passes
	}{
		{"buildah or podman build", map[string]string{"run/.containerenv": buildah, kernel: "k"}, "", ""},
		{"chroot isolation on a systemd host", map[string]string{"run/.containerenv": buildah, kernel: "k", "proc/1/comm": "systemd\n"}, "", ""},
		{"a RUN step whose PID 1 is its shell", map[string]string{".dockerenv": "", "usr/lib/bootc/": "", "proc/1/comm": "sh\n"}, "", ""},
		{"$container and an ostree root", map[string]string{"sysroot/": "", "ostree": "->sysroot/ostree"}, "oci", ""},
		{"no container marker", map[string]string{kernel: "k"}, "", "no container marker"},
		{"a booted ostree system", map[string]string{"run/.containerenv": buildah, kernel: "k", "run/ostree-booted": ""}, "", "/run/ostree-booted exists"},
		{"a booted systemd", map[string]string{".dockerenv": "", kernel: "k", "run/systemd/system/": ""}, "", "/run/systemd/system exists"},
		{"a toolbox", map[string]string{"run/.containerenv": podman, kernel: "k", "proc/1/comm": "toolbox\n"}, "", "PID 1 is toolbox"},
		{"a CI job container", map[string]string{".dockerenv": "", "proc/1/comm": "sleep\n"}, "", "PID 1 is sleep"},
		{"a devcontainer with tini", map[string]string{".dockerenv": "", kernel: "k", "proc/1/comm": "tini\n"}, "", "PID 1 is tini"},
		{"not a bootable image", map[string]string{"run/.containerenv": buildah, "usr/bin/sh": "sh"}, "", "not a bootable image"},
		{"an /ostree link elsewhere", map[string]string{"run/.containerenv": buildah, "sysroot/": "", "ostree": "->/tmp"}, "", "not a bootable image"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			for p, content := range tc.files {
				switch full := filepath.Join(root, p); {
				case strings.HasSuffix(p, "/"):
					os.MkdirAll(full, 0o755)
				case strings.HasPrefix(content, "->"):
					os.Symlink(strings.TrimPrefix(content, "->"), full)
				default:
					mkfile(t, full, content)
				}
			}
			err := checkBuildRoot(root, func(k string) string {
				if k == "container" {
					return tc.container
				}
				return ""
			})
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}

func TestLintHostileRootfs(t *testing.T) {
	fixtures.RequireRoot(t)
	ctx := context.Background()
	root, outside := t.TempDir(), t.TempDir()
	mkfile(t, filepath.Join(outside, "passwd"), "evil:x:0:0::/:/bin/sh\n")
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.Symlink(filepath.Join(outside, "passwd"), filepath.Join(root, "etc/passwd"))
	os.Symlink("loop", filepath.Join(root, "loop"))
	os.MkdirAll(filepath.Join(root, "usr/lib"), 0o755)
	os.Symlink("../../usr/lib/tmpfiles.d", filepath.Join(root, "usr/lib/tmpfiles.d"))
	mkfile(t, filepath.Join(root, "usr/share/bad\xffname"), "x")
	mkfile(t, filepath.Join(root, "usr/bin/secret"), "x")
	os.Chmod(filepath.Join(root, "usr/bin/secret"), 0)

	target, err := Open(ctx, Input{Rootfs: root})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	var rulesHit []string
	for _, f := range res.Findings {
		rulesHit = append(rulesHit, f.Rule)
		if strings.Contains(f.Message, "evil") {
			t.Errorf("read /etc/passwd through a symlink out of the root: %+v", f)
		}
	}
	if !slices.Contains(rulesHit, "utf8") || !slices.Contains(rulesHit, "api-base-directories") {
		t.Errorf("findings %v lack utf8 and api-base-directories", rulesHit)
	}
}
