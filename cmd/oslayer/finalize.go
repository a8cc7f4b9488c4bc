package main

import (
	"github.com/spf13/cobra"

	"github.com/oslayer/oslayer/lint"
)

func newFinalizeCmd() *cobra.Command {
	var (
		lo     lintOptions
		rootfs string
		force  bool
		fixVar bool
	)
	cmd := &cobra.Command{
		Use:   "finalize [--rootfs DIR]",
		Short: "The last RUN step of a bootable image: clean what must not ship, then lint",
		Long: `finalize runs as the last RUN step of a Containerfile. It empties /tmp,
/var/tmp, /var/cache and /run (never crossing or removing a mount point, keeping
/run/.containerenv and /run/secrets), merges and removes the sqlite write-ahead
logs of package databases, optionally moves /var content into
/usr/share/factory/var with tmpfiles.d C lines (--fix-var), then lints the root
as oslayer lint --rootfs does. A fatal finding fails the build.

Outside a container it refuses to touch / (no /run/.containerenv, /.dockerenv or
$container): it must never wipe a real machine's /tmp. --rootfs DIR works on
another root anywhere.`,
		Example: `  RUN --mount=type=bind,source=oslayer,target=/oslayer /oslayer finalize
  RUN oslayer finalize --fix-var --allow-override-path '/usr/lib/python3*/**'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			treeGC()
			if err := lo.validate(); err != nil {
				return err
			}
			root := rootfs
			if root == "" {
				root = "/"
			}
			rep, err := lint.Finalize(cmd.Context(), lint.FinalizeOptions{Root: root, Force: force, FixVar: fixVar})
			if rep != nil {
				// What was removed is worth knowing even when a later step failed.
				if werr := lint.WriteFinalizeReport(cmd.ErrOrStderr(), rep); werr != nil && err == nil {
					err = werr
				}
			}
			if err != nil {
				return err
			}
			t, err := lint.Open(cmd.Context(), lint.Input{Rootfs: root})
			if err != nil {
				return err
			}
			return lo.run(cmd, t)
		},
	}
	lo.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&rootfs, "rootfs", "", "finalize this directory instead of /")
	f.BoolVar(&force, "force", false, "finalize / even where no container marker is found")
	f.BoolVar(&fixVar, "fix-var", false, "move /var content into /usr/share/factory/var and recreate it at boot with tmpfiles.d")
	return cmd
}
