package lint

import (
	"context"
	"fmt"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/layer/pkgdb"
)

// Previous is the release before the target, what machines upgrading to
// the target run now (lint --previous OLD NEW).
type Previous struct {
	Name     string
	Image    *layer.Image // nil for a rootfs
	Tree     *layer.Tree
	Packages []*pkgdb.DB
	// Changes are what the target changes relative to it.
	Changes []diff.Change
	// Etc is a machine's /etc (--etc DIR), to predict its merge; empty
	// when none is given.
	Etc string
	// Download is what the upgrade fetches; nil when either side is a
	// rootfs.
	Download *diff.LayerReport

	source *layer.Source
}

// openPrevious opens the previous release with the target's loader and
// options and compares the target with it.
func (t *Target) openPrevious(ctx context.Context, in Input) error {
	if in.Etc != "" {
		if _, err := readMachineEtc(in.Etc); err != nil {
			return err
		}
	}
	src, err := layer.OpenSource(ctx, layer.Request{
		Ref: in.Previous, Content: layer.ContentKept, Packages: true, Options: in.Image, Loader: in.Loader,
	})
	if err != nil {
		return fmt.Errorf("--previous: %w", err)
	}
	p := &Previous{Name: src.Name, Image: src.Image, Tree: src.Tree, Packages: src.Packages, Etc: in.Etc, source: src}
	p.Changes = diff.Compare(p.Tree, t.Tree, diff.CompareOptions{})
	diff.Attribute(p.Changes, layer.NewOwners(p.Tree, p.Packages), t.Owners)
	if p.Image != nil && t.Image != nil {
		p.Download = diff.CompareLayers(p.Image, t.Image)
	}
	t.Previous = p
	return nil
}

// Update is what the upgrade from the previous release costs.
type Update struct {
	Previous string `json:"previous"`
	// Download is nil when either release is a root filesystem.
	Download *diff.LayerReport `json:"download,omitempty"`
}
