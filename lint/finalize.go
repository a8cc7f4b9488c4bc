package lint

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/oslayer/oslayer/internal/rootdir"
)

// FinalizeOptions tune Finalize.
type FinalizeOptions struct {
	// Root is the root to finalize ("/" in a container build).
	Root string
	// Force runs on "/" without checking that it is a bootable image being
	// built in a container.
	Force bool
	// FixVar moves undeclared /var content to /usr/share/factory/var and
	// declares it in tmpfiles.d.
	FixVar bool
	// Volumes are VOLUME paths whose content must persist on a booted
	// system: a bind mount from /var for those in the image, a tmpfiles.d
	// line for those in /var.
	Volumes []string
	// DryRun reports what would be removed, merged and moved, and changes
	// nothing.
	DryRun bool
}

// FinalizeReport says what Finalize did.
type FinalizeReport struct {
	Root string `json:"root"`
	// DryRun says nothing was changed: the report is what would be done.
	DryRun       bool         `json:"dry_run,omitempty"`
	Removed      []Removed    `json:"removed"`
	Checkpointed []Checkpoint `json:"checkpointed"`
	// VarLines are the tmpfiles.d lines --fix-var wrote to VarConf.
	VarLines []string `json:"var_lines,omitempty"`
	VarConf  string   `json:"var_conf,omitempty"`
	// Volumes says what --volumes did for each VOLUME; VolumesConf is
	// where its tmpfiles.d lines went.
	Volumes     []VolumeFix `json:"volumes,omitempty"`
	VolumesConf string      `json:"volumes_conf,omitempty"`
}

// Finalize prepares a root to be committed as the last layer of a bootable
// image: it empties /tmp, /var/tmp, /var/cache and /run (never crossing or
// removing a mount point, keeping /run/.containerenv and /run/secrets),
// checkpoints and removes the sqlite WAL of package databases and, if
// asked, moves undeclared /var content into /usr/share/factory/var. It
// refuses to touch "/" outside a container, so that it can never wipe a
// real machine. Lint the root afterwards (Open, Run).
//
// Finalize cleans "/" only when it is a bootable image being built in a
// container (see checkBuildRoot), unless Force. A path it cannot remove
// does not stop it: every directory is emptied as far as it can be, and
// the error names every path left.
func Finalize(ctx context.Context, opts FinalizeOptions) (*FinalizeReport, error) {
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, err
	}
	if root == "/" && !opts.Force {
		if err := checkBuildRoot("/", os.Getenv); err != nil {
			return nil, fmt.Errorf("refusing to finalize /, which does not look like an image being built: %w. To clean another root, pass --rootfs DIR; --force skips these checks", err)
		}
	}
	r, err := rootdir.Open(root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	rep := &FinalizeReport{Root: root, DryRun: opts.DryRun}
	if rep.Removed, err = clean(r, opts.DryRun); err != nil {
		return rep, err
	}
	if rep.Checkpointed, err = checkpointWAL(r, ctx, opts.DryRun); err != nil {
		return rep, err
	}
	declared := readTmpfiles(r.ReadFS())
	if len(opts.Volumes) > 0 {
		if rep.Volumes, err = fixVolumes(r, opts.Volumes, declared, opts.DryRun); err != nil {
			return rep, err
		}
		// What --volumes declares, --fix-var must see even in a dry run.
		for _, v := range rep.Volumes {
			for _, e := range parseTmpfiles(strings.Join(v.Lines, "\n")) {
				declared[e.Path] = e
			}
			if len(v.Lines) > 0 {
				rep.VolumesConf = "/" + volumesConf
			}
		}
	}
	if opts.FixVar {
		if rep.VarLines, err = fixVar(r, opts.DryRun); err != nil {
			return rep, err
		}
		if len(rep.VarLines) > 0 {
			rep.VarConf = "/" + fixVarConf
		}
	}
	var left []string
	for _, rm := range rep.Removed {
		for _, f := range rm.Failed {
			left = append(left, f.Path+" ("+f.Err+")")
		}
	}
	if len(left) > 0 {
		return rep, fmt.Errorf("could not remove %d path(s): %s", len(left), strings.Join(left, ", "))
	}
	return rep, nil
}

// WriteFinalizeReport says what was removed (counts and bytes), merged and
// moved.
func WriteFinalizeReport(w io.Writer, rep *FinalizeReport) error {
	ew := &errWriter{w: w}
	removed, merged, wrote, checkpointed := "removed", "merged and removed its write-ahead log", "lines in", "databases checkpointed"
	if rep.DryRun {
		fmt.Fprintf(ew, "oslayer finalize --dry-run %s: nothing is changed\n", rep.Root)
		removed, merged, wrote, checkpointed = "would remove", "would merge and remove its write-ahead log", "lines would go to", "databases to checkpoint"
	} else {
		fmt.Fprintf(ew, "oslayer finalize %s\n", rep.Root)
	}
	var files, dirs int
	var bytes int64
	for _, rm := range rep.Removed {
		switch {
		case rm.Skipped != "":
			fmt.Fprintf(ew, "  %s: left alone (%s)\n", rm.Dir, rm.Skipped)
		case rm.Files+rm.Dirs > 0:
			fmt.Fprintf(ew, "  %s: %s %d files and %d directories, %d bytes\n", rm.Dir, removed, rm.Files, rm.Dirs, rm.Bytes)
		case len(rm.Failed) == 0:
			fmt.Fprintf(ew, "  %s: already empty\n", rm.Dir)
		}
		if len(rm.Kept) > 0 {
			fmt.Fprintf(ew, "    kept %s\n", strings.Join(rm.Kept, ", "))
		}
		for _, f := range rm.Failed {
			fmt.Fprintf(ew, "    could not remove %s: %s\n", f.Path, f.Err)
		}
		files, dirs, bytes = files+rm.Files, dirs+rm.Dirs, bytes+rm.Bytes
	}
	for _, cp := range rep.Checkpointed {
		fmt.Fprintf(ew, "  %s: %s (%d bytes)\n", cp.Path, merged, cp.Bytes)
	}
	writeVolumeFixes(ew, rep)
	for _, l := range rep.VarLines {
		fmt.Fprintf(ew, "  --fix-var: %s\n", l)
	}
	if rep.VarConf != "" {
		fmt.Fprintf(ew, "  --fix-var: %d %s %s\n", len(rep.VarLines), wrote, rep.VarConf)
	}
	fmt.Fprintf(ew, "%s %d files and %d directories (%d bytes); %d %s\n\n", removed, files, dirs, bytes, len(rep.Checkpointed), checkpointed)
	return ew.err
}

func readAllClose(f fs.File) ([]byte, error) {
	defer f.Close()
	return io.ReadAll(f)
}
