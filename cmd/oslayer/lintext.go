package main

import (
	"github.com/spf13/cobra"

	"github.com/oslayer/oslayer/lint"
)

// extensionLintOptions are lint's flags for a systemd extension image.
type extensionLintOptions struct {
	// host is the image the extension is merged on; mutableDir a copy of
	// a host's /var/lib/extensions.mutable.
	host, mutableDir string
}

func (o *extensionLintOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.host, "host", "", "lint IMAGE as a systemd extension (NAME.raw or a directory) to merge on this host image")
	f.StringVar(&o.mutableDir, "mutable-dir", "", "with --host, a copy of the host's /var/lib/extensions.mutable: find local files that shadow the extension's")
	completeFlag(cmd, "host", completeImage)
	completeFlag(cmd, "mutable-dir", completeDirs)
}

// given reports whether the extension mode was asked for.
func (o *extensionLintOptions) given() bool { return o.host != "" || o.mutableDir != "" }

// run lints the extension image args[0] against the host.
func (o *extensionLintOptions) run(cmd *cobra.Command, args []string, img imageOptions, lo *lintOptions, others bool) error {
	switch {
	case o.host == "":
		return &exitError{code: 2, msg: "--mutable-dir needs --host: an extension is judged against its host"}
	case len(args) != 1:
		return &exitError{code: 2, msg: "usage: oslayer lint NAME.raw --host IMAGE"}
	case others:
		return &exitError{code: 2, msg: "--host lints an extension image: --rootfs, --base, --previous and --etc do not apply"}
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
	t, err := lint.OpenExtension(cmd.Context(), lint.ExtensionInput{Path: args[0], Host: o.host, MutableDir: o.mutableDir, Image: iopts, Loader: loader})
	if err != nil {
		return err
	}
	return lo.run(cmd, t, bars)
}
