package main

import (
	"fmt"
	"os"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/layer"
)

// checkReleaseLabels refuses --label values that would make a malformed
// release (a barrier flag that is not true or false, an empty dead-end
// reason, an unknown org.oslayer.release. label), and warns when the
// version is one oslayer graph cannot order.
func checkReleaseLabels(set map[string]*string) error {
	if err := layer.CheckReleaseLabels(set); err != nil {
		return &exitError{code: 2, msg: "--label: " + err.Error()}
	}
	if v := set[layer.VersionLabel]; v != nil {
		if _, err := diff.ParseVersion(*v); err != nil {
			fmt.Fprintf(os.Stderr, "oslayer: warning: --label %s: %v: oslayer graph will skip the image\n", layer.VersionLabel, err)
		}
	}
	return nil
}
