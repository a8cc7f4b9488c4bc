package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/layer/sysext"
	"github.com/oslayer/oslayer/lint"
)

// sysextOptions are the flags of oslayer sysext.
type sysextOptions struct {
	// output is NAME.raw, DIR/ or, with --split, the directory that gets
	// extensions/ and confexts/.
	output string
	// confext builds a configuration extension; split builds both.
	confext, split bool
	// fs is the image's file system: squashfs, erofs, or directory.
	fs   string
	name string
	// ignoreOutside leaves out changes outside the hierarchies;
	// allowOverride ships changed base files.
	ignoreOutside, allowOverride bool
	release                      sysext.ReleaseOptions
	// dest pushes the image file as an OCI artifact.
	dest   string
	tmpdir string
	flags  *pflag.FlagSet
}

func (o *sysextOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	o.flags = f
	f.StringVarP(&o.output, "output", "o", "", "write NAME.raw (an image file) or DIR/ (a directory tree); with --split, a directory for extensions/NAME.raw and confexts/NAME.raw")
	f.BoolVar(&o.confext, "confext", false, "build a configuration extension (/etc) instead of a system extension (/usr, /opt)")
	f.BoolVar(&o.split, "split", false, "build both: a system extension of /usr and /opt and a configuration extension of /etc")
	f.StringVar(&o.fs, "fs", "squashfs", "file system of a .raw image: squashfs (written by oslayer) or erofs (written by mkfs.erofs); with --split also directory")
	f.StringVar(&o.name, "name", "", "with --split, the extension name (otherwise it is -o's name without .raw)")
	f.BoolVar(&o.ignoreOutside, "ignore-outside", false, "leave out what the layers change outside the extension's hierarchies instead of refusing it")
	f.BoolVar(&o.allowOverride, "allow-override", false, "ship changed base files: the extension's copy then shadows the host's")
	f.StringVar(&o.release.ID, "id", "", "ID= of the extension-release file (default: the base's os-release ID)")
	f.StringVar(&o.release.VersionID, "version-id", "", "VERSION_ID= of the extension-release file (default: the base's, unless it has a SYSEXT_LEVEL/CONFEXT_LEVEL)")
	f.StringVar(&o.release.Level, "level", "", "SYSEXT_LEVEL= (CONFEXT_LEVEL=) of the extension-release file, matched instead of VERSION_ID")
	f.BoolVar(&o.release.AnyOS, "any-os", false, "ID=_any: the extension may be merged on any host")
	f.StringVar(&o.dest, "dest", "", "also push the .raw image as a single-layer OCI artifact to this reference (docker://, oci:, oci-archive:)")
	f.StringVar(&o.tmpdir, "tmpdir", "", "directory for the spooled contents and a staged EROFS tree (default $TMPDIR or /tmp)")
	completeFlag(cmd, "fs", completeValues("squashfs", "erofs", "directory"))
	completeFlag(cmd, "dest", completeImage)
	completeFlag(cmd, "tmpdir", completeDirs)
}

// sysextTarget is one image to write.
type sysextTarget struct {
	kind sysext.Kind
	path string
}

// plan checks the flags and says what to build and where.
func (o *sysextOptions) plan() (sysext.Options, sysext.Format, []sysextTarget, error) {
	fail := func(format string, a ...any) (sysext.Options, sysext.Format, []sysextTarget, error) {
		return sysext.Options{}, 0, nil, &exitError{code: 2, msg: fmt.Sprintf(format, a...)}
	}
	if o.output == "" {
		return fail("-o NAME.raw or -o DIR/ is required")
	}
	var format sysext.Format
	if err := format.UnmarshalText([]byte(o.fs)); err != nil {
		return fail("--fs %q: want squashfs, erofs or directory", o.fs)
	}
	opts := sysext.Options{Release: o.release, IgnoreOutside: o.ignoreOutside, AllowOverride: o.allowOverride, Kinds: []sysext.Kind{sysext.System}}
	var targets []sysextTarget
	switch {
	case o.split && o.confext:
		return fail("--split builds the confext too: give --split or --confext")
	case o.split:
		if !strings.HasSuffix(o.output, "/") {
			return fail("-o %s: with --split, -o is a directory (end it with /) that gets extensions/%s and confexts/%s", o.output, o.name+".raw", o.name+".raw")
		}
		if o.name == "" {
			return fail("--split needs --name: the two images are named after it")
		}
		opts.Name, opts.Kinds = o.name, sysext.Kinds
		for _, k := range sysext.Kinds {
			p := filepath.Join(o.output, filepath.Base(k.SearchDir()), o.name)
			if format != sysext.Directory {
				p += sysext.ImageSuffix
			}
			targets = append(targets, sysextTarget{k, p})
		}
	default:
		if o.name != "" {
			return fail("--name is for --split: otherwise the name is -o's (%s)", sysext.NameOf(o.output))
		}
		if o.confext {
			opts.Kinds = []sysext.Kind{sysext.Config}
		}
		switch {
		case strings.HasSuffix(o.output, "/"):
			if o.flags.Changed("fs") && format != sysext.Directory {
				return fail("-o %s is a directory tree: --fs %s does not apply", o.output, o.fs)
			}
			format = sysext.Directory
		case strings.HasSuffix(o.output, sysext.ImageSuffix):
			if format == sysext.Directory {
				return fail("-o %s is an image file: write a directory tree with -o DIR/", o.output)
			}
		default:
			return fail("-o %s: name an image NAME.raw (systemd takes only .raw files) or a directory DIR/", o.output)
		}
		opts.Name = sysext.NameOf(o.output)
		targets = []sysextTarget{{opts.Kinds[0], filepath.Clean(o.output)}}
	}
	if o.dest != "" && (format == sysext.Directory || len(targets) != 1) {
		return fail("--dest pushes one image file: give it with -o NAME.raw, without --split")
	}
	if err := opts.Validate(); err != nil {
		return fail("%v", err)
	}
	return opts, format, targets, nil
}

