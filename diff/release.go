package diff

import (
	"fmt"

	"github.com/oslayer/oslayer/layer"
)

// imageRelease reads what an image's labels say about it as a release:
// nil when they say nothing; malformed labels are a note, not an error,
// since diff compares any two images.
func imageRelease(img *layer.Image, notes *[]string) *layer.Release {
	if img == nil {
		return nil
	}
	r, err := img.Release()
	if err != nil {
		*notes = append(*notes, fmt.Sprintf("release labels: %v", err))
		return nil
	}
	if r.IsZero() {
		return nil
	}
	return &r
}

// releaseCell is a release for a line of text output.
func releaseCell(r *layer.Release) string {
	if r == nil {
		return ""
	}
	return "release " + r.String()
}
