package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"

	"github.com/oslayer/oslayer/butane"
	"github.com/oslayer/oslayer/layer"
)

func newButaneCmd() *cobra.Command {
	var (
		img          imageOptions
		apply, out   string
		base, dest   string
		filesDir     string
		firstbootOut string
		compression  string
		strict       bool
		labelArgs    []string
		render       butane.RenderOptions
		output       writeOutput
	)
	cmd := &cobra.Command{
		Use:   "butane CONFIG.bu (--apply DIR | -o LAYER | --base REF --dest REF)",
		Short: "Render a Butane config into image content",
		Long: `butane translates a Butane config with the Butane and Ignition libraries and
renders at build time what Ignition would write at first boot: files,
directories, links, systemd units with their [Install] links, users and groups
(as sysusers.d entries), SSH keys and /var content (as tmpfiles.d lines), kernel
arguments (as bootc kargs.d). Disks, file systems, password hashes and removed
kernel arguments need first boot: they are an error unless --firstboot-out FILE
keeps them in an Ignition config of the same spec version.

  --apply DIR        write into a root directory (inside a Containerfile: --apply /)
  -o FILE            write a layer tarball (.tar, .tar.gz, .tar.zst), on top of --base if given
  --base REF --dest REF   write an image: the base plus one layer

CONFIG "-" reads standard input. Layers and images are reproducible: the time in
them is $SOURCE_DATE_EPOCH, else the base image's creation time, else 1970.`,
		Example: `  RUN --mount=type=bind,source=.,target=/ctx /ctx/oslayer butane /ctx/config.bu --apply /
  oslayer butane config.bu --files-dir files -o layer.tar.zst
  oslayer butane config.bu --base quay.io/fedora/fedora-coreos:stable --dest oci:out:latest --firstboot-out firstboot.ign`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			modes := 0
			for _, set := range []bool{apply != "", out != "", dest != ""} {
				if set {
					modes++
				}
			}
			if modes != 1 {
				return &exitError{code: 2, msg: "give exactly one of --apply DIR, -o FILE or --dest REF"}
			}
			if dest != "" && base == "" {
				return &exitError{code: 2, msg: "--dest needs --base"}
			}
			if len(labelArgs) > 0 && dest == "" {
				return &exitError{code: 2, msg: "--label needs --dest: only an image has labels"}
			}
			labels, err := parseLabels(labelArgs)
			if err != nil {
				return err
			}
			if err := output.validate(); err != nil {
				return err
			}
			if output.digestfile != "" && dest == "" {
				return &exitError{code: 2, msg: "--digestfile needs --dest: only an image has a manifest digest"}
			}
			if apply != "" && base != "" {
				return &exitError{code: 2, msg: "--apply renders onto DIR itself: --base does not apply"}
			}
			name, input, err := readConfig(cmd.InOrStdin(), args[0])
			if err != nil {
				return err
			}
			cfg, msgs, err := butane.Translate(name, input, butane.Options{FilesDir: filesDir, Strict: strict})
			printMessages(cmd.ErrOrStderr(), msgs)
			if err != nil {
				return err
			}
			render.Firstboot = firstbootOut != ""

			ctx := cmd.Context()
			bars := startProgress(cmd)
			defer bars.stop()
			var src *layer.Source
			var baseImg *layer.Image
			if apply != "" || base != "" {
				req := layer.Request{Rootfs: apply, Ref: base, Content: layer.ContentReread}
				if base != "" {
					if req.Options, err = img.layerOptions(); err != nil {
						return err
					}
					if req.Loader, err = img.loader(bars); err != nil {
						return err
					}
					defer req.Loader.Close()
				}
				if src, err = layer.OpenSource(ctx, req); err != nil {
					return err
				}
				defer src.Close()
				baseImg = src.Image
			}
			target := butane.NewTarget(src)
			res, err := butane.Render(ctx, cfg, target, render)
			if err != nil {
				return err
			}
			printMessages(bars.out(cmd.ErrOrStderr()), res.Messages)
			if firstbootOut != "" {
				if err := writeFirstboot(firstbootOut, res.Firstboot); err != nil {
					return err
				}
			}
			created := buildTime(baseImg)
			rep := newButaneReport(res, firstbootOut)
			switch {
			case apply != "":
				rep.Output, rep.Target = "rootfs", apply
				err = res.Apply(apply)
			case out != "":
				rep.Output, rep.Target = "layer", out
				var d v1.Hash
				if d, err = writeLayerFile(out, res, target, created); err == nil {
					rep.Digest = &d
				}
			default:
				rep.Output, rep.Target = "image", dest
				c := layer.Compression(compression)
				image, ierr := res.Image(baseImg, target, name, c, created)
				if ierr == nil {
					image, ierr = layer.SetLabels(image, labels)
				}
				if ierr != nil {
					return ierr
				}
				dopts, derr := img.destOptions()
				if derr != nil {
					return derr
				}
				dopts.Progress = bars.hook()
				if err = layer.Write(ctx, image, dest, dopts); err == nil {
					err = rep.image(image)
					rep.Release = writtenRelease(image)
				}
			}
			bars.stop()
			if err != nil {
				return err
			}
			if output.format == "text" {
				summarize(cmd.OutOrStdout(), res, firstbootOut)
			}
			var digest v1.Hash
			if rep.Digest != nil {
				digest = *rep.Digest
			}
			return output.written(cmd.OutOrStdout(), digest, rep)
		},
	}
	img.addSideFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&apply, "apply", "", "write the rendered content into this root directory")
	f.StringVarP(&out, "output", "o", "", "write a layer tarball; its name picks the compression: .tar, .tar.gz (.tgz), .tar.zst")
	f.StringVar(&base, "base", "", "image to render onto (with --dest, or to check -o against)")
	f.StringVar(&dest, "dest", "", "write the base plus the rendered layer to this image reference")
	f.StringVar(&compression, "compression", "gzip", "layer compression for --dest: gzip, zstd or none")
	f.StringVar(&filesDir, "files-dir", "", "directory for local: sources (as butane --files-dir)")
	f.StringVar(&firstbootOut, "firstboot-out", "", "write the firstboot-only parts here as an Ignition config of the same spec version")
	f.BoolVar(&strict, "strict", false, "fail on warnings")
	f.StringArrayVar(&labelArgs, "label", nil, "with --dest: set a label (K=V) or remove one (K-) on the image; repeatable")
	f.BoolVar(&render.AllowOverride, "allow-override", false, "allow changing base content (append to a base file, replace one under /usr)")
	f.BoolVar(&render.AllowRemote, "allow-remote", false, "fetch http(s) sources that have a verification hash")
	output.addFlags(cmd)
	completeFlag(cmd, "apply", completeDirs)
	completeFlag(cmd, "base", completeImage)
	completeFlag(cmd, "dest", completeImage)
	completeFlag(cmd, "compression", completeValues("gzip", "zstd", "none"))
	completeFlag(cmd, "files-dir", completeDirs)
	return cmd
}

