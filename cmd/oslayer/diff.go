package main

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/oslayer/oslayer/diff"
)

func newDiffCmd() *cobra.Command {
	var (
		img      imageOptions
		format   string
		exitCode bool
		mtime    bool
		layers   bool
		all      bool
		flat     bool
		stat     bool
		rootfs   string
		filter   filterOptions
		logs     changelogOptions
	)
	cmd := &cobra.Command{
		Use:   "diff [BASE] DERIVED | diff BASE --rootfs DIR",
		Short: "Show what a derived OS image changes relative to its base",
		Long: `diff shows what the layers of a derived image did to its base: files added,
modified (content), changed in metadata only (mode, owner, xattrs), changed in
type, removed; packages added, removed, upgraded, downgraded; the size impact
per area; and, with --layers, what an update from BASE to DERIVED downloads.

The text output lists file changes under the package that owns them (with its
version change), then the paths no package owns. Many changes of one kind in
one directory, and what is below a directory added or removed whole, are
summed up on one line unless --all. --stat counts changes and bytes per area
and per package instead. --path and --kind keep only some file changes, in
every format; the summary (and --exit-code) then count only those.

--changelogs lists, under each upgraded or downgraded package, the entries of
its changelog between the two versions, newest first (rpm: from the rpm
header; dpkg: /usr/share/doc/PKG/changelog.Debian.gz of the image), and the
CVE ids they name; --changelogs=N at most N entries a package. A package whose
image carries no changelog says why.

With one image, the base is found from the image itself: the ostree.final-diffid
label of an encapsulated base, or the org.opencontainers.image.base.name and
.base.digest annotations buildah and podman write.`,
		Example: `  oslayer diff quay.io/fedora/fedora-bootc:41 oci:build:latest
  oslayer diff registry.example.com/os:candidate --format json
  oslayer diff --layers docker://registry/os:1.0 docker://registry/os:1.1
  oslayer diff quay.io/fedora/fedora-bootc:41 --rootfs /
  oslayer diff --stat registry/os:1.0 registry/os:1.1
  oslayer diff --path '/etc/**' --kind added,removed BASE DERIVED
  oslayer diff --path '/usr/lib/**/*.pyc' --all BASE DERIVED
  oslayer diff --changelogs=5 registry/os:1.0 registry/os:1.1`,
		Args:              cobra.RangeArgs(0, 2),
		ValidArgsFunction: completeImageArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			treeGC()
			if !slices.Contains(diffFormats, format) {
				return &exitError{code: 2, msg: fmt.Sprintf("--format %q: want text or json", format)}
			}
			f, err := filter.filter()
			if err != nil {
				return err
			}
			req := diff.Request{Rootfs: rootfs, IncludeMtime: mtime, Layers: layers, Filter: f, Stat: stat,
				Changelogs: logs.on, ChangelogLimit: logs.limit}
			switch {
			case rootfs != "" && len(args) == 1:
				req.Base = args[0]
			case rootfs == "" && len(args) == 1:
				req.Derived = args[0]
			case rootfs == "" && len(args) == 2:
				req.Base, req.Derived = args[0], args[1]
			default:
				return &exitError{code: 2, msg: "usage: oslayer diff [BASE] DERIVED, or oslayer diff BASE --rootfs DIR"}
			}
			if req.Image, err = img.layerOptions(); err != nil {
				return err
			}
			bars := startProgress(cmd)
			defer bars.stop()
			if req.Loader, err = img.loader(bars); err != nil {
				return err
			}
			defer req.Loader.Close()
			res, err := diff.Run(cmd.Context(), req)
			bars.stop()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if format == "json" {
				err = diff.WriteJSON(out, res)
			} else {
				err = diff.WriteText(out, res, diff.TextOptions{All: all, Flat: flat, Stat: stat})
			}
			if err != nil {
				return err
			}
			if exitCode && res.HasChanges() {
				return &exitError{code: 1}
			}
			return nil
		},
	}
	img.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&format, "format", "text", "output format: text or json")
	f.BoolVar(&exitCode, "exit-code", false, "exit with 1 when there are changes, like git diff")
	f.BoolVar(&mtime, "include-mtime", false, "report changes of modification time alone")
	f.BoolVar(&layers, "layers", false, "also report which layers an update from BASE to DERIVED downloads")
	f.BoolVar(&all, "all", false, "list every path: do not sum up directories added or removed whole, nor many changes in one directory")
	f.BoolVar(&flat, "flat", false, "list file changes in path order, each with its package, instead of grouped by package")
	f.BoolVar(&stat, "stat", false, "count changes and bytes per area and per package instead of listing files (JSON: adds \"stat\")")
	f.StringVar(&rootfs, "rootfs", "", "compare BASE with this directory tree instead of an image")
	filter.addFlags(cmd)
	logs.addFlags(cmd)
	completeFlag(cmd, "format", completeValues(diffFormats...))
	completeFlag(cmd, "rootfs", completeDirs)
	completeFlag(cmd, "kind", completeKinds)
	return cmd
}

// diffFormats are the values of diff's --format.
var diffFormats = []string{"text", "json"}

// filterOptions choose the file changes diff reports.
type filterOptions struct {
	// paths are globs of absolute paths; a change matching one is kept.
	paths []string
	// kinds are kinds of change to keep, as the output spells them.
	kinds []string
}

func (o *filterOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringArrayVar(&o.paths, "path", nil, "only report changes at paths matching this glob (absolute; * ? [...] within a component, ** across; a directory matches everything below it; repeatable)")
	f.StringSliceVar(&o.kinds, "kind", nil, "only report changes of this kind: added, modified, metadata, typechange, removed (repeatable or comma-separated)")
}

// filter checks the flags and returns the filter they ask for, or nil.
func (o *filterOptions) filter() (*diff.Filter, error) {
	if len(o.paths) == 0 && len(o.kinds) == 0 {
		return nil, nil
	}
	var kinds []diff.Kind
	for _, s := range o.kinds {
		k, err := diff.ParseKind(strings.TrimSpace(s))
		if err != nil {
			return nil, &exitError{code: 2, msg: fmt.Sprintf("--kind %q: %v", s, err)}
		}
		kinds = append(kinds, k)
	}
	f, err := diff.NewFilter(o.paths, kinds)
	var pe *diff.PatternError
	if errors.As(err, &pe) {
		return nil, &exitError{code: 2, msg: fmt.Sprintf("--path %q: %v", pe.Pattern, pe.Err)}
	}
	if err != nil {
		return nil, &exitError{code: 2, msg: err.Error()}
	}
	return f, nil
}

// changelogOptions are diff's --changelogs[=N].
type changelogOptions struct {
	// on adds changelogs; limit is how many entries a package shows at
	// most (0: all).
	on    bool
	limit int
}

func (o *changelogOptions) addFlags(cmd *cobra.Command) {
	cmd.Flags().Var(o, "changelogs", "under each upgraded or downgraded package, its changelog entries between the two versions (at most N; all without a number) and the CVE ids they name")
	cmd.Flags().Lookup("changelogs").NoOptDefVal = "all"
}

// String, Set and Type make the options a pflag.Value.
func (o *changelogOptions) String() string {
	switch {
	case !o.on:
		return ""
	case o.limit == 0:
		return "all"
	}
	return strconv.Itoa(o.limit)
}

func (o *changelogOptions) Set(s string) error {
	if s == "all" {
		o.on, o.limit = true, 0
		return nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return fmt.Errorf("want a number of entries, 1 or more, or all")
	}
	o.on, o.limit = true, n
	return nil
}

func (o *changelogOptions) Type() string { return "N" }
