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
	// Failed are paths that could not be removed (an immutable file, a
	// busy one); their directories stay too.
	Failed []Failure `json:"failed,omitempty"`
	// Skipped says why the directory itself was left alone.
	Skipped string `json:"skipped,omitempty"`
}

// Failure is a path finalize could not remove, and why.
type Failure struct {
	Path string `json:"path"`
	Err  string `json:"error"`
}

// clean empties each of cleanDirs, never following a symlink, never
// entering or removing a mount point. A path that cannot be removed is
// recorded and the rest go on. With dryRun nothing is removed: the counts
// are what would be.
func clean(r *rootdir.Dir, dryRun bool) ([]Removed, error) {
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
		c := cleaner{r: r, rm: &rm, dryRun: dryRun}
		c.contents(fd, rel)
		unix.Close(fd)
		out = append(out, rm)
	}
	return out, nil
}

type cleaner struct {
	r      *rootdir.Dir
	rm     *Removed
	dryRun bool
}

func (c *cleaner) fail(rel string, err error) {
	c.rm.Failed = append(c.rm.Failed, Failure{Path: c.r.Host(rel), Err: err.Error()})
}

// contents removes what is in the directory dirfd (at rel), and reports
// whether all of it went.
func (c *cleaner) contents(dirfd int, rel string) bool {
	entries, err := rootdir.Names(dirfd)
	if err != nil {
		c.fail(rel, fmt.Errorf("listing it: %w", err))
		return false
	}
	all := true
	for _, name := range entries {
		child := filepath.Join(rel, name)
		if keepInRun[child] || c.r.Mounts[c.r.Host(child)] {
			c.rm.Kept = append(c.rm.Kept, "/"+child)
			all = false
			continue
		}
		var st unix.Stat_t
		if err := unix.Fstatat(dirfd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
			if !errors.Is(err, unix.ENOENT) {
				c.fail(child, err)
				all = false
			}
			continue
		}
		// Directories reveal a mount by their device; files do not (overlayfs
		// reports a lower layer's device for them) and bind-mounted files
		// were found in mountinfo above.
		if st.Mode&unix.S_IFMT == unix.S_IFDIR {
			cfd, err := unix.Openat(dirfd, name, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
			if err != nil {
				c.fail(child, err)
				all = false
				continue
			}
			if c.r.IsMount(cfd, child) {
				unix.Close(cfd)
				c.rm.Kept = append(c.rm.Kept, "/"+child)
				all = false
				continue
			}
			emptied := c.contents(cfd, child)
			unix.Close(cfd)
			if !emptied {
				all = false // something below stays, so does the directory
				continue
			}
			if !c.dryRun {
				if err := unix.Unlinkat(dirfd, name, unix.AT_REMOVEDIR); err != nil {
					c.fail(child, err)
					all = false
					continue
				}
			}
			c.rm.Dirs++
			continue
		}
		if !c.dryRun {
			if err := unix.Unlinkat(dirfd, name, 0); err != nil {
				c.fail(child, err)
				all = false
				continue
			}
		}
		c.rm.Files++
		if st.Mode&unix.S_IFMT == unix.S_IFREG {
			c.rm.Bytes += st.Size
		}
	}
	return all
}
