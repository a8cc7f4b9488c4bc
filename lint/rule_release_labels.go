package lint

import (
	"context"
	"fmt"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/layer"
)

var releaseLabels = &Rule{
	ID: "release-labels", Level: Fatal, Source: "oslayer",
	Description: "release labels oslayer graph can use: org.oslayer.release.* well-formed, a version it can order, none inherited from the base",
	Help: "oslayer graph makes the update graph of a repository from its images' labels: " + layer.VersionLabel + " (SemVer, or rpm-style such as 42.20250410.3.0), " +
		layer.BarrierLabel + "=true (no update skips the release) and " + layer.DeadEndLabel + "=REASON (no update leaves it). " +
		"A misspelt or malformed flag is fatal: the release would silently lose its barrier. " +
		"Labels are inherited by every image built FROM this one: a derived image that keeps its base's version is the same release as every other build on that base, and a barrier or dead-end flag of the base is rarely meant for it. " +
		"Set the release's own (LABEL in the Containerfile, or --label on oslayer chunk and butane --dest; --label KEY- removes one).",
	Applies: func(t *Target) (bool, string) {
		if t.Image == nil {
			return false, "labels are not visible in a rootfs"
		}
		return true, ""
	},
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		rel, err := layer.ReleaseOf(t.Labels())
		if err != nil {
			return []Finding{finding("", "", err.Error())}, nil
		}
		var out []Finding
		warn := func(format string, args ...any) {
			f := finding("", "", fmt.Sprintf(format, args...))
			f.Level = Warning
			out = append(out, f)
		}
		if rel.Version != "" {
			if _, err := diff.ParseVersion(rel.Version); err != nil {
				warn("%v: oslayer graph skips the image", err)
			}
		}
		// A base found from the target's own ostree.final-diffid has the
		// target's labels: nothing to tell apart.
		if t.Base == nil || t.Base.Image == nil || t.Base.Image.Digest == t.Image.Digest {
			return out, nil
		}
		base, err := layer.ReleaseOf(t.Base.Image.Labels())
		if err != nil {
			return out, nil
		}
		if rel.Version != "" && rel.Version == base.Version {
			warn("%s=%s is the base's: every image built on this base would be the same release; label the release's own version", layer.VersionLabel, rel.Version)
		}
		if rel.Barrier && base.Barrier {
			warn("%s=true is inherited from the base: remove it unless this release is a barrier too", layer.BarrierLabel)
		}
		if rel.DeadEnd != "" && rel.DeadEnd == base.DeadEnd {
			warn("%s=%s is inherited from the base: remove it unless this release is a dead-end too", layer.DeadEndLabel, rel.DeadEnd)
		}
		return out, nil
	},
}
