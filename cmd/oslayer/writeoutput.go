package main

import (
	"encoding/json"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"
)

// writeOutput are the flags of commands that write an image: what to say
// on stdout about it, and skopeo's --digestfile.
type writeOutput struct {
	format     string
	digestfile string
}

func (o *writeOutput) addFlags(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.format, "format", "text", "what to print about the image written: text (a summary on stderr) or json (on stdout)")
	cmd.Flags().StringVar(&o.digestfile, "digestfile", "", "write the manifest digest of the image written to this file, as skopeo copy does")
	completeFlag(cmd, "format", completeValues("text", "json"))
}

func (o *writeOutput) validate() error {
	if o.format != "text" && o.format != "json" {
		return &exitError{code: 2, msg: fmt.Sprintf("--format %q: want text or json", o.format)}
	}
	return nil
}

// written reports an image written with digest: the digest file, and the
// report as JSON on w with --format json.
func (o *writeOutput) written(w io.Writer, digest v1.Hash, report any) error {
	if o.digestfile != "" {
		if err := atomicWrite(o.digestfile, func(w io.Writer) error { _, err := io.WriteString(w, digest.String()); return err }); err != nil {
			return fmt.Errorf("--digestfile: %w", err)
		}
	}
	if o.format != "json" {
		return nil
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(report)
}
