package rootdir

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// The write operations take a root-relative path whose parent directory
// exists (see MkdirAll); they never follow a symlink. Files and links are
// created under a temporary name and renamed into place, so a reader never
// sees half a file and an existing file is replaced whole.

var tmpSeq atomic.Uint64

func tmpName() string { return ".oslayer-tmp-" + strconv.FormatUint(tmpSeq.Add(1), 10) }

func (r *Dir) parent(rel string) (int, string, error) {
	dir, name := path.Split(rel)
	if name == "" || name == "." || name == ".." {
		return -1, "", fmt.Errorf("%s: not a file name", r.Host(rel))
	}
	fd, err := r.OpenDir(path.Clean("/" + dir)[1:])
	return fd, name, err
}

// own sets owner then mode (chown clears setuid and setgid bits).
func own(dfd int, name string, mode uint32, uid, gid int) error {
	if err := unix.Fchownat(dfd, name, uid, gid, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	return unix.Fchmodat(dfd, name, mode, 0)
}

// replace creates rel under a temporary name with create, then renames it
// over whatever non-directory is at rel.
func (r *Dir) replace(rel, doing string, create func(dfd int, tmp string) error) error {
	dfd, name, err := r.parent(rel)
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	if err := refuseDir(dfd, name); err != nil {
		return fmt.Errorf("%s: %w", r.Host(rel), err)
	}
	tmp := tmpName()
	err = create(dfd, tmp)
	if err == nil {
		err = unix.Renameat(dfd, tmp, dfd, name)
	}
	if err != nil {
		unix.Unlinkat(dfd, tmp, 0)
		return fmt.Errorf("%s %s: %w", doing, r.Host(rel), err)
	}
	return nil
}

// WriteFile creates or replaces the regular file at rel.
func (r *Dir) WriteFile(rel string, data []byte, mode uint32, uid, gid int) error {
	return r.replace(rel, "writing", func(dfd int, tmp string) error {
		fd, err := unix.Openat(dfd, tmp, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o600)
		if err != nil {
			return err
		}
		for len(data) > 0 && err == nil {
			var n int
			n, err = unix.Write(fd, data)
			data = data[n:]
		}
		if cerr := unix.Close(fd); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
		return own(dfd, tmp, mode, uid, gid)
	})
}

// Symlink creates or replaces the symlink at rel.
func (r *Dir) Symlink(rel, target string, uid, gid int) error {
	return r.replace(rel, "linking", func(dfd int, tmp string) error {
		if err := unix.Symlinkat(target, dfd, tmp); err != nil {
			return err
		}
		return unix.Fchownat(dfd, tmp, uid, gid, unix.AT_SYMLINK_NOFOLLOW)
	})
}

// Hardlink creates or replaces rel as a hard link to the file at target
// (root-relative, not a symlink).
func (r *Dir) Hardlink(rel, target string) error {
	tfd, tname, err := r.parent(target)
	if err != nil {
		return err
	}
	defer unix.Close(tfd)
	return r.replace(rel, "hard-linking", func(dfd int, tmp string) error {
		return unix.Linkat(tfd, tname, dfd, tmp, 0)
	})
}

// Mkdir creates the directory at rel, or sets the mode and owner of the
// one there.
func (r *Dir) Mkdir(rel string, mode uint32, uid, gid int) error {
	dfd, name, err := r.parent(rel)
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	if err := unix.Mkdirat(dfd, name, 0o700); err != nil && !errors.Is(err, unix.EEXIST) {
		return fmt.Errorf("creating %s: %w", r.Host(rel), err)
	}
	var st unix.Stat_t
	if err := unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
		return err
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return fmt.Errorf("%s: exists and is not a directory", r.Host(rel))
	}
	if err := own(dfd, name, mode, uid, gid); err != nil {
		return fmt.Errorf("%s: %w", r.Host(rel), err)
	}
	return nil
}

// Remove removes the non-directory at rel; a missing one is fine.
func (r *Dir) Remove(rel string) error {
	dfd, name, err := r.parent(rel)
	if errors.Is(err, unix.ENOENT) {
		return nil
	}
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	if err := unix.Unlinkat(dfd, name, 0); err != nil && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("removing %s: %w", r.Host(rel), err)
	}
	return nil
}

// refuseDir fails when name is a directory: replacing one needs its
// contents gone, which oslayer does not do on its own.
func refuseDir(dfd int, name string) error {
	var st unix.Stat_t
	if unix.Fstatat(dfd, name, &st, unix.AT_SYMLINK_NOFOLLOW) == nil && st.Mode&unix.S_IFMT == unix.S_IFDIR {
		return errors.New("is a directory")
	}
	return nil
}
