package lint

import (
	"context"
	"strings"
	"sync"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/layer/pkgdb"
)

// Target is what the rules look at.
type Target struct {
	// Name is the image reference or the rootfs directory.
	Name string
	Tree *layer.Tree
	// Image is the image linted; nil in rootfs mode.
	Image *layer.Image
	// Running is set when the rootfs is the root of the running system,
	// as inside a container build: runtime-injected files are expected,
	// and the checks bootc runs on the live root only (var-tmpfiles) run.
	Running  bool
	Packages []*pkgdb.DB
	Owners   layer.Owners
	// Base is what the target is compared with; nil without a base.
	Base *Base
	// Previous is the release machines upgrade from; nil unless asked.
	Previous *Previous
	// Extension is set when the target is a systemd extension image,
	// judged against a host image.
	Extension *Extension
	// InvalidNames are rootfs paths left out because their name or link
	// target is not UTF-8.
	InvalidNames []string
	// Volumes are VOLUME paths given for a rootfs (Input.Volumes); see
	// volumes for all of them.
	Volumes []string
	// Notes tell users how the target was judged.
	Notes []string
	// Options are the user's choices.
	Options Options

	verifyOnce sync.Once
	verified   []diff.Change
	verifyErr  error
	source     *layer.Source
}

// Base is a target's base and what the target changes relative to it.
type Base struct {
	Name string
	From layer.BaseOrigin
	// Image is the base image, for its labels.
	Image *layer.Image
	// Whole is set when the base is the whole target image (an
	// ostree-encapsulated base linted on its own): no derived layers, so
	// no finding is told new from inherited.
	Whole    bool
	Tree     *layer.Tree
	Packages []*pkgdb.DB
	// Changes are the paths the target changes, attributed to the base's
	// packages (added paths to the target's).
	Changes []diff.Change
	// PackageChanges are the packages the target adds, removes or changes.
	PackageChanges []diff.PackageChange
}

// Options are the user's choices for a run.
type Options struct {
	// Skip names rules not to run.
	Skip []string
	// AllowOverride accepts every change to base content under /usr, as
	// LABEL ostree.override=true does (labels are invisible inside a build).
	AllowOverride bool
	// AllowOverridePaths accepts changes to base content at paths matching
	// these patterns (see MatchPath).
	AllowOverridePaths []string
	// IncludeInherited keeps the findings the base has too (see Run).
	IncludeInherited bool
}

// Input says what to lint and how to open it.
type Input struct {
	// Ref is an image reference; Rootfs a directory. Exactly one is set.
	Ref, Rootfs string
	// Base is the base image reference. Empty means: for an image, the
	// base it names (or none, when it names none: checks relative to a
	// base then use the package records); for a rootfs, none.
	Base string
	// Volumes are VOLUME paths the image declares, for a rootfs, which has
	// no image config (finalize --volume: a build cannot see its VOLUMEs).
	Volumes []string
	// Previous names the release machines upgrade from (an image
	// reference); Etc a machine's /etc to predict its merge.
	Previous, Etc string
	Image         layer.Options
	Loader        *layer.Loader
}

// Open opens a target and its base. A rootfs is compared with its base
// only when one is given; without one, base content is judged by the
// package records.
func Open(ctx context.Context, in Input) (*Target, error) {
	t := &Target{}
	req := layer.Request{
		Ref: in.Ref, Rootfs: in.Rootfs, Base: in.Base, BaseMode: layer.BaseOptional,
		Content: layer.ContentKept, Packages: true, Options: in.Image, Loader: in.Loader,
	}
	if in.Rootfs != "" {
		req.Hash = in.Base != "" || in.Previous != ""
		req.Invalid = func(p string) { t.InvalidNames = append(t.InvalidNames, "/"+p) }
	}
	src, err := layer.OpenSource(ctx, req)
	if err != nil {
		return nil, err
	}
	t.source = src
	t.Name, t.Image, t.Tree, t.Packages = src.Name, src.Image, src.Tree, src.Packages
	t.Running = src.Dir == "/"
	t.Volumes = in.Volumes
	t.Notes = append(t.Notes, src.Notes...)
	if src.Base == nil && src.Image != nil {
		t.Notes = append(t.Notes, "no base image known (pass --base): changes to base content are judged against the package databases")
	}
	if src.Base != nil {
		_, notes := diff.Comparing(src)
		t.Notes = append(t.Notes, notes...)
		t.Base = &Base{
			Name: src.BaseName(), From: src.Base.From, Image: src.Base.Prefix(), Tree: src.Base.Tree, Packages: src.Base.Packages,
			Changes:        diff.Changes(src, diff.CompareOptions{}),
			PackageChanges: diff.ComparePackages(src.Base.Packages, src.Packages),
			Whole:          src.Image != nil && src.Base.Layers == len(src.Image.Layers) && src.Base.SharesLayers(src.Image),
		}
	}
	t.Owners = layer.NewOwners(t.Tree, t.Packages)
	if in.Previous != "" {
		if err := t.openPrevious(ctx, in); err != nil {
			t.Close()
			return nil, err
		}
	}
	return t, nil
}

// Close releases the images the target holds.
func (t *Target) Close() error {
	if t.Previous != nil {
		t.Previous.source.Close()
	}
	if t.Extension != nil {
		t.Extension.host.Close()
	}
	if t.source == nil {
		return nil
	}
	return t.source.Close()
}

// Labels returns the image's labels; none in rootfs mode.
func (t *Target) Labels() map[string]string {
	if t.Image == nil {
		return map[string]string{}
	}
	return t.Image.Labels()
}

// Mode is "image", "rootfs" or "extension".
func (t *Target) Mode() string {
	if t.Extension != nil {
		return "extension"
	}
	if t.Image == nil {
		return "rootfs"
	}
	return "image"
}

// lookup returns the node at an absolute path, not following a final
// symlink, or nil.
func (t *Target) lookup(abs string) *layer.Node {
	return t.Tree.Lookup(strings.TrimPrefix(abs, "/"))
}
