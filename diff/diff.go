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
	in := Input{Loader: req.Loader, DerivedDir: req.Rootfs, Dir: layer.DirOptions{Hash: true, Exclude: req.Loader.Dirs()}}
	if req.Rootfs == "" {
		var err error
		if in.Derived, err = layer.Open(ctx, req.Derived, req.Image); err != nil {
			return nil, err
		}
		defer in.Derived.Close()
	}
	base, err := openBase(ctx, req, in.Derived)
	if err != nil {
		return nil, err
	}
	if base.Image != in.Derived {
		defer base.Image.Close()
	}
	in.Base = base
	s, err := Load(ctx, in)
	if err != nil {
		return nil, err
	}

	res := &Result{Base: s.BaseName(), BaseDigest: base.Image.Digest.String(), BaseFrom: base.From,
		Comparison: s.Comparison, Notes: s.Notes, Derived: req.Rootfs}
	if base.Image == in.Derived {
		res.BaseDigest = ""
	}
	if in.Derived != nil {
		res.Derived, res.DerivedDigest = in.Derived.Ref.String(), in.Derived.Digest.String()
	}
	res.Changes = s.Changes(CompareOptions{IncludeMtime: req.IncludeMtime})
	res.Packages = ComparePackages(s.BaseDBs, s.DerivedDBs)
	res.Summary = Summarize(res.Changes)
	if res.Comparison == ComparedLayers {
		res.Summary.BaseLayers = base.Layers
		for _, l := range in.Derived.Layers[base.Layers:] {
			res.Summary.DerivedLayers++
			res.Summary.DerivedBytes += l.Size
		}
	}
	if req.Layers {
		res.Layers = CompareLayers(base.Prefix(), in.Derived)
	}
	return res, nil
}

// Input is what Load reads: a base, and a derived image or directory.
type Input struct {
	Base *layer.Base
	// Derived is the derived image; nil when DerivedDir is set.
	Derived    *layer.Image
	DerivedDir string
	// Dir tells how to read DerivedDir (Hash is needed to compare content).
	Dir    layer.DirOptions
	Loader *layer.Loader
}

// Sides are both sides of a comparison, read: their trees and package
// databases.
type Sides struct {
	Input
	BaseTree, DerivedTree *layer.Tree
	BaseDBs, DerivedDBs   []*pkgdb.DB
	// Comparison is ComparedLayers or ComparedFull; Notes say why.
	Comparison string
	Notes      []string
}

// Load reads both sides, layers and package databases, in parallel.
func Load(ctx context.Context, in Input) (*Sides, error) {
	s := &Sides{Input: in, Comparison: ComparedFull}
	if in.Base.Note != "" {
		s.Notes = append(s.Notes, in.Base.Note)
	}
	if in.Derived != nil {
		if in.Base.SharesLayers(in.Derived) {
			s.Comparison = ComparedLayers
		} else {
			s.Notes = append(s.Notes, fmt.Sprintf("the base's layers are not the first layers of %s (rebased or squashed?): compared the whole filesystems", in.Derived.Ref))
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		if s.BaseTree, err = in.Loader.Tree(gctx, in.Base.Image, in.Base.Layers); err != nil {
			return err
		}
		if s.BaseDBs, err = pkgdb.Read(gctx, s.BaseTree.FS()); err != nil {
			return fmt.Errorf("%s: %w", in.Base.Image.Ref, err)
		}
		return nil
	})
	g.Go(func() (err error) {
		if in.Derived == nil {
			s.DerivedTree, err = layer.TreeFromDir(gctx, in.DerivedDir, in.Dir)
		} else {
			s.DerivedTree, err = in.Loader.Tree(gctx, in.Derived, len(in.Derived.Layers))
		}
		if err != nil {
			return err
		}
		if s.DerivedDBs, err = pkgdb.Read(gctx, s.DerivedTree.FS()); err != nil {
			name := in.DerivedDir
			if in.Derived != nil {
				name = in.Derived.Ref.String()
			}
			return fmt.Errorf("%s: %w", name, err)
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return s, nil
}

// BaseName names the base for people: its reference, or "REF (its first
// N layers)" when the base is a prefix of the derived image itself.
func (s *Sides) BaseName() string {
	if s.Base.Image == s.Derived {
		return fmt.Sprintf("%s (its first %d layers)", s.Derived.Ref, s.Base.Layers)
	}
	return s.Base.Image.Ref.String()
}

// Changes compares the trees and names the packages that own the changed
// paths.
func (s *Sides) Changes(opts CompareOptions) []Change {
	changes := Compare(s.BaseTree, s.DerivedTree, opts)
	if changes == nil {
		changes = []Change{}
	}
	Attribute(changes, NewOwners(s.BaseTree, s.BaseDBs), NewOwners(s.DerivedTree, s.DerivedDBs))
	return changes
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