func newSysextCmd() *cobra.Command {
	var (
		img imageOptions
		so  sysextOptions
		out writeOutput
	)
	cmd := &cobra.Command{
		Use:   "sysext [BASE] DERIVED -o NAME.raw | -o DIR/",
		Short: "Turn what a derived image adds to its base into a systemd system or configuration extension",
		Long: `sysext writes what the derived image's layers add to its base (found by the
same comparison as oslayer diff) as an extension image for systemd-sysext
(/usr and /opt, the default) or systemd-confext (/etc, --confext), or both
(--split). Without BASE, the base is found from the image as oslayer diff finds
it.

An extension is merged onto hosts that may run other versions of the base, so
only additions can go into one: a base file the layers change is refused
(--allow-override ships it, and it then shadows the host's), a removed one
always (overlays cannot remove; whiteouts are never written), and so is
anything outside the hierarchies (--ignore-outside leaves it out; /var gets the
tmpfiles.d advice lint gives). Device nodes and symlinks that climb out of the
root are refused.

The extension-release file (usr/lib/extension-release.d/extension-release.NAME,
etc/extension-release.d/ for a confext) takes ID and VERSION_ID (or
SYSEXT_LEVEL/CONFEXT_LEVEL when the base has one) from the base's os-release,
ARCHITECTURE from the image, and EXTENSION_RELOAD_MANAGER=1 when units are
added; --id, --version-id, --level and --any-os change it. NAME is the image's
name, as systemd requires.

Images are reproducible: every time in them is $SOURCE_DATE_EPOCH, else the
derived image's creation time; entries are sorted. squashfs images are written
by oslayer and need no privileges; EROFS images are written by mkfs.erofs
(erofs-utils), which must be installed, from a staged tree (owners other than
root need root).

Exit codes: 0 written, 1 the layers change what no extension can carry
(nothing is written), 2 usage error, bad input (device nodes, escaping
symlinks, ".." paths) or I/O failure.`,
		Example: `  oslayer sysext quay.io/fedora/fedora-bootc:42 oci:build:latest -o htop.raw
  oslayer sysext containers-storage:localhost/myos:candidate -o nginx.raw --fs erofs --ignore-outside
  oslayer sysext BASE DERIVED --confext -o nginx-config.raw
  oslayer sysext BASE DERIVED --split --name nginx -o out/        # out/extensions/nginx.raw, out/confexts/nginx.raw
  oslayer sysext BASE DERIVED -o tools.raw --any-os --dest docker://registry.example/ext/tools:1`,
		Args:              cobra.RangeArgs(1, 2),
		ValidArgsFunction: completeImageArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, format, targets, err := so.plan()
			if err != nil {
				return err
			}
			if err := out.validate(); err != nil {
				return err
			}
			if out.digestfile != "" && so.dest == "" {
				return &exitError{code: 2, msg: "--digestfile needs --dest: only a pushed artifact has a manifest digest"}
			}
			epoch, err := sourceDateEpoch()
			if err != nil {
				return err
			}
			base, derived := "", args[0]
			if len(args) == 2 {
				base, derived = args[0], args[1]
			}
			return runSysext(cmd, img, so, out, base, derived, opts, format, targets, epoch)
		},
	}
	img.addSideFlags(cmd)
	so.addFlags(cmd)
	out.addFlags(cmd)
	return cmd
}

// sysextReport is what sysext --format json prints.
type sysextReport struct {
	Base     string            `json:"base"`
	Derived  string            `json:"derived"`
	Images   []sysextImageInfo `json:"images"`
	Problems []sysext.Problem  `json:"problems"`
	// Ignored counts paths outside the hierarchies left out.
	Ignored   int      `json:"ignored,omitempty"`
	Overrides []string `json:"overrides,omitempty"`
	// Dest and Digest are the pushed artifact's reference and manifest
	// digest.
	Dest   string   `json:"dest,omitempty"`
	Digest *v1.Hash `json:"digest,omitempty"`
}

