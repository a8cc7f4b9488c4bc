package main

import (
	"fmt"
	"os"
	"slices"

	"github.com/spf13/cobra"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/layer"
)

func newGraphCmd() *cobra.Command {
	var (
		img         imageOptions
		format      string
		payloadRepo string
	)
	cmd := &cobra.Command{
		Use:   "graph REPO | graph REF...",
		Short: "Print the update graph of a repository's releases, as Cincinnati serves it to Zincati",
		Long: `graph reads the release labels of every tag of a registry repository (or of
the images given) and prints their update graph: an update from every release
to every newer one, except that no update goes past a barrier
(org.oslayer.release.barrier=true) and none leaves a dead-end
(org.oslayer.release.deadend=REASON), with the bytes each update downloads.
Only manifests and configs are read, never layers.

Releases are ordered by their org.opencontainers.image.version labels: as
SemVer when every one is a SemVer version, else by rpm's rules. Tags without
a version label, or with one that orders by neither, are skipped and listed;
several tags of one image are one release. The graph is per platform
(--platform, default this machine's): payloads are REPO@DIGEST of that
platform's image, as bootc records the image it deployed.

--format json prints the graph as a Cincinnati /v1/graph response, the one
Zincati reads: nodes with version, payload and metadata (all strings),
edges as [from, to] node indices. What an update downloads is in its target's
metadata, under org.oslayer.graph.download_bytes.from.<source version>.`,
		Example: `  oslayer graph docker://registry.example/myos
  oslayer graph --format json registry.example/myos > graph.json
  oslayer graph registry.example/myos:1.0 registry.example/myos:1.1 registry.example/myos:2.0
  oslayer graph --payload-repo registry.example/myos oci:build:1.0 oci:build:1.1`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completeImage,
		RunE: func(cmd *cobra.Command, args []string) error {
			if !slices.Contains(graphFormats, format) {
				return &exitError{code: 2, msg: fmt.Sprintf("--format %q: want text or json", format)}
			}
			req := diff.GraphRequest{Refs: args}
			if repo, ok := layer.RepositoryOf(args[0]); ok && len(args) == 1 {
				req = diff.GraphRequest{Repository: repo}
			}
			for _, a := range req.Refs {
				if _, ok := layer.RepositoryOf(a); ok {
					return &exitError{code: 2, msg: fmt.Sprintf("%s is a repository: give it alone (its tags are the releases), or give references with a tag or digest", a)}
				}
			}
			if payloadRepo != "" {
				repo, ok := layer.RepositoryOf(payloadRepo)
				if !ok {
					return &exitError{code: 2, msg: fmt.Sprintf("--payload-repo %q: want a registry repository, HOST/REPO without tag or digest", payloadRepo)}
				}
				var err error
				if req.PayloadRepository, err = (layer.Reference{Transport: layer.TransportDocker, Name: repo}).Repository(); err != nil {
					return &exitError{code: 2, msg: fmt.Sprintf("--payload-repo: %v", err)}
				}
			}
			var err error
			if req.Image, err = img.layerOptions(); err != nil {
				return err
			}
			g, err := diff.Graph(cmd.Context(), req)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if format == "text" {
				return diff.WriteGraphText(out, g)
			}
			for _, s := range g.Skipped {
				fmt.Fprintf(os.Stderr, "oslayer: warning: skipped %s: %s\n", s.Name, s.Reason)
			}
			return diff.WriteGraphJSON(out, g)
		},
	}
	img.addFlags(cmd)
	f := cmd.Flags()
	// Only manifests and configs are read: no layer, so no layer cache.
	f.MarkHidden("no-cache")
	f.MarkHidden("max-expand")
	f.StringVar(&format, "format", "text", "output format: text or json (the Cincinnati graph)")
	f.StringVar(&payloadRepo, "payload-repo", "", "the registry repository clients pull the releases from, for the payloads (default: each image's own)")
	completeFlag(cmd, "format", completeValues(graphFormats...))
	return cmd
}

// graphFormats are the values of graph's --format.
var graphFormats = []string{"text", "json"}
