package diff

import (
	"context"
	"fmt"

	"golang.org/x/sync/errgroup"

	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/layer/pkgdb"
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
}

// Comparison modes.
const (
	// ComparedLayers: the derived image starts with the base's layers, so
	// only its own layers can have changed anything.
	ComparedLayers = "layers"
	// ComparedFull: the two filesystems were compared whole.
	ComparedFull = "full"
)

// Result is the outcome of a diff. Its JSON form is oslayer's documented
// output contract.
type Result struct {
	Base          string          `json:"base"`
	Derived       string          `json:"derived"`
	BaseDigest    string          `json:"base_digest,omitempty"`
	DerivedDigest string          `json:"derived_digest,omitempty"`
	BaseFrom      string          `json:"base_from"`
	Comparison    string          `json:"comparison"`
	Notes         []string        `json:"notes,omitempty"`
	Changes       []Change        `json:"changes"`
	Packages      []PackageChange `json:"packages"`
	Summary       Summary         `json:"summary"`
	Layers        *LayerReport    `json:"layers,omitempty"`
}

// HasChanges reports whether anything differs.
func (r *Result) HasChanges() bool { return len(r.Changes) > 0 || len(r.Packages) > 0 }

// Run compares a derived image (or rootfs) with its base.
func Run(ctx context.Context, req Request) (*Result, error) {
	if req.Rootfs != "" && req.Base == "" {
		return nil, fmt.Errorf("comparing a rootfs needs the base image: oslayer diff BASE --rootfs DIR")
	}
	if req.Layers && req.Rootfs != "" {
		return nil, fmt.Errorf("--layers compares two images, not a rootfs")
	}
	var derived *layer.Image
	if req.Rootfs == "" {
		var err error
		if derived, err = layer.Open(ctx, req.Derived, req.Image); err != nil {
			return nil, err
		}
		defer derived.Close()
	}
	base, err := openBase(ctx, req, derived)
	if err != nil {
		return nil, err
	}
	if base.Image != derived {
		defer base.Image.Close()
	}

	res := &Result{Base: base.Image.Ref.String(), BaseDigest: base.Image.Digest.String(), BaseFrom: base.From,
		Comparison: ComparedFull, Packages: []PackageChange{}}
	if base.Note != "" {
		res.Notes = append(res.Notes, base.Note)
	}
	if base.Image == derived {
		res.Base = fmt.Sprintf("%s (its first %d layers)", derived.Ref, base.Layers)
		res.BaseDigest = ""
	}
	if derived != nil {
		res.Derived, res.DerivedDigest = derived.Ref.String(), derived.Digest.String()
		if base.SharesLayers(derived) {
			res.Comparison = ComparedLayers
		} else {
			res.Notes = append(res.Notes, fmt.Sprintf("the base's layers are not the first layers of %s (rebased or squashed?): compared the whole filesystems", derived.Ref))
		}
	} else {
		res.Derived = req.Rootfs
	}

	var baseTree, derivedTree *layer.Tree
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		baseTree, err = req.Loader.Tree(gctx, base.Image, base.Layers)
		return err
	})
	g.Go(func() (err error) {
		if derived == nil {
			derivedTree, err = layer.TreeFromDir(gctx, req.Rootfs, layer.DirOptions{Hash: true})
		} else {
			derivedTree, err = req.Loader.Tree(gctx, derived, len(derived.Layers))
		}
		return err
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}

	res.Changes = Compare(baseTree, derivedTree, CompareOptions{IncludeMtime: req.IncludeMtime})
	if res.Changes == nil {
		res.Changes = []Change{}
	}
	baseDBs, derivedDBs, err := readPackages(ctx, baseTree, derivedTree)
	if err != nil {
		return nil, err
	}
	res.Packages = ComparePackages(baseDBs, derivedDBs)
	Attribute(res.Changes, NewOwners(baseTree, baseDBs), NewOwners(derivedTree, derivedDBs))

	res.Summary = Summarize(res.Changes)
	if res.Comparison == ComparedLayers {
		res.Summary.BaseLayers = base.Layers
		for _, l := range derived.Layers[base.Layers:] {
			res.Summary.DerivedLayers++
			res.Summary.DerivedBytes += l.Size
		}
	}
	if req.Layers {
		res.Layers = CompareLayers(base.Prefix(), derived)
	}
	return res, nil
}

func openBase(ctx context.Context, req Request, derived *layer.Image) (*layer.Base, error) {
	if req.Base == "" {
		return layer.FindBase(ctx, derived, req.Image)
	}
	img, err := layer.Open(ctx, req.Base, req.Image)
	if err != nil {
		return nil, err
	}
	return layer.BaseOf(img), nil
}

// readPackages reads both sides' package databases at once.
func readPackages(ctx context.Context, base, derived *layer.Tree) (b, d []*pkgdb.DB, err error) {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		if b, err = pkgdb.Read(gctx, base.FS()); err != nil {
			err = fmt.Errorf("base: %w", err)
		}
		return err
	})
	g.Go(func() (err error) {
		if d, err = pkgdb.Read(gctx, derived.FS()); err != nil {
			err = fmt.Errorf("derived: %w", err)
		}
		return err
	})
	return b, d, g.Wait()
}
