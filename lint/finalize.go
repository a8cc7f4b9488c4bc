package lint

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/oslayer/oslayer/internal/rootdir"
)

// FinalizeOptions tune Finalize.
type FinalizeOptions struct {
	// Root is the root to finalize ("/" in a container build).
	Root string
	// Force runs on "/" even where no container marker is found.
	Force bool
	// FixVar moves undeclared /var content to /usr/share/factory/var and
	// declares it in tmpfiles.d.
	FixVar bool
}

// FinalizeReport says what Finalize did.
type FinalizeReport struct {
	Root         string       `json:"root"`
	Removed      []Removed    `json:"removed"`
	Checkpointed []Checkpoint `json:"checkpointed"`
	// VarLines are the tmpfiles.d lines --fix-var wrote to VarConf.
	VarLines []string `json:"var_lines,omitempty"`
	VarConf  string   `json:"var_conf,omitempty"`
}

// Finalize prepares a root to be committed as the last layer of a bootable
// image: it empties /tmp, /var/tmp, /var/cache and /run (never crossing or
// removing a mount point, keeping /run/.containerenv and /run/secrets),
// checkpoints and removes the sqlite WAL of package databases and, if
// asked, moves undeclared /var content into /usr/share/factory/var. It
// refuses to touch "/" outside a container, so that it can never wipe a
// real machine. Lint the root afterwards (Open, Run).
func Finalize(ctx context.Context, opts FinalizeOptions) (*FinalizeReport, error) {
	root, err := filepath.Abs(opts.Root)
	if err != nil {
		return nil, err
	}
	if root == "/" && !opts.Force && !InContainer() {
		return nil, fmt.Errorf("refusing to finalize / outside a container build: no %s and no $container; pass --rootfs DIR for another root, or --force", strings.Join(containerMarkers, " or "))
	}
	r, err := rootdir.Open(root)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	rep := &FinalizeReport{Root: root}
	if rep.Removed, err = clean(r); err != nil {
		return rep, err
	}
	if rep.Checkpointed, err = checkpointWAL(r, ctx); err != nil {
		return rep, err
	}
	if opts.FixVar {
		if rep.VarLines, err = fixVar(r, readTmpfiles(r.ReadFS())); err != nil {
			return rep, err
		}
		if len(rep.VarLines) > 0 {
			rep.VarConf = "/" + fixVarConf
		}
	}
	return rep, nil
}

// WriteFinalizeReport says what was removed (counts and bytes), merged and
// moved.
func WriteFinalizeReport(w io.Writer, rep *FinalizeReport) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "oslayer finalize %s\n", rep.Root)
	var files, dirs int
	var bytes int64
	for _, rm := range rep.Removed {
		switch {
		case rm.Skipped != "":
			fmt.Fprintf(ew, "  %s: left alone (%s)\n", rm.Dir, rm.Skipped)
		case rm.Files+rm.Dirs > 0:
			fmt.Fprintf(ew, "  %s: removed %d files and %d directories, %d bytes\n", rm.Dir, rm.Files, rm.Dirs, rm.Bytes)
		default:
			fmt.Fprintf(ew, "  %s: already empty\n", rm.Dir)
		}
		if len(rm.Kept) > 0 {
			fmt.Fprintf(ew, "    kept %s\n", strings.Join(rm.Kept, ", "))
		}
		files, dirs, bytes = files+rm.Files, dirs+rm.Dirs, bytes+rm.Bytes
	}
	for _, cp := range rep.Checkpointed {
		fmt.Fprintf(ew, "  %s: merged and removed its write-ahead log (%d bytes)\n", cp.Path, cp.Bytes)
	}
	for _, l := range rep.VarLines {
		fmt.Fprintf(ew, "  --fix-var: %s\n", l)
	}
	if rep.VarConf != "" {
		fmt.Fprintf(ew, "  --fix-var: %d lines in %s\n", len(rep.VarLines), rep.VarConf)
	}
	fmt.Fprintf(ew, "removed %d files and %d directories (%d bytes); %d databases checkpointed\n\n", files, dirs, bytes, len(rep.Checkpointed))
	return ew.err
}

func readAllClose(f fs.File) ([]byte, error) {
	defer f.Close()
	return io.ReadAll(f)
}
