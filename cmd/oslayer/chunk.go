package main

import (
	"cmp"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/layer/chunk"
)

func newChunkCmd() *cobra.Command {
	var (
		img         imageOptions
		rootfs      string
		prior       string
		maxLayers   int
		compression string
		level       int
		labels      []string
		keepSELinux bool
		tmpdir      string
		out         writeOutput
	)
	cmd := &cobra.Command{
		Use:   "chunk SRC DEST | chunk --rootfs DIR DEST",
		Short: "Rewrite an OS image into reproducible layers grouped by package, so updates download only what changed",
		Long: `chunk rewrites a bootable image (or a root filesystem) into at most
--max-layers layers, each holding a stable group of components: packages by
source package (rpm or dpkg), the kernel, big files (1 MiB or more, each its
own), the package database, and the rest. An update then downloads only the
layers whose components changed; see oslayer diff --layers OLD NEW.

The user.component xattr names a component explicitly (on a directory, for
its whole subtree). With --prior, components stay in the layers a previous
build put them in (read from its ostree.components annotations, ours or
rpm-ostree's, or chunkah's org.chunkah.component).

Output is reproducible: the same content gives the same layers and manifest
digest on any machine. Every entry's modification time is 0 (the Unix epoch,
which is also what ostree gives deployed files), or, when SOURCE_DATE_EPOCH is
set, its own time clamped to SOURCE_DATE_EPOCH. The image is created at
SOURCE_DATE_EPOCH, else at the source image's creation time (1970 for a rootfs).

The output carries containers.bootc=1, ostree.bootable=true and
ostree.linux=<kernel version>; ostree.commit and ostree.final-diffid are
dropped; other labels are kept. security.selinux xattrs are dropped (bootc
relabels) unless --keep-selinux. Source layers are spooled uncompressed to
--tmpdir while the layers are written: it needs the image's uncompressed size
plus its compressed size free.`,
		Example: `  oslayer chunk oci:build:latest oci:out:latest --prior docker://registry/os:previous
  oslayer chunk --rootfs /mnt/rootfs docker://registry/os:next --max-layers 96
  oslayer chunk containers-storage:localhost/os:build oci-archive:os.ociarchive --compression zstd`,
		Args:              cobra.RangeArgs(1, 2),
		ValidArgsFunction: completeImageArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var src, dest string
			switch {
			case rootfs != "" && len(args) == 1:
				dest = args[0]
			case rootfs == "" && len(args) == 2:
				src, dest = args[0], args[1]
			default:
				return &exitError{code: 2, msg: "usage: oslayer chunk SRC DEST, or oslayer chunk --rootfs DIR DEST"}
			}
			opts := chunk.Options{MaxLayers: maxLayers, Write: chunk.WriteOptions{
				Compression: layer.Compression(compression), Level: level, KeepSELinux: keepSELinux,
			}}
			if _, err := layer.Compress(io.Discard, opts.Write.Compression, 0); err != nil {
				return &exitError{code: 2, msg: fmt.Sprintf("--compression %q: want gzip, zstd or none", compression)}
			}
			if maxLayers < 1 {
				return &exitError{code: 2, msg: fmt.Sprintf("--max-layers %d: want at least 1", maxLayers)}
			}
			var err error
			if opts.Labels, err = parseLabels(labels); err != nil {
				return err
			}
			if opts.Write.Epoch, err = sourceDateEpoch(); err != nil {
				return err
			}
			if opts.Write.Files, err = layer.NewBlobFiles(dest, tmpdir); err != nil {
				return &exitError{code: 2, msg: fmt.Sprintf("DEST %s: %v", dest, err)}
			}
			if err := out.validate(); err != nil {
				return err
			}
			return runChunk(cmd, img, src, rootfs, prior, dest, tmpdir, out, opts)
		},
	}
	img.addSideFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&rootfs, "rootfs", "", "chunk this root filesystem directory instead of an image")
	f.StringVar(&prior, "prior", "", "a previous build of this image: keep its components in their layers")
	f.IntVar(&maxLayers, "max-layers", chunk.DefaultMaxLayers, "at most this many layers")
	f.StringVar(&compression, "compression", "gzip", "layer compression: gzip (every client), zstd or none")
	f.IntVar(&level, "level", 0, "compression level (gzip 1-9, zstd 1-22; 0 for the default: gzip 7, about zlib's 6, zstd about 3)")
	f.StringArrayVar(&labels, "label", nil, "set a label (K=V) or remove one (K-); repeatable")
	f.BoolVar(&keepSELinux, "keep-selinux", false, "keep security.selinux xattrs")
	f.StringVar(&tmpdir, "tmpdir", "", "directory for the spool and the layers being written (default $TMPDIR or /tmp); it needs the image's uncompressed size free, checked before starting")
	out.addFlags(cmd)
	completeFlag(cmd, "rootfs", completeDirs)
	completeFlag(cmd, "prior", completeImage)
	completeFlag(cmd, "compression", completeValues("gzip", "zstd", "none"))
	completeFlag(cmd, "tmpdir", completeDirs)
	return cmd
}

