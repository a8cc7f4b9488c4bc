package lint

import (
	"errors"
	"fmt"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/oslayer/oslayer/internal/rootdir"
)

// cleanDirs are what must not ship: emptied, never removed themselves.
var cleanDirs = []string{"tmp", "var/tmp", "var/cache", "run"}

// keepInRun are what the container runtime puts in /run during a build.
var keepInRun = map[string]bool{"run/.containerenv": true, "run/secrets": true}

// Removed sums up what emptying one directory removed.
type Removed struct {
	Dir   string `json:"dir"`
	Files int    `json:"files"`
	Dirs  int    `json:"dirs"`
	Bytes int64  `json:"bytes"`
	// Kept are paths left in place: mount points and runtime files.
	Kept []string `json:"kept,omitempty"`
	// Skipped says why the directory itself was left alone.
	Skipped string `json:"skipped,omitempty"`
}

// clean empties each of cleanDirs, never following a symlink, never
// entering or removing a mount point.
func clean(r *rootdir.Dir) ([]Removed, error) {
	var out []Removed
	for _, rel := range cleanDirs {
		rm := Removed{Dir: "/" + rel}
		fd, err := r.OpenDir(rel)
		switch {
		case errors.Is(err, unix.ENOENT):
			continue
		case errors.Is(err, rootdir.ErrUnsafe):
			rm.Skipped = err.Error()
			out = append(out, rm)
			continue
		case err != nil:
			return out, err
		}
		err = removeContents(r, fd, rel, &rm)
		unix.Close(fd)
		if err != nil {
			return out, err
		}
		out = append(out, rm)
	}
	return out, nil
}

func removeContents(r *rootdir.Dir, dirfd int, rel string, rm *Removed) error {
	entries, err := rootdir.Names(dirfd)
	if err != nil {
		return fmt.Errorf("listing %s: %w", r.Host(rel), err)
	}
	for _, name := range entries {
		child := filepath.Join(rel, name)
		if keepInRun[child] || r.Mounts[r.Host(child)] {
			rm.Kept = append(rm.Kept, "/"+child)
			continue
		}
		var st unix.Stat_t
		if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			if errors.Is(err, unix.ENOENT) {
				continue
			}
			return fmt.Errorf("%s: %w", r.Host(child), err)
		}
		// Directories reveal a mount by their device; files do not (overlayfs
		// reports a lower layer's device for them) and bind-mounted files
		// were found in mountinfo above.
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			cfd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil {
				return fmt.Errorf("%s: %w", r.Host(child), err)
			}
			if r.IsMount(cfd, child) {
				unix.Close(cfd)
				rm.Kept = append(rm.Kept, "/"+child)
				continue
			}
			kept := len(rm.Kept)
			err = removeContents(r, cfd, child, rm)
			unix.Close(cfd)
			if err != nil {
				return err
			}
			if len(rm.Kept) > kept {
				continue // something below stays, so does the directory
			}
			if err := unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR); err != nil {
				return fmt.Errorf("removing %s: %w", r.Host(child), err)
			}
			rm.Dirs++
			continue
		}
		if err := unix.Unlinkat(dirfd, name, 0); err != nil {
			return fmt.Errorf("removing %s: %w", r.Host(child), err)
		}
		rm.Files++
		if st.Mode&unix.S_IFMT == unix.S_IFREG {
			rm.Bytes += st.Size
		}
	}
	return nil
}
