// Package rootdir performs file operations below a root directory through
// directory file descriptors: no path is ever resolved through a symlink,
// so nothing outside the root can be reached or changed, whatever the root
// holds. oslayer finalize and butane --apply write through it.
package rootdir

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/oslayer/oslayer/layer"
)

// Dir is an open root directory.
type Dir struct {
	root string
	fd   int
	// Dev is the root's device; Mounts the mount points below it (host
	// paths), from /proc/self/mountinfo.
	Dev    uint64
	Mounts map[string]bool
}

// Open opens root.
func Open(root string) (*Dir, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, err
	}
	fd, err := unix.Open(abs, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", abs, err)
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, err
	}
	return &Dir{root: abs, fd: fd, Dev: st.Dev, Mounts: layer.MountPointsBelow(abs)}, nil
}

// Close closes the root.
func (r *Dir) Close() error { return unix.Close(r.fd) }

// Host returns the host path of a root-relative path, for messages and
// mount-point lookups only.
func (r *Dir) Host(rel string) string {
	if rel == "" {
		return r.root
	}
	return filepath.Join(r.root, rel)
}

// ErrUnsafe says a path component is a symlink, not a directory, or
// another file system.
var ErrUnsafe = errors.New("not a plain directory on the root's file system")

// OpenDir opens the directory at the root-relative path rel ("" is the
// root), refusing symlinks, non-directories and mount points at every
// component. The caller closes the descriptor.
func (r *Dir) OpenDir(rel string) (int, error) {
	fd, err := unix.Dup(r.fd)
	if err != nil {
		return -1, err
	}
	if rel == "" {
		return fd, nil
	}
	cur := ""
	for _, part := range strings.Split(rel, "/") {
		cur = filepath.Join(cur, part)
		next, err := unix.Openat(fd, part, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			if errors.Is(err, unix.ELOOP) || errors.Is(err, unix.ENOTDIR) {
				return -1, fmt.Errorf("%s: %w", r.Host(cur), ErrUnsafe)
			}
			return -1, fmt.Errorf("%s: %w", r.Host(cur), err)
		}
		if r.IsMount(next, cur) {
			unix.Close(next)
			return -1, fmt.Errorf("%s: %w (a mount point)", r.Host(cur), ErrUnsafe)
		}
		fd = next
	}
	return fd, nil
}

// IsMount reports whether the open directory fd at rel is a mount point.
func (r *Dir) IsMount(fd int, rel string) bool {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return true
	}
	return st.Dev != r.Dev || r.Mounts[r.Host(rel)]
}

// MkdirAll creates the root-relative directory rel (mode 0755, owned by
// the caller, for new components), refusing symlinks on the way, and
// returns an open descriptor.
func (r *Dir) MkdirAll(rel string) (int, error) {
	fd, err := unix.Dup(r.fd)
	if err != nil {
		return -1, err
	}
	cur := ""
	for _, part := range strings.Split(rel, "/") {
		cur = filepath.Join(cur, part)
		if err := unix.Mkdirat(fd, part, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
			unix.Close(fd)
			return -1, fmt.Errorf("creating %s: %w", r.Host(cur), err)
		}
		next, err := unix.Openat(fd, part, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			return -1, fmt.Errorf("%s: %w", r.Host(cur), ErrUnsafe)
		}
		fd = next
	}
	return fd, nil
}

// ReadFS returns the root as an fs.FS that refuses symlinks at every
// component, and so cannot leave the root. Lstat and ReadLink see a final
// symlink itself; its parents must be plain directories.
func (r *Dir) ReadFS() fs.ReadLinkFS { return readFS{r} }

type readFS struct{ r *Dir }

// parent opens the directory holding name, refusing symlinks on the way.
func (f readFS) parent(op, name string) (int, string, error) {
	if !fs.ValidPath(name) || name == "." {
		return -1, "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	dir, base := path.Split(name)
	dfd, err := f.r.OpenDir(strings.TrimSuffix(dir, "/"))
	if err != nil {
		return -1, "", &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
	}
	return dfd, base, nil
}

// Lstat describes name without following it.
func (f readFS) Lstat(name string) (fs.FileInfo, error) {
	dfd, base, err := f.parent("lstat", name)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dfd)
	fd, err := unix.Openat(dfd, base, unix.O_PATH|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &fs.PathError{Op: "lstat", Path: name, Err: err}
	}
	file := os.NewFile(uintptr(fd), base)
	defer file.Close()
	return file.Stat()
}

// ReadLink returns the target of the symlink at name.
func (f readFS) ReadLink(name string) (string, error) {
	dfd, base, err := f.parent("readlink", name)
	if err != nil {
		return "", err
	}
	defer unix.Close(dfd)
	buf := make([]byte, unix.PathMax)
	n, err := unix.Readlinkat(dfd, base, buf)
	if err != nil {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: err}
	}
	return string(buf[:n]), nil
}

// Open opens a file below the root for reading.
func (f readFS) Open(name string) (fs.File, error) {
	r := f.r
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	if name == "." {
		fd, err := unix.Dup(r.fd)
		if err != nil {
			return nil, err
		}
		return os.NewFile(uintptr(fd), r.root), nil
	}
	dfd, base, err := f.parent("open", name)
	if err != nil {
		return nil, err
	}
	defer unix.Close(dfd)
	fd, err := unix.Openat(dfd, base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ELOOP) {
			err = fs.ErrNotExist
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), r.Host(name)), nil
}

// Names lists a directory open as fd.
func Names(fd int) ([]string, error) {
	dup, err := unix.Dup(fd)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dup), "")
	defer f.Close()
	return f.Readdirnames(-1)
}
