package main

import (
	"fmt"
	"slices"

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
		rootfs   string
	)
	cmd := &cobra.Command{
		Use:   "diff [BASE] DERIVED | diff BASE --rootfs DIR",
		Short: "Show what a derived OS image changes relative to its base",
		Long: `diff shows what the layers of a derived image did to its base: files added,
modified (content), changed in metadata only (mode, owner, xattrs), changed in
type, removed; packages added, removed, upgraded, downgraded; the size impact
per area; and, with --layers, what an update from BASE to DERIVED downloads.

With one image, the base is found from the image itself: the ostree.final-diffid
label of an encapsulated base, or the org.opencontainers.image.base.name and
.base.digest annotations buildah and podman write.`,
		Example: `  oslayer diff quay.io/fedora/fedora-bootc:41 oci:build:latest
  oslayer diff registry.example.com/os:candidate --format json
  oslayer diff --layers docker://registry/os:1.0 docker://registry/os:1.1
  oslayer diff quay.io/fedora/fedora-bootc:41 --rootfs /`,
		Args:              cobra.RangeArgs(0, 2),
		ValidArgsFunction: completeImageArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			treeGC()
			if !slices.Contains(diffFormats, format) {
				return &exitError{code: 2, msg: fmt.Sprintf("--format %q: want text or json", format)}
			}
			req := diff.Request{Rootfs: rootfs, IncludeMtime: mtime, Layers: layers}
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
			var err error
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
				err = diff.WriteText(out, res, diff.TextOptions{All: all})
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
	f.BoolVar(&all, "all", false, "list every path of directories added or removed whole")
	f.StringVar(&rootfs, "rootfs", "", "compare BASE with this directory tree instead of an image")
	completeFlag(cmd, "format", completeValues(diffFormats...))
	completeFlag(cmd, "rootfs", completeDirs)
	return cmd
}

// diffFormats are the values of diff's --format.
var diffFormats = []string{"text", "json"}
