package butane

import (
	"fmt"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/oslayer/oslayer/internal/rootdir"
	"github.com/oslayer/oslayer/layer"
)

// Apply writes the entries under root. Every path is reached through
// directory descriptors that never follow a symlink, so nothing outside
// root is written, whatever symlinks earlier layers planted. Missing
// parent directories are created as Ignition creates them (0755, root).
// Files are written before hard links to them; removals come last.
func (res *Result) Apply(root string) error {
	r, err := rootdir.Open(root)
	if err != nil {
		return err
	}
	defer r.Close()
	for pass := range 3 {
		for _, e := range res.Entries {
			if applyPass(e) != pass {
				continue
			}
			if err := applyEntry(r, e); err != nil {
				return fmt.Errorf("%s: %w", e.Why, err)
			}
		}
	}
	return nil
}

// applyPass orders the work: files, directories and symlinks first, then
// hard links (their targets exist by then), then removals.
func applyPass(e Entry) int {
	switch {
	case e.Remove:
		return 2
	case e.Hardlink != "":
		return 1
	}
	return 0
}

func applyEntry(r *rootdir.Dir, e Entry) error {
	rel := strings.TrimPrefix(e.Path, "/")
	if !e.Remove {
		if dir := parentOf(rel); dir != "" {
			fd, err := r.MkdirAll(dir)
			if err != nil {
				return err
			}
			unix.Close(fd)
		}
	}
	switch {
	case e.Remove:
		return r.Remove(rel)
	case e.Hardlink != "":
		return r.Hardlink(rel, strings.TrimPrefix(e.Hardlink, "/"))
	case e.Type == layer.TypeDir:
		return r.Mkdir(rel, e.Mode, int(e.UID), int(e.GID))
	case e.Type == layer.TypeSymlink:
		return r.Symlink(rel, e.Link, int(e.UID), int(e.GID))
	}
	return r.WriteFile(rel, e.Data, e.Mode, int(e.UID), int(e.GID))
}

func parentOf(rel string) string {
	if i := strings.LastIndexByte(rel, '/'); i >= 0 {
		return rel[:i]
	}
	return ""
}
