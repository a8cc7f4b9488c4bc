package lint

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

// rootFS performs file operations below a root directory through
// directory file descriptors: no path is ever resolved through a symlink,
// so nothing outside the root can be reached, whatever the root holds.
type rootFS struct {
	root   string
	fd     int
	dev    uint64
	mounts map[string]bool // absolute host paths of mount points below root
}

func openRootFS(root string) (*rootFS, error) {
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
	return &rootFS{root: abs, fd: fd, dev: st.Dev, mounts: layer.MountPointsBelow(abs)}, nil
}

func (r *rootFS) Close() error { return unix.Close(r.fd) }

// host returns the host path of a root-relative path, for messages and
// mount-point lookups only.
func (r *rootFS) host(rel string) string {
	if rel == "" {
		return r.root
	}
	return filepath.Join(r.root, rel)
}

// errUnsafe says a path component is a symlink, not a directory, or
// another file system.
var errUnsafe = errors.New("not a plain directory on the root's file system")

// openDir opens the directory at the root-relative path rel, refusing
// symlinks, non-directories and mount points at every component.
func (r *rootFS) openDir(rel string) (int, error) {
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
				return -1, fmt.Errorf("%s: %w", r.host(cur), errUnsafe)
			}
			return -1, fmt.Errorf("%s: %w", r.host(cur), err)
		}
		if r.isMount(next, cur) {
			unix.Close(next)
			return -1, fmt.Errorf("%s: %w (a mount point)", r.host(cur), errUnsafe)
		}
		fd = next
	}
	return fd, nil
}

// isMount reports whether the open directory fd at rel is a mount point.
func (r *rootFS) isMount(fd int, rel string) bool {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return true
	}
	return st.Dev != r.dev || r.mounts[r.host(rel)]
}

// mkdirAll creates the root-relative directory rel (mode 0755 for new
// components), refusing symlinks on the way, and returns an open fd.
func (r *rootFS) mkdirAll(rel string) (int, error) {
	fd, err := unix.Dup(r.fd)
	if err != nil {
		return -1, err
	}
	cur := ""
	for _, part := range strings.Split(rel, "/") {
		cur = filepath.Join(cur, part)
		if err := unix.Mkdirat(fd, part, 0o755); err != nil && !errors.Is(err, unix.EEXIST) {
			unix.Close(fd)
			return -1, fmt.Errorf("creating %s: %w", r.host(cur), err)
		}
		next, err := unix.Openat(fd, part, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
		unix.Close(fd)
		if err != nil {
			return -1, fmt.Errorf("%s: %w", r.host(cur), errUnsafe)
		}
		fd = next
	}
	return fd, nil
}

// Open opens a file below the root for reading, refusing symlinks at
// every component: rootFS is an fs.FS that cannot leave the root.
func (r *rootFS) Open(name string) (fs.File, error) {
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
	dir, base := path.Split(name)
	dfd, err := r.openDir(strings.TrimSuffix(dir, "/"))
	if err != nil {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	defer unix.Close(dfd)
	fd, err := unix.Openat(dfd, base, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ELOOP) {
			err = fs.ErrNotExist
		}
		return nil, &fs.PathError{Op: "open", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), r.host(name)), nil
}

// names lists a directory open as fd.
func names(fd int) ([]string, error) {
	dup, err := unix.Dup(fd)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(dup), "")
	defer f.Close()
	return f.Readdirnames(-1)
}