type sysextImageInfo struct {
	*sysext.Image
	Format sysext.Format `json:"format"`
	Path   string        `json:"path"`
	// SHA256 is an image file's digest.
	SHA256 string `json:"sha256,omitempty"`
}

func runSysext(cmd *cobra.Command, img imageOptions, so sysextOptions, out writeOutput, base, derived string,
	opts sysext.Options, format sysext.Format, targets []sysextTarget, epoch *int64) error {
	ctx := cmd.Context()
	lopts, err := img.layerOptions()
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
	src, err := layer.OpenSource(ctx, layer.Request{Ref: derived, Base: base, BaseMode: layer.BaseRequired,
		Content: layer.ContentKept, Packages: true, Options: lopts, Loader: loader})
	if err != nil {
		return err
	}
	defer src.Close()
	build, err := sysext.Prepare(src, diff.Changes(src, diff.CompareOptions{}), opts)
	if err != nil {
		return err
	}
	rep := sysextReport{Base: src.BaseName(), Derived: src.Name, Images: []sysextImageInfo{}, Problems: build.Problems,
		Ignored: build.Ignored, Overrides: build.Overrides}
	if len(build.Problems) > 0 {
		bars.stop()
		printProblems(cmd.ErrOrStderr(), src, build.Problems)
		if out.format == "json" {
			if err := out.written(cmd.OutOrStdout(), v1.Hash{}, rep); err != nil {
				return err
			}
		}
		return &exitError{code: 1, msg: fmt.Sprintf("%d changes no extension can carry: nothing written", len(build.Problems))}
	}
	modTime := buildTime(src.Image).Unix()
	if epoch != nil {
		modTime = *epoch
	}
	contents, err := build.Load(ctx, src, loader, so.tmpdir)
	if err != nil {
		return err
	}
	defer contents.Close()
	for i, t := range targets {
		if err := os.MkdirAll(filepath.Dir(t.path), 0o755); err != nil {
			return err
		}
		im := build.Images[i]
		if err := sysext.Write(ctx, im, format, t.path, sysext.WriteOptions{ModTime: modTime, TmpDir: so.tmpdir}); err != nil {
			return err
		}
		info := sysextImageInfo{Image: im, Format: format, Path: t.path}
		if format != sysext.Directory {
			if info.SHA256, err = fileSHA256(t.path); err != nil {
				return err
			}
		}
		rep.Images = append(rep.Images, info)
	}
	var digest v1.Hash
	if so.dest != "" {
		art, err := sysext.Artifact(build.Images[0], format, targets[0].path, modTime)
		if err != nil {
			return err
		}
		dopts, err := img.destOptions()
		if err != nil {
			return err
		}
		dopts.Progress = bars.hook()
		if err := layer.Write(ctx, art, so.dest, dopts); err != nil {
			return err
		}
		if digest, err = art.Digest(); err != nil {
			return err
		}
		rep.Dest, rep.Digest = so.dest, &digest
	}
	bars.stop()
	for _, im := range rep.Images {
		fmt.Fprintf(cmd.ErrOrStderr(), "oslayer sysext: %s %s (%s): %d files, %s; %s\n", im.Kind, im.Path, im.Format,
			im.Files, mib(im.Bytes), strings.ReplaceAll(strings.TrimSpace(string(im.Release.Bytes(im.Kind))), "\n", " "))
	}
	if build.Ignored > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "oslayer sysext: %d paths outside the hierarchies left out (--ignore-outside)\n", build.Ignored)
	}
	for _, p := range build.Overrides {
		fmt.Fprintf(cmd.ErrOrStderr(), "oslayer sysext: warning: %s changes a base file and shadows the host's (--allow-override)\n", p)
	}
	if so.dest != "" {
		fmt.Fprintf(cmd.ErrOrStderr(), "oslayer sysext: pushed %s: %s\n", so.dest, digest)
	}
	return out.written(cmd.OutOrStdout(), digest, rep)
}

// printProblems lists the problems, with lint's tmpfiles.d advice for
// /var content.
func printProblems(w io.Writer, src *layer.Source, problems []sysext.Problem) {
	advice := lint.NewVarAdvisor(src.Tree.FS())
	fmt.Fprintln(w, "oslayer sysext: what the layers change that no extension can carry:")
	for _, p := range problems {
		fmt.Fprintf(w, "  %s\n", p.Message())
		if p.Kind == sysext.Outside && p.Change == diff.Added && (p.Path == "/var" || strings.HasPrefix(p.Path, "/var/")) {
			fmt.Fprintf(w, "      bootc and systemd never update /var from an image: %s\n", advice.Advice(p.Path, p.Node))
		}
	}
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