func readConfig(stdin io.Reader, arg string) (string, []byte, error) {
	if arg == "-" {
		data, err := io.ReadAll(io.LimitReader(stdin, 64<<20))
		return "stdin.bu", data, err
	}
	data, err := os.ReadFile(arg)
	if err != nil {
		return "", nil, err
	}
	return filepath.Base(arg), data, nil
}

func printMessages(w io.Writer, msgs []butane.Message) {
	for _, m := range msgs {
		fmt.Fprintln(w, m)
	}
}

// buildTime is $SOURCE_DATE_EPOCH, else the base's creation time, else
// the Unix epoch: never the clock, so outputs are reproducible.
func buildTime(base *layer.Image) time.Time {
	// A malformed SOURCE_DATE_EPOCH is ignored here, as it always was.
	if epoch, err := sourceDateEpoch(); err == nil && epoch != nil {
		return time.Unix(*epoch, 0).UTC()
	}
	if base != nil && !base.Config.Created.IsZero() {
		return base.Config.Created.UTC()
	}
	return time.Unix(0, 0).UTC()
}

// writeLayerFile writes the layer next to FILE, then renames it into
// place: an interrupted run leaves no half-written layer.
// writeLayerFile writes the rendered layer to path and returns the sha256
// of the file.
func writeLayerFile(path string, res *butane.Result, t *butane.Target, created time.Time) (v1.Hash, error) {
	c := layer.None
	switch {
	case strings.HasSuffix(path, ".tar.gz"), strings.HasSuffix(path, ".tgz"):
		c = layer.Gzip
	case strings.HasSuffix(path, ".tar.zst"):
		c = layer.Zstd
	case strings.HasSuffix(path, ".tar"):
	default:
		return v1.Hash{}, &exitError{code: 2, msg: fmt.Sprintf("-o %s: name it .tar, .tar.gz, .tgz or .tar.zst", path)}
	}
	h := sha256.New()
	err := atomicWrite(path, func(w io.Writer) error { return res.WriteLayer(io.MultiWriter(w, h), t, c, created) })
	return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}, err
}

