package layer

import (
	"context"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/oslayer/oslayer/fixtures"
)

func write(t *testing.T, p, content string, mode os.FileMode) {
	t.Helper()
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	unix.Chmod(p, uint32(mode)) // os.Chmod drops raw setuid bits
}

func TestTreeFromDir(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "usr/bin/tool"), "tool\n", 0o4755)
	os.Link(filepath.Join(root, "usr/bin/tool"), filepath.Join(root, "usr/bin/tool2"))
	os.Symlink("/etc", filepath.Join(root, "usr/escape"))
	os.Symlink("loop", filepath.Join(root, "loop"))
	os.Symlink("../../../../..", filepath.Join(root, "usr/up"))
	unix.Mkfifo(filepath.Join(root, "fifo"), 0o600)
	write(t, filepath.Join(root, "etc/os-release"), "ID=x\n", 0o644)
	if err := unix.Lsetxattr(filepath.Join(root, "etc/os-release"), "user.component", []byte("base"), 0); err != nil {
		t.Logf("no user xattrs here: %v", err)
	}

	tree, err := TreeFromDir(context.Background(), root, DirOptions{Hash: true})
	if err != nil {
		t.Fatal(err)
	}
	tool, tool2 := tree.Lookup("usr/bin/tool"), tree.Lookup("usr/bin/tool2")
	if tool == nil || tool.Mode != 0o4755 || tool.Digest != Digest(sha256.Sum256([]byte("tool\n"))) {
		t.Fatalf("tool = %+v", tool)
	}
	if tool.Inode == 0 || tool.Inode != tool2.Inode {
		t.Errorf("hardlinks not grouped: %d %d", tool.Inode, tool2.Inode)
	}
	if n := tree.Lookup("usr/escape"); n == nil || n.Type != TypeSymlink || n.Linkname != "/etc" {
		t.Errorf("symlink = %+v", n)
	}
	if n := tree.Lookup("fifo"); n == nil || n.Type != TypeFIFO {
		t.Errorf("fifo = %+v", n)
	}
	// Symlinks resolve inside the root, never on the host.
	if n, err := tree.Resolve("usr/escape/os-release"); err != nil || n != tree.Lookup("etc/os-release") {
		t.Errorf("resolving through an absolute symlink: %v, %v", n, err)
	}
	if n, err := tree.Resolve("usr/up/etc/os-release"); err != nil || n != tree.Lookup("etc/os-release") {
		t.Errorf("resolving through ../..: %v, %v", n, err)
	}
	if _, err := tree.Resolve("loop/x"); err == nil || !strings.Contains(err.Error(), "too many levels") {
		t.Errorf("symlink loop: %v", err)
	}
	rc, err := tree.Open(tool)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	rc.Close()
	if string(data) != "tool\n" {
		t.Errorf("Open read %q", data)
	}

	unhashed, err := TreeFromDir(context.Background(), root, DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if n := unhashed.Lookup("usr/bin/tool"); !n.Digest.IsZero() || n.Size != 5 {
		t.Errorf("without Hash: digest %s size %d", n.Digest, n.Size)
	}
}

func TestTreeFromDirNonUTF8(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "ok"), "", 0o644)
	write(t, filepath.Join(root, "bad\xffname"), "", 0o644)
	os.Symlink("target\xfe", filepath.Join(root, "badlink"))
	if _, err := TreeFromDir(context.Background(), root, DirOptions{}); err == nil || !strings.Contains(err.Error(), "not valid UTF-8") {
		t.Errorf("without Invalid: err = %v", err)
	}
	var invalid []string
	tree, err := TreeFromDir(context.Background(), root, DirOptions{Invalid: func(p string) { invalid = append(invalid, p) }})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(invalid)
	if !slices.Equal(invalid, []string{"badlink", "bad\xffname"}) {
		t.Errorf("invalid = %q", invalid)
	}
	if tree.Lookup("ok") == nil || tree.Root.NumChildren() != 1 {
		t.Errorf("tree has %d children", tree.Root.NumChildren())
	}
}

func TestTreeFromDirSkipsBindMounts(t *testing.T) {
	fixtures.RequireRoot(t)
	root := t.TempDir()
	outside := t.TempDir()
	write(t, filepath.Join(outside, "secret"), "host data", 0o600)
	write(t, filepath.Join(root, "etc/hosts"), "", 0o644)
	os.MkdirAll(filepath.Join(root, "run/secrets"), 0o755)
	// A bind mount from the same filesystem: only mountinfo reveals it.
	if err := unix.Mount(outside, filepath.Join(root, "run/secrets"), "", unix.MS_BIND, ""); err != nil {
		if fixtures.InCI() {
			t.Fatalf("bind mount: %v", err)
		}
		t.Skipf("cannot bind mount here: %v", err)
	}
	defer unix.Unmount(filepath.Join(root, "run/secrets"), unix.MNT_DETACH)
	tree, err := TreeFromDir(context.Background(), root, DirOptions{Hash: true})
	if err != nil {
		t.Fatal(err)
	}
	n := tree.Lookup("run/secrets")
	if n == nil || !n.MountPoint || n.NumChildren() != 0 {
		t.Errorf("run/secrets = %+v, want a mount point with nothing read below it", n)
	}
}

func TestUnescapeMountinfo(t *testing.T) {
	if got := unescapeMountinfo(`/a\040b\134c`); got != `/a b\c` {
		t.Errorf("got %q", got)
	}
}

func TestTreeOpenNeverBlocksOnAFIFO(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "file"), "x", 0o644)
	tree, err := TreeFromDir(context.Background(), root, DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := tree.Lookup("file")
	// The file becomes a FIFO after the walk: opening it must not hang.
	os.Remove(filepath.Join(root, "file"))
	unix.Mkfifo(filepath.Join(root, "file"), 0o644)
	rc, err := tree.Open(n)
	if err == nil {
		_, err = io.ReadAll(rc)
		rc.Close()
	}
	if err == nil {
		t.Error("reading a FIFO that replaced a file succeeded")
	}
}

func TestTreeFromDirLeavesExcludedDirsOut(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "root/.cache/oslayer/index"), "cache", 0o644)
	write(t, filepath.Join(root, "etc/os-release"), "x", 0o644)
	tree, err := TreeFromDir(context.Background(), root, DirOptions{Hash: true, Exclude: []string{filepath.Join(root, "root/.cache/oslayer")}})
	if err != nil {
		t.Fatal(err)
	}
	if tree.Lookup("root/.cache/oslayer") != nil || tree.Lookup("root/.cache") == nil || tree.Lookup("etc/os-release") == nil {
		t.Error("the excluded directory is in the tree, or too much was left out")
	}
}
