package layer

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// Release labels: what an image says about itself as a release of an OS
// stream. The version is the OCI standard label; the flags are oslayer's,
// under one prefix, and oslayer graph turns them into an update graph.
const (
	// VersionLabel is the release's version.
	VersionLabel = "org.opencontainers.image.version"
	// ReleaseLabelPrefix starts every release flag of oslayer's own.
	ReleaseLabelPrefix = "org.oslayer.release."
	// BarrierLabel, "true", makes the release a barrier: every machine
	// updates to it before going further (it migrates something). "false"
	// is the same as no label.
	BarrierLabel = ReleaseLabelPrefix + "barrier"
	// DeadEndLabel makes the release a dead-end: machines on it get no
	// update. Its value is the reason shown to them (a sentence or a URL).
	DeadEndLabel = ReleaseLabelPrefix + "deadend"
)

// Release is what an image's labels say about it as a release.
type Release struct {
	// Version is the org.opencontainers.image.version label ("" when the
	// image has none).
	Version string `json:"version,omitempty"`
	// Barrier: no update skips this release.
	Barrier bool `json:"barrier,omitempty"`
	// DeadEnd is why no update leaves this release; "" when updates do.
	DeadEnd string `json:"deadend,omitempty"`
}

// IsZero reports whether the labels said nothing about a release.
func (r Release) IsZero() bool { return r == (Release{}) }

// Flags lists the release's flags for people: "barrier", "dead-end: REASON".
func (r Release) Flags() []string {
	var out []string
	if r.Barrier {
		out = append(out, "barrier")
	}
	if r.DeadEnd != "" {
		out = append(out, "dead-end: "+r.DeadEnd)
	}
	return out
}

// String is the version and the flags, as text output shows them.
func (r Release) String() string {
	v := r.Version
	if v == "" {
		v = "(no version)"
	}
	if f := r.Flags(); len(f) > 0 {
		v += " (" + strings.Join(f, "; ") + ")"
	}
	return v
}

// ReleaseLabelError is a release label with a value oslayer cannot use.
type ReleaseLabelError struct {
	Label, Value, Problem string
}

func (e *ReleaseLabelError) Error() string {
	return fmt.Sprintf("label %s=%q: %s", e.Label, e.Value, e.Problem)
}

// ReleaseOf reads the release labels. A flag with a value that means
// nothing, an empty dead-end reason, and an unknown label under
// ReleaseLabelPrefix (a misspelt barrier would silently be no barrier)
// are errors.
func ReleaseOf(labels map[string]string) (Release, error) {
	var r Release
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		v := labels[k]
		if err := checkReleaseLabel(k, v); err != nil {
			return Release{}, err
		}
		switch k {
		case VersionLabel:
			r.Version = v
		case BarrierLabel:
			r.Barrier = v == "true"
		case DeadEndLabel:
			r.DeadEnd = v
		}
	}
	return r, nil
}

// CheckReleaseLabels checks labels about to be set (nil values are labels
// being removed) as ReleaseOf would read them, so that an image is never
// written with release labels that oslayer graph refuses.
func CheckReleaseLabels(set map[string]*string) error {
	for _, k := range slices.Sorted(maps.Keys(set)) {
		if v := set[k]; v != nil {
			if err := checkReleaseLabel(k, *v); err != nil {
				return err
			}
		}
	}
	return nil
}

func checkReleaseLabel(k, v string) error {
	switch k {
	case VersionLabel:
		if strings.TrimSpace(v) == "" {
			return &ReleaseLabelError{k, v, "empty version"}
		}
	case BarrierLabel:
		if v != "true" && v != "false" {
			return &ReleaseLabelError{k, v, "want true or false"}
		}
	case DeadEndLabel:
		if strings.TrimSpace(v) == "" {
			return &ReleaseLabelError{k, v, "empty reason: give why machines on this release get no update (a sentence or a URL), or remove the label"}
		}
	default:
		if strings.HasPrefix(k, ReleaseLabelPrefix) {
			return &ReleaseLabelError{k, v, "unknown release label: the known ones are " + BarrierLabel + " and " + DeadEndLabel}
		}
	}
	return nil
}

// Release reads the image's release labels (see ReleaseOf).
func (i *Image) Release() (Release, error) {
	r, err := ReleaseOf(i.Labels())
	if err != nil {
		return Release{}, fmt.Errorf("%s: %w", i.Ref, err)
	}
	return r, nil
}