func runChunk(cmd *cobra.Command, img imageOptions, src, rootfs, priorRef, dest, tmpdir string, out writeOutput, opts chunk.Options) error {
	ctx := cmd.Context()
	start := time.Now()
	// Blobs written into DEST stay only when the image is.
	defer opts.Write.Files.Close()
	if os.Getenv("GOMEMLIMIT") == "" {
		// The live heap is the tree and two encoders; without a limit the
		// collector lets garbage double it.
		debug.SetMemoryLimit(chunkMemoryLimit)
	}
	lopts, err := img.layerOptions()
	if err != nil {
		return err
	}
	dopts, err := img.destOptions()
	if err != nil {
		return err
	}
	bars := startProgress(cmd)
	defer bars.stop()
	loader, err := img.loader(bars)
	if err != nil {
		return err
	}
	defer loader.Close()
	opts.Warn = warner(bars)
	if priorRef != "" {
		if opts.Prior, err = chunk.LoadPrior(ctx, priorRef, lopts, opts.Warn); err != nil {
			return err
		}
	}
	req := layer.Request{Rootfs: rootfs, Content: layer.ContentSpool, Packages: true, TmpDir: tmpdir, Options: lopts, Loader: loader}
	if src != "" {
		if req.Image, err = layer.Open(ctx, src, lopts); err != nil {
			return err
		}
		defer req.Image.Close()
		if err := checkSpoolSpace(loader, req.Image, tmpdir); err != nil {
			return err
		}
	}
	source, err := layer.OpenSource(ctx, req)
	if err != nil {
		return err
	}
	defer source.Close()
	opts.Write.Progress = bars.hook()
	res, err := chunk.Build(ctx, source, opts)
	if err != nil {
		return err
	}
	defer res.Close()
	dopts.Progress = bars.hook()
	if err := layer.Write(ctx, res.Image, dest, dopts); err != nil {
		return err
	}
	bars.stop()
	opts.Write.Files.Keep()
	tarBytes, blobBytes := res.Sizes()
	digest, err := res.Image.Digest()
	if err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "oslayer chunk: %d layers, %d components, %s of files in %s %s, kernel %s, %s in %.1fs: %s\n",
		len(res.Layers), len(res.Components), mib(tarBytes), mib(blobBytes), opts.Write.Compression,
		orNone(res.Kernel), digest, time.Since(start).Seconds(), dest)
	rep, err := res.Report(opts.Prior)
	if err != nil {
		return err
	}
	return out.written(cmd.OutOrStdout(), digest, struct {
		Destination string         `json:"destination"`
		Compression string         `json:"compression"`
		Release     *layer.Release `json:"release,omitempty"`
		*chunk.Report
	}{dest, string(opts.Write.Compression), writtenRelease(res.Image), rep})
}

// checkSpoolSpace refuses to start when --tmpdir cannot hold the spool:
// the image's uncompressed layers (at least what SpoolSize knows of them).
func checkSpoolSpace(loader *layer.Loader, img *layer.Image, tmpdir string) error {
	dir := cmp.Or(tmpdir, os.TempDir())
	need, _ := loader.SpoolSize(img)
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return &exitError{code: 2, msg: fmt.Sprintf("--tmpdir %s: %v", dir, err)}
	}
	if free := int64(st.Bavail) * st.Bsize; free < need {
		return &exitError{code: 2, msg: fmt.Sprintf("--tmpdir %s has %s free, and chunk spools the image's uncompressed layers there: at least %s (give --tmpdir a larger file system)", dir, mib(free), mib(need))}
	}
	return nil
}

// chunkMemoryLimit is the heap size from which the collector works harder.
const chunkMemoryLimit = 96 << 20

// parseLabels reads --label K=V (set) and K- (remove).
func parseLabels(args []string) (map[string]*string, error) {
	out := map[string]*string{}
	for _, a := range args {
		if k, v, ok := strings.Cut(a, "="); ok && k != "" {
			out[k] = &v
			continue
		}
		if k, ok := strings.CutSuffix(a, "-"); ok && k != "" && !strings.Contains(k, "=") {
			out[k] = nil
			continue
		}
		return nil, &exitError{code: 2, msg: fmt.Sprintf("--label %q: want KEY=VALUE or KEY-", a)}
	}
	return out, checkReleaseLabels(out)
}

// sourceDateEpoch reads $SOURCE_DATE_EPOCH: nil when unset, an error
// when it is not a decimal number of seconds.
func sourceDateEpoch() (*int64, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return nil, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return nil, &exitError{code: 2, msg: fmt.Sprintf("SOURCE_DATE_EPOCH=%q: want seconds since 1970", s)}
	}
	return &n, nil
}

func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
