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
		dryRun bool
		// writeVolumes keeps what is written at the volumes: bind mounts
		// from /var, tmpfiles.d lines.
		writeVolumes bool
		volumes      []string
	)
	cmd := &cobra.Command{
		Use:   "finalize [--rootfs DIR]",
		Short: "The last RUN step of a bootable image: clean what must not ship, then lint",
		Long: `finalize runs as the last RUN step of a Containerfile. It empties /tmp,
/var/tmp, /var/cache and /run (never crossing or removing a mount point, keeping
/run/.containerenv and /run/secrets), merges and removes the sqlite write-ahead
logs of package databases, optionally moves /var content into
/usr/share/factory/var with tmpfiles.d C lines (--fix-var; package databases stay
where they are), keeps the image's VOLUMEs on a booted system (--volumes),
then lints the root as oslayer lint --rootfs does. A fatal finding fails the
build, and the fatal findings go to stderr too (under podman build -q, stdout
is not shown).

It cleans / only when / is a bootable image being built in a container: a
container marker (/run/.containerenv, /.dockerenv or $container), no sign of a
booted system (/run/ostree-booted, /run/systemd/system), PID 1 not the init of a
long-running container (a toolbox, a CI job, a devcontainer), and a kernel in
/usr/lib/modules/<version>/vmlinuz or bootc/ostree markers. Otherwise it deletes
nothing and exits 2 saying which check failed. --rootfs DIR cleans another
root anywhere; --dry-run lists what would be removed and changes nothing.

A path that cannot be removed (an immutable or busy file) does not stop the
others: the report counts what was removed, and finalize exits 2 naming every
path left.

A build cannot see the image's VOLUME lines: name each with --volume PATH. lint
then warns about those outside /var and /etc, which a booted system does not
mount as volumes. --volumes keeps them: for a VOLUME in the image, a bind mount
unit from /var/lib/volumes/NAME (NAME as systemd-escape --path names it),
enabled in local-fs.target.wants, with its directory in tmpfiles.d; the image's
content at PATH moves below /usr/share/factory and is copied into the volume at
first boot. A VOLUME in /var gets its tmpfiles.d line, one in /etc nothing. Put
the VOLUME lines after this step: the builder mounts a volume at each for later
RUN steps.`,
		Example: `  RUN --mount=type=bind,source=oslayer,target=/oslayer /oslayer finalize
  RUN oslayer finalize --fix-var --allow-override-path '/usr/lib/python3*/**'
  RUN oslayer finalize --volumes --volume /opt/app/data
  VOLUME /opt/app/data
  oslayer finalize --rootfs /mnt/root --dry-run`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			treeGC()
			if err := lo.validate(); err != nil {
				return err
			}
			if writeVolumes && len(volumes) == 0 {
				return &exitError{code: 2, msg: "--volumes: name each VOLUME with --volume PATH (a build cannot see the image's VOLUME lines)"}
			}
			root := rootfs
			if root == "" {
				root = "/"
			}
			fopts := lint.FinalizeOptions{Root: root, Force: force, FixVar: fixVar, DryRun: dryRun}
			if writeVolumes {
				fopts.Volumes = volumes
			}
			rep, err := lint.Finalize(cmd.Context(), fopts)
			if rep != nil {
				// What was removed is worth knowing even when a later step failed.
				if werr := lint.WriteFinalizeReport(cmd.ErrOrStderr(), rep); werr != nil && err == nil {
					err = werr
				}
			}
			if err != nil || dryRun {
				return err
			}
			t, err := lint.Open(cmd.Context(), lint.Input{Rootfs: root, Volumes: volumes})
			if err != nil {
				return err
			}
			lo.fatalToStderr = cmd.ErrOrStderr()
			return lo.run(cmd, t, nil) // a rootfs: no layers to read
		},
	}
	lo.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&rootfs, "rootfs", "", "finalize this directory instead of /")
	f.BoolVar(&force, "force", false, "finalize / without checking that it is a bootable image being built in a container")
	f.BoolVar(&fixVar, "fix-var", false, "move /var content into /usr/share/factory/var and recreate it at boot with tmpfiles.d")
	f.BoolVar(&writeVolumes, "volumes", false, "keep the --volume paths on a booted system: bind mounts from /var/lib/volumes, tmpfiles.d lines")
	f.StringArrayVar(&volumes, "volume", nil, "a VOLUME of the image, which a build cannot see (repeatable)")
	f.BoolVar(&dryRun, "dry-run", false, "list what would be removed, merged and moved; change nothing (and do not lint)")
	completeFlag(cmd, "rootfs", completeDirs)
	return cmd
}