func writeFirstboot(path string, fb *butane.Firstboot) error {
	data, err := fb.Config()
	if err != nil {
		return err
	}
	return atomicWrite(path, func(w io.Writer) error { _, err := w.Write(data); return err })
}

func atomicWrite(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// butaneReport is what butane --format json prints.
type butaneReport struct {
	// Output is rootfs, layer or image; Target the directory, file or
	// reference written.
	Output string `json:"output"`
	Target string `json:"target"`
	// Digest is the image's manifest digest, or the layer file's sha256.
	Digest *v1.Hash `json:"digest,omitempty"`
	// Layer is the rendered layer of an image.
	Layer *struct {
		Digest v1.Hash `json:"digest"`
		DiffID v1.Hash `json:"diff_id"`
		Size   int64   `json:"size"`
	} `json:"layer,omitempty"`
	Rendered  map[string]int `json:"rendered"`
	Firstboot *struct {
		File  string   `json:"file"`
		Parts []string `json:"parts"`
	} `json:"firstboot,omitempty"`
	Messages []string `json:"messages,omitempty"`
	// Release is what the image's release labels say (--dest only).
	Release *layer.Release `json:"release,omitempty"`
}

func newButaneReport(res *butane.Result, firstbootOut string) *butaneReport {
	rep := &butaneReport{Rendered: renderedCounts(res)}
	for _, m := range res.Messages {
		rep.Messages = append(rep.Messages, m.String())
	}
	if firstbootOut != "" {
		rep.Firstboot = &struct {
			File  string   `json:"file"`
			Parts []string `json:"parts"`
		}{firstbootOut, []string{}}
		for _, p := range res.Firstboot.Parts {
			rep.Firstboot.Parts = append(rep.Firstboot.Parts, fmt.Sprint(p))
		}
	}
	return rep
}

// image records the image written: its digest and its last layer, the one
// rendered.
func (r *butaneReport) image(img v1.Image) error {
	d, err := img.Digest()
	if err != nil {
		return err
	}
	layers, err := img.Layers()
	if err != nil || len(layers) == 0 {
		return err
	}
	l := layers[len(layers)-1]
	r.Digest = &d
	r.Layer = &struct {
		Digest v1.Hash `json:"digest"`
		DiffID v1.Hash `json:"diff_id"`
		Size   int64   `json:"size"`
	}{}
	if r.Layer.Digest, err = l.Digest(); err != nil {
		return err
	}
	if r.Layer.DiffID, err = l.DiffID(); err != nil {
		return err
	}
	r.Layer.Size, err = l.Size()
	return err
}

// renderedCounts counts the rendered entries by kind.
func renderedCounts(res *butane.Result) map[string]int {
	counts := map[string]int{}
	for _, e := range res.Entries {
		switch {
		case e.Remove:
			counts["removed"]++
		case e.Hardlink != "":
			counts["hard links"]++
		case e.Type == layer.TypeRegular:
			counts["files"]++
		case e.Type == layer.TypeDir:
			counts["directories"]++
		default:
			counts[e.Type.String()+"s"]++
		}
	}
	return counts
}

func summarize(w io.Writer, res *butane.Result, firstbootOut string) {
	counts := renderedCounts(res)
	var parts []string
	for _, k := range []string{"files", "directories", "symlinks", "hard links", "removed"} {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	fmt.Fprintf(w, "rendered %s\n", strings.Join(parts, ", "))
	if firstbootOut != "" {
		fmt.Fprintf(w, "left for first boot (%s): %d parts\n", firstbootOut, len(res.Firstboot.Parts))
		for _, p := range res.Firstboot.Parts {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
}
