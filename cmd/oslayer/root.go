package main

import (
	"github.com/spf13/cobra"
)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "oslayer",
		Short: "Inspect, check and rewrite bootable OS container images",
		Long: `oslayer works on bootable OS container images (bootc, ostree-native) and the
images derived from them with Containerfiles.

Images are named as podman and skopeo users name them: docker://HOST/REPO:TAG
(the default when no transport is given), oci:DIR[:REF], oci-archive:FILE[:REF],
docker-archive:FILE[:TAG].

Exit codes: 0 success, 1 policy failure (e.g. diff --exit-code found changes),
2 usage error, bad input or I/O failure.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// --version prints what oslayer version prints.
		Version: thisBuild().String(),
	}
	root.SetVersionTemplate("oslayer {{.Version}}\n")
	root.PersistentFlags().BoolP("quiet", "q", false, "draw no progress bars (they are drawn only when stderr is a terminal)")
	root.AddCommand(newVersionCmd(), newDiffCmd(), newLintCmd(), newFinalizeCmd(), newButaneCmd(), newChunkCmd(), newGraphCmd(), newSysextCmd(), newManCmd())
	return root
}
