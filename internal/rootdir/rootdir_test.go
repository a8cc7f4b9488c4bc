package rootdir

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

func TestNothingIsReachedThroughASymlink(t *testing.T) {
	root, outside := t.TempDir(), t.TempDir()
	os.Symlink(outside, filepath.Join(root, "link"))
	os.MkdirAll(filepath.Join(root, "real/sub"), 0o755)
	r, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.OpenDir("link"); !errors.Is(err, ErrUnsafe) {
		t.Errorf("OpenDir through a symlink: %v", err)
	}
	if err := r.WriteFile("link/x", []byte("x"), 0o644, 0, 0); err == nil {
		t.Error("WriteFile through a symlink succeeded")
	}
	if _, err := r.MkdirAll("link/a/b"); err == nil {
		t.Error("MkdirAll through a symlink succeeded")
	}
	if ents, _ := os.ReadDir(outside); len(ents) != 0 {
		t.Fatalf("wrote outside the root: %v", ents)
	}
	if _, err := r.ReadFS().Open("link/passwd"); err == nil {
		t.Error("ReadFS followed a symlink")
	}
	// The link itself can be seen and read, never what is behind it.
	if fi, err := r.ReadFS().Lstat("link"); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("Lstat of the link: %v, %v", fi, err)
	}
	if target, err := r.ReadFS().ReadLink("link"); err != nil || target != outside {
		t.Errorf("ReadLink = %q, %v", target, err)
	}
	if fi, err := r.ReadFS().Lstat("real/sub"); err != nil || !fi.IsDir() {
		t.Errorf("Lstat of a directory: %v, %v", fi, err)
	}
	os.Symlink(".", filepath.Join(outside, "self"))
	if _, err := r.ReadFS().Lstat("link/self"); err == nil {
		t.Error("Lstat followed a symlinked parent")
	}
	if _, err := r.ReadFS().ReadLink("link/self"); err == nil {
		t.Error("ReadLink followed a symlinked parent")
	}
}

func TestWritesReplaceWhole(t *testing.T) {
	root := t.TempDir()
	r, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.WriteFile("f", []byte("old"), 0o600, 0, 0); err != nil {
		t.Fatal(err)
	}
	if err := r.WriteFile("f", []byte("new content"), 0o4755, os.Getuid(), os.Getgid()); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(filepath.Join(root, "f"))
	if data, _ := os.ReadFile(filepath.Join(root, "f")); string(data) != "new content" || fi.Mode()&os.ModeSetuid == 0 || fi.Mode().Perm() != 0o755 {
		t.Errorf("f = %q, mode %v", data, fi.Mode())
	}
	if err := r.Hardlink("g", "f"); err != nil {
		t.Fatal(err)
	}
	gi, _ := os.Stat(filepath.Join(root, "g"))
	if !os.SameFile(fi, gi) {
		t.Error("g is not a hard link of f")
	}
	if err := r.Symlink("l", "/dev/null", os.Getuid(), os.Getgid()); err != nil {
		t.Fatal(err)
	}
	if target, _ := os.Readlink(filepath.Join(root, "l")); target != "/dev/null" {
		t.Errorf("l -> %q", target)
	}
	os.Mkdir(filepath.Join(root, "d"), 0o755)
	if err := r.WriteFile("d", []byte("x"), 0o644, 0, 0); err == nil {
		t.Error("a file replaced a directory")
	}
	if err := r.Remove("l"); err != nil || r.Remove("missing") != nil {
		t.Errorf("Remove: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(root, ".oslayer-tmp-*"))
	if len(left) != 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestRealPath follows symlinks as a chroot would: relative and absolute
// targets, ".." that would climb out of the root, missing components, and
// a loop.
func TestRealPath(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "usr/lib/opt"), 0o755)
	os.MkdirAll(filepath.Join(root, "var"), 0o755)
	for link, target := range map[string]string{
		"opt": "var/opt", "usr/local": "/var/usrlocal", "srv": "usr/lib/opt", "up": "../../../../etc",
		"loop1": "loop2", "loop2": "/loop1", "usr/lib/opt/self": ".",
	} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	r, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for p, want := range map[string]string{
		"/opt/app/data":          "/var/opt/app/data", // through a link whose target does not exist
		"/usr/local/bin":         "/var/usrlocal/bin",
		"/srv/self/self/app":     "/usr/lib/opt/app",
		"/srv/../var":            "/usr/lib/var", // ".." after a symlink is taken from its target
		"/up/passwd":             "/etc/passwd",
		"/usr/lib/opt/x/../y/./": "/usr/lib/opt/y",
		"/":                      "/",
	} {
		if got, err := r.RealPath(p); err != nil || got != want {
			t.Errorf("RealPath(%q) = %q, %v; want %q", p, got, err, want)
		}
	}
	if got, err := r.RealPath("/loop1/x"); err == nil {
		t.Errorf("RealPath through a symlink loop = %q, want an error", got)
	}
}
