package diff

import (
	"context"
	"fmt"

	"github.com/oslayer/oslayer/internal/enum"
	"github.com/oslayer/oslayer/layer"
)

// Request says what to compare.
type Request struct {
	// Base is the base image reference; empty means find it from the
	// derived image (see layer.FindBase).
	Base string
	// Derived is the derived image reference. Empty when Rootfs is set.
	Derived string
	// Rootfs is a directory to compare with Base instead of an image.
	Rootfs string
	// Image tells how to open images.
	Image layer.Options
	// Loader reads the layers (with or without a cache).
	Loader *layer.Loader
	// IncludeMtime reports mtime-only changes.
	IncludeMtime bool
	// Layers adds the download report of an update from Base to Derived.
	Layers bool
	// Filter, if set, keeps only the file changes it matches: in Changes,
	// Summary, Stat and HasChanges.
	Filter *Filter
	// Stat adds the counts per area and per package (Result.Stat).
	Stat bool
	// Changelogs adds to upgraded and downgraded packages their changelog
	// entries between the two versions, at most ChangelogLimit of them
	// each (0: all), and the CVE ids they name (see AddChangelogs).
	Changelogs     bool
	ChangelogLimit int
}

// Comparison says how a derived image was compared with its base.
type Comparison uint8

const (
	// ComparedFull: the two filesystems were compared whole.
	ComparedFull Comparison = iota
	// ComparedLayers: the derived image starts with the base's layers, so
	// only its own layers can have changed anything.
	ComparedLayers
)

var comparisonNames = enum.Names[Comparison]{ComparedFull: "full", ComparedLayers: "layers"}

func (c Comparison) String() string { return comparisonNames.Name(c, "comparison") }

// MarshalText spells the comparison as the JSON output does.
func (c Comparison) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (c *Comparison) UnmarshalText(b []byte) error { return comparisonNames.Parse(b, "comparison", c) }

// Result is the outcome of a diff. Its JSON form is oslayer's documented
// output contract.
type Result struct {
	Base          string           `json:"base"`
	Derived       string           `json:"derived"`
	BaseDigest    string           `json:"base_digest,omitempty"`
	DerivedDigest string           `json:"derived_digest,omitempty"`
	BaseFrom      layer.BaseOrigin `json:"base_from"`
	// BaseRelease and DerivedRelease are what the images' release labels
	// say (version, barrier, dead-end), when they say anything.
	BaseRelease    *layer.Release  `json:"base_release,omitempty"`
	DerivedRelease *layer.Release  `json:"derived_release,omitempty"`
	Comparison     Comparison      `json:"comparison"`
	Notes          []string        `json:"notes,omitempty"`
	Changes        []Change        `json:"changes"`
	Packages       []PackageChange `json:"packages"`
	Summary        Summary         `json:"summary"`
	Layers         *LayerReport    `json:"layers,omitempty"`
	// Filter says how Changes were filtered (nil: they were not).
	Filter *Filtered `json:"filter,omitempty"`
	// Stat counts the changes per area and per package, if asked.
	Stat *Stat `json:"stat,omitempty"`
	// CVEsFixed are the CVE ids the changelog entries of upgraded
	// packages name, sorted (see AddChangelogs); nil unless changelogs
	// were asked for. CVEsReverted are those of downgraded packages.
	CVEsFixed    []string `json:"cves_fixed,omitzero"`
	CVEsReverted []string `json:"cves_reverted,omitempty"`
}

// HasChanges reports whether anything differs: a file or a package, or,
// when the changes were filtered, a file the filter kept.
func (r *Result) HasChanges() bool {
	if r.Filter != nil {
		return len(r.Changes) > 0
	}
	return len(r.Changes) > 0 || len(r.Packages) > 0
}

// Run compares a derived image (or rootfs) with its base.
func Run(ctx context.Context, req Request) (*Result, error) {
	if req.Rootfs != "" && req.Base == "" {
		return nil, fmt.Errorf("comparing a rootfs needs the base image: oslayer diff BASE --rootfs DIR")
	}
	if req.Layers && req.Rootfs != "" {
		return nil, fmt.Errorf("--layers compares two images, not a rootfs")
	}
	src, err := layer.OpenSource(ctx, layer.Request{
		Ref: req.Derived, Rootfs: req.Rootfs, Base: req.Base, BaseMode: layer.BaseRequired,
		Content: layer.ContentKept, Hash: true, Packages: true, Changelogs: req.Changelogs, Options: req.Image, Loader: req.Loader,
	})
	if err != nil {
		return nil, err
	}
	defer src.Close()
	base := src.Base
	comparison, notes := Comparing(src)
	res := &Result{Base: src.BaseName(), BaseDigest: base.Image.Digest.String(), BaseFrom: base.From,
		Comparison: comparison, Notes: append(src.Notes, notes...), Derived: req.Rootfs}
	if base.Image == src.Image {
		res.BaseDigest = ""
	} else {
		res.BaseRelease = imageRelease(base.Image, &res.Notes)
	}
	if src.Image != nil {
		res.Derived, res.DerivedDigest = src.Name, src.Image.Digest.String()
		res.DerivedRelease = imageRelease(src.Image, &res.Notes)
	}
	res.Changes = Changes(src, CompareOptions{IncludeMtime: req.IncludeMtime})
	if req.Filter != nil {
		res.Changes, res.Filter = req.Filter.Apply(res.Changes)
	}
	res.Packages = ComparePackages(base.Packages, src.Packages)
	if req.Changelogs {
		if err := AddChangelogs(ctx, src, res, req.ChangelogLimit); err != nil {
			return nil, err
		}
	}
	res.Summary = Summarize(res.Changes)
	if req.Stat {
		res.Stat = StatOf(res.Changes)
	}
	if res.Comparison == ComparedLayers {
		res.Summary.BaseLayers = base.Layers
		for _, l := range src.Image.Layers[base.Layers:] {
			res.Summary.DerivedLayers++
			res.Summary.DerivedBytes += l.Size
		}
	}
	if req.Layers {
		res.Layers = CompareLayers(base.Prefix(), src.Image)
	}
	return res, nil
}

// Comparing says how a source is compared with its base: by its own
// layers when it is an image that starts with the base's layers, else
// whole; the notes say why when that is a surprise.
func Comparing(src *layer.Source) (Comparison, []string) {
	if src.Image == nil {
		return ComparedFull, nil
	}
	if src.Base.SharesLayers(src.Image) {
		return ComparedLayers, nil
	}
	return ComparedFull, []string{fmt.Sprintf("the base's layers are not the first layers of %s (rebased or squashed?): compared the whole filesystems", src.Name)}
}

// Changes compares a source with its base and names the packages that
// own the changed paths.
func Changes(src *layer.Source, opts CompareOptions) []Change {
	changes := Compare(src.Base.Tree, src.Tree, opts)
	if changes == nil {
		changes = []Change{}
	}
	Attribute(changes, layer.NewOwners(src.Base.Tree, src.Base.Packages), layer.NewOwners(src.Tree, src.Packages))
	return changes
}
