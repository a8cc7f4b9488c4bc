package main

import (
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"

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

// writtenRelease is what the labels of an image written say about it as a
// release, for --format json; nil when nothing (or nothing well-formed).
func writtenRelease(img v1.Image) *layer.Release {
	cf, err := img.ConfigFile()
	if err != nil {
		return nil
	}
	r, err := layer.ReleaseOf(cf.Config.Labels)
	if err != nil || r.IsZero() {
		return nil
	}
	return &r
}
