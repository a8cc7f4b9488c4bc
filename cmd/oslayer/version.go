package main

import (
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/debug"
	"slices"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=v1.2.3".
var version = ""

// buildInfo is what oslayer version prints.
type buildInfo struct {
	// Version is the one set at link time, else the module version Go
	// recorded (go install ...@v1.2.3, or the version Go derives from
	// the repository's tags), else devel-REVISION, else devel.
	Version string `json:"version"`
	// Commit is the VCS revision built, "" when Go recorded none.
	Commit string `json:"commit"`
	// Modified says the working tree had changes (vcs.modified).
	Modified bool   `json:"modified"`
	Go       string `json:"go"`
	Platform string `json:"platform"`
}

// readBuildInfo reads the version of this binary: linked is the version
// set at link time, info what Go recorded (nil when nothing).
func readBuildInfo(linked string, info *debug.BuildInfo) buildInfo {
	b := buildInfo{Version: linked, Go: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if info == nil {
		if b.Version == "" {
			b.Version = "devel"
		}
		return b
	}
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Commit = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		}
	}
	switch v := info.Main.Version; {
	case b.Version != "":
	case v != "" && v != "(devel)":
		b.Version = v
	case b.Commit != "":
		b.Version = "devel-" + b.Commit[:min(12, len(b.Commit))]
		if b.Modified {
			b.Version += "+dirty"
		}
	default:
		b.Version = "devel"
	}
	return b
}

// thisBuild is the version of the running binary.
func thisBuild() buildInfo {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		info = nil
	}
	return readBuildInfo(version, info)
}

// buildVersion is the version of the running binary, as tools that name
// oslayer (SARIF) want it.
func buildVersion() string { return thisBuild().Version }

// String is the version line, without the program's name.
func (b buildInfo) String() string {
	s := b.Version + " ("
	if b.Commit != "" {
		s += "commit " + b.Commit[:min(12, len(b.Commit))]
		if b.Modified {
			s += ", modified"
		}
		s += ", "
	}
	return s + b.Go + ", " + b.Platform + ")"
}

// versionFormats are the values of version's --format.
var versionFormats = []string{"text", "json"}

func newVersionCmd() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print oslayer's version",
		Long: `version prints oslayer's version: the one it was built with (-ldflags
"-X main.version=..."), else its module version, else the commit it was built
from, else "devel". With --format json: version, commit, whether the working
tree was modified, the Go version and the platform. oslayer --version prints
the text line too.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !slices.Contains(versionFormats, format) {
				return &exitError{code: 2, msg: fmt.Sprintf("--format %q: want text or json", format)}
			}
			b := thisBuild()
			if format == "json" {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(b)
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "oslayer %s\n", b)
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "text", "output format: text or json")
	completeFlag(cmd, "format", completeValues(versionFormats...))
	return cmd
}
