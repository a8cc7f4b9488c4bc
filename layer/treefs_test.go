package layer

import (
	"errors"
	"io/fs"
	"syscall"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
)

// TestTreeFSStatAndLinks: Stat follows links and needs no content, Lstat
// and ReadLink see a final link itself (following the parents), and what
// does not resolve reads as the kernel says it.
func TestTreeFSStatAndLinks(t *testing.T) {
	tree, err := treeOf(t, []fixtures.File{
		fixtures.Dir("var", 0o755), fixtures.Dir("var/roothome", 0o700), fixtures.Symlink("root", "var/roothome"),
		fixtures.Reg("file", "x", 0o644), fixtures.Symlink("loop", "loop"), fixtures.Symlink("v", "/var"), fixtures.Symlink("var/dangling", "/gone"),
	})
	if err != nil {
		t.Fatal(err)
	}
	fsys := tree.FS()
	if fi, err := fs.Stat(fsys, "root"); err != nil || !fi.IsDir() {
		t.Errorf("Stat(root) = %v, %v; want the directory", fi, err)
	}
	if fi, err := fs.Stat(fsys, "file"); err != nil || fi.Size() != 1 {
		t.Errorf("Stat(file) = %v, %v", fi, err) // content is not kept: Open would fail
	}
	if fi, err := fsys.Lstat("root"); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("Lstat(root) = %v, %v; want the link", fi, err)
	}
	if target, err := fsys.ReadLink("root"); err != nil || target != "var/roothome" {
		t.Errorf("ReadLink(root) = %q, %v", target, err)
	}
	if fi, err := fsys.Lstat("v/dangling"); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		t.Errorf("Lstat through a linked parent = %v, %v", fi, err)
	}
	for name, want := range map[string]error{"var/dangling": fs.ErrNotExist, "file/x": syscall.ENOTDIR, "loop": syscall.ELOOP} {
		if _, err := fs.Stat(fsys, name); !errors.Is(err, want) {
			t.Errorf("Stat(%s) = %v, want %v", name, err, want)
		}
	}
	if _, err := fsys.ReadLink("file"); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("ReadLink of a file = %v", err)
	}
}
