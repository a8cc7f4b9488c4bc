package sysext

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"

	"golang.org/x/sys/unix"

	"github.com/oslayer/oslayer/layer"
)

// stage writes entries (tree order, the root first) as a directory tree
// into root, an empty directory this process made: every path with its
// mode, xattrs, modification time and, when owners is set, its owner;
// hard links as links. Files are created exclusively and never through a
// symlink; directories get their modes last, so that a read-only one is
// still filled.
func stage(ctx context.Context, root string, entries []layer.TarEntry, mtime int64, owners bool) error {
	dirs := map[string]bool{"": true}
	var made []layer.TarEntry // directories, to finish last
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.Path == "" {
			made = append(made, e)
			continue
		}
		parent := path.Dir(e.Path)
		if parent == "." {
			parent = ""
		}
		if !dirs[parent] {
			return fmt.Errorf("/%s: its parent is not a directory of the image", e.Path)
		}
		host := filepath.Join(root, filepath.FromSlash(e.Path))
		if err := create(host, root, e); err != nil {
			return fmt.Errorf("/%s: %w", e.Path, err)
		}
		if e.Type == layer.TypeDir {
			dirs[e.Path] = true
			made = append(made, e)
			continue
		}
		if e.Hardlink != "" {
			continue // the link's file has its metadata already
		}
		if err := finish(host, e, mtime, owners); err != nil {
			return fmt.Errorf("/%s: %w", e.Path, err)
		}
	}
	for _, e := range slices.Backward(made) {
		if err := finish(filepath.Join(root, filepath.FromSlash(e.Path)), e, mtime, owners); err != nil {
			return fmt.Errorf("/%s: %w", e.Path, err)
		}
	}
	return nil
}

// create makes the object of one entry, which must not exist yet.
func create(host, root string, e layer.TarEntry) error {
	switch {
	case e.Hardlink != "":
		return unix.Linkat(unix.AT_FDCWD, filepath.Join(root, filepath.FromSlash(e.Hardlink)), unix.AT_FDCWD, host, 0)
	case e.Type == layer.TypeDir:
		return unix.Mkdir(host, 0o700)
	case e.Type == layer.TypeSymlink:
		return unix.Symlink(e.Linkname, host)
	case e.Type == layer.TypeFIFO:
		return unix.Mknod(host, unix.S_IFIFO|0o600, 0)
	case e.Type == layer.TypeRegular:
		f, err := os.OpenFile(host, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
		if err != nil {
			return err
		}
		if err := copyContent(f, e); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	return fmt.Errorf("cannot write a %s", e.Type)
}

func copyContent(f *os.File, e layer.TarEntry) error {
	if e.Size == 0 {
		return nil
	}
	if e.Content == nil {
		return errors.New("no content")
	}
	rc, err := e.Content()
	if err != nil {
		return err
	}
	defer rc.Close()
	n, err := io.Copy(f, rc)
	if err == nil && n != e.Size {
		err = fmt.Errorf("content is %d bytes, not %d", n, e.Size)
	}
	return err
}

// finish sets an object's owner, mode, xattrs and time, never following
// a symlink: owner first, as chown clears setuid and setgid bits.
func finish(host string, e layer.TarEntry, mtime int64, owners bool) error {
	if owners {
		if err := unix.Lchown(host, int(e.UID), int(e.GID)); errors.Is(err, unix.EPERM) {
			return fmt.Errorf("owner %d:%d: only root can give files to others (a squashfs image needs no privileges)", e.UID, e.GID)
		} else if err != nil {
			return fmt.Errorf("owner %d:%d: %w", e.UID, e.GID, err)
		}
	}
	if e.Type != layer.TypeSymlink {
		if err := unix.Fchmodat(unix.AT_FDCWD, host, e.Mode&0o7777, 0); err != nil {
			return fmt.Errorf("mode %04o: %w", e.Mode&0o7777, err)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(e.Xattrs)) {
		if err := unix.Lsetxattr(host, k, []byte(e.Xattrs[k]), 0); err != nil {
			return fmt.Errorf("xattr %s: %w", k, err)
		}
	}
	ts := []unix.Timespec{unix.NsecToTimespec(mtime * 1e9), unix.NsecToTimespec(mtime * 1e9)}
	return unix.UtimesNanoAt(unix.AT_FDCWD, host, ts, unix.AT_SYMLINK_NOFOLLOW)
}
