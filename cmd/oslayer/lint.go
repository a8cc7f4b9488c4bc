package main

import (
	"fmt"
	"io"
	"slices"

	"github.com/spf13/cobra"

	"github.com/oslayer/oslayer/lint"
)

// lintOptions are the flags lint and finalize share.
type lintOptions struct {
	format        string
	skip          []string
	fatalWarnings bool
	noTruncate    bool
	allowOverride bool
	allowPaths    []string
	inherited     bool
	// fatalToStderr, when set, also hears the fatal findings of a failed
	// gate, whatever the format (finalize: stdout may be hidden).
	fatalToStderr io.Writer
}

func (o *lintOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.format, "format", "text", "output format: text, json, sarif or junit")
	f.StringSliceVar(&o.skip, "skip", nil, "do not run these rules (comma-separated, repeatable)")
	f.BoolVar(&o.fatalWarnings, "fatal-warnings", false, "fail on warnings too")
	f.BoolVar(&o.noTruncate, "no-truncate", false, "list every finding (text output shows 5 per rule)")
	f.BoolVar(&o.allowOverride, "allow-override", false, "accept changes to base content under /usr, like LABEL ostree.override=true")
	f.StringArrayVar(&o.allowPaths, "allow-override-path", nil, "accept changes to base content at paths matching this pattern (* within a component, ** across; repeatable)")
	f.BoolVar(&o.inherited, "include-inherited", false, "with a base, also list (and count) the findings the base has too")
	completeFlag(cmd, "format", completeValues(lintFormats...))
	completeFlag(cmd, "skip", completeRuleIDs)
}

// lintFormats are the values of lint's and finalize's --format.
var lintFormats = []string{"text", "json", "sarif", "junit"}

func (o *lintOptions) validate() error {
	if !slices.Contains(lintFormats, o.format) {
		return &exitError{code: 2, msg: fmt.Sprintf("--format %q: want text, json, sarif or junit", o.format)}
	}
	for _, id := range o.skip {
		if _, err := lint.RuleByID(id); err != nil {
			return &exitError{code: 2, msg: "--skip: " + err.Error()}
		}
	}
	return nil
}

func (o *lintOptions) options() lint.Options {
	return lint.Options{Skip: o.skip, AllowOverride: o.allowOverride, AllowOverridePaths: o.allowPaths, IncludeInherited: o.inherited}
}

// run lints a loaded target with the user's options and renders the
// result, once the bars (nil: none) are stopped.
func (o *lintOptions) run(cmd *cobra.Command, t *lint.Target, bars *progressBars) error {
	defer t.Close()
	t.Options = o.options()
	res, err := lint.Run(cmd.Context(), t)
	bars.stop()
	if err != nil {
		return err
	}
	return o.render(cmd.OutOrStdout(), res)
}

// render writes the result and turns a failed gate into exit code 1.
func (o *lintOptions) render(w io.Writer, res *lint.Result) error {
	var err error
	switch o.format {
	case "json":
		err = lint.WriteJSON(w, res)
	case "sarif":
		err = lint.WriteSARIF(w, res, buildVersion())
	case "junit":
		err = lint.WriteJUnit(w, res, o.fatalWarnings)
	default:
		err = lint.WriteText(w, res, lint.TextOptions{NoTruncate: o.noTruncate, FatalWarnings: o.fatalWarnings})
	}
	if err != nil {
		return err
	}
	if !res.Failed(o.fatalWarnings) {
		return nil
	}
	if o.fatalToStderr != nil {
		lint.WriteFailures(o.fatalToStderr, res, o.fatalWarnings)
	}
	return &exitError{code: 1}
}

func newLintCmd() *cobra.Command {
	var (
		img      imageOptions
		lo       lintOptions
		base     string
		previous string
		etc      string
		rootfs   string
		list     bool
		ext      extensionLintOptions
	)
	cmd := &cobra.Command{
		Use:   "lint [IMAGE] | lint --rootfs DIR",
		Short: "Check a bootable image: bootc's checks plus the /usr override policy",
		Long: `lint is a CI gate for bootable OS images. It runs every check of bootc container
lint (same ids and meaning) and oslayer's own, chief among them usr-override:
derived layers may add files under /usr, but changing, removing or retyping a
base file is an error unless the image carries LABEL ostree.override=true or
--allow-override / --allow-override-path is given.

Image mode compares IMAGE with its base (--base, or found as oslayer diff finds
it). Rootfs mode (--rootfs DIR, or no argument inside a container build) checks
a directory, verifying package-owned files against the rpm or dpkg database.

With --host, IMAGE is a systemd extension image (NAME.raw, squashfs or EROFS,
or a directory): it is checked as systemd-sysext merge would check it on that
host (its extension-release file against the host's os-release), for content
outside its hierarchies, and for the host files it would shadow;
--mutable-dir also finds local changes that shadow it.

Exit codes: 0 pass, 1 fatal findings (or warnings with --fatal-warnings),
2 usage or input error. oslayer lint --list names the rules.`,
		Example: `  oslayer lint docker://registry.example.com/team/os:candidate
  oslayer lint oci:build:latest --base quay.io/fedora/fedora-bootc:41 --format sarif > lint.sarif
  oslayer lint --rootfs /mnt/rootfs --skip var-log
  oslayer lint --previous docker://registry/os:41.1 docker://registry/os:41.2 --etc machine-etc/
  oslayer lint htop.raw --host quay.io/fedora/fedora-bootc:42 --mutable-dir machine/var/lib/extensions.mutable
  RUN oslayer lint            # inside a Containerfile: checks /`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: completeImageArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			treeGC()
			if list {
				return lint.WriteRules(cmd.OutOrStdout(), lo.format == "json")
			}
			if err := lo.validate(); err != nil {
				return err
			}
			if ext.given() {
				return ext.run(cmd, args, img, &lo, rootfs != "" || base != "" || previous != "" || etc != "")
			}
			switch {
			case len(args) == 1 && rootfs != "":
				return &exitError{code: 2, msg: "give an IMAGE or --rootfs DIR, not both"}
			case len(args) == 0 && rootfs == "":
				if !lint.InContainer() {
					return &exitError{code: 2, msg: "name an IMAGE or --rootfs DIR (inside a container build, the default is /)"}
				}
				rootfs = "/"
			}
			iopts, err := img.layerOptions()
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
			if etc != "" && previous == "" {
				return &exitError{code: 2, msg: "--etc needs --previous: it predicts the upgrade from that release"}
			}
			in := lint.Input{Rootfs: rootfs, Base: base, Previous: previous, Etc: etc, Image: iopts, Loader: loader}
			if rootfs == "" {
				in.Ref = args[0]
			}
			t, err := lint.Open(cmd.Context(), in)
			if err != nil {
				return err
			}
			return lo.run(cmd, t, bars)
		},
	}
	img.addFlags(cmd)
	lo.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&base, "base", "", "the base image to compare with (default: found from the image)")
	f.StringVar(&rootfs, "rootfs", "", "check this directory instead of an image")
	f.StringVar(&previous, "previous", "", "the release machines upgrade from: also check what the upgrade will not deliver, and what it downloads")
	f.StringVar(&etc, "etc", "", "with --previous, a machine's /etc (a copied directory, or a file of ostree admin config-diff output): predict its /etc merge")
	f.BoolVar(&list, "list", false, "list the rules (with --format json, also the regenerated files usr-override ignores)")
	ext.addFlags(cmd)
	completeFlag(cmd, "base", completeImage)
	completeFlag(cmd, "rootfs", completeDirs)
	return cmd
}
