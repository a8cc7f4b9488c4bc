package lint

import (
	"context"
	"database/sql"
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
	mkfile(t, filepath.Join(root, "var/opt/thing"), "t")
	os.Symlink("../run/app", filepath.Join(root, "var/lib/app-run"))
	mkfile(t, filepath.Join(root, "var/cache/x"), "c")

	rep, err := Finalize(ctx, FinalizeOptions{Root: root, FixVar: true})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"d /var/cache 0755 0 0 - -",
		"C /var/lib/app - - - - /usr/share/factory/var/lib/app",
		"L /var/lib/app-run - - - - ../run/app",
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
	conf, _ := os.ReadFile(filepath.Join(root, "usr/lib/tmpfiles.d/oslayer-var.conf"))
	for _, l := range want {
		if !strings.Contains(string(conf), l+"\n") {
			t.Errorf("%s lacks %q", rep.VarConf, l)
		}
	}
	// Now /var passes var-tmpfiles.
	target, err := Open(ctx, Input{Rootfs: root})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Findings {
		if f.Rule == "var-tmpfiles" {
			t.Errorf("after --fix-var: %+v", f)
		}
	}
	// A second run changes nothing and keeps the file as it is.
	rep, err = Finalize(ctx, FinalizeOptions{Root: root, FixVar: true})
	if err != nil || len(rep.VarLines) != 0 {
		t.Errorf("second run: %v, %v", rep.VarLines, err)
	}
}

func TestFinalizeRefusesABootedHost(t *testing.T) {
	saved := containerMarkers
	containerMarkers = []string{filepath.Join(t.TempDir(), "no-marker")}
	defer func() { containerMarkers = saved }()
	t.Setenv("container", "")
	_, err := Finalize(context.Background(), FinalizeOptions{Root: "/"})
	if err == nil || !strings.Contains(err.Error(), "refusing to finalize / outside a container build") {
		t.Fatalf("err = %v", err)
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
