package lint

import (
	"context"
	"errors"
	"path/filepath"
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
	// as inside a container build: runtime-injected files are expected.
	Running  bool
	Packages []*pkgdb.DB
	Owners   diff.Owners
	// Base is what the target is compared with; nil without a base.
	Base *Base
	// InvalidNames are rootfs paths left out because their name or link
	// target is not UTF-8.
	InvalidNames []string
	// Notes tell users how the target was judged.
	Notes []string
	// Options are the user's choices.
	Options Options

	verifyOnce sync.Once
	verified   []diff.Change
	verifyErr  error
	closers    []func() error
}

// Base is a target's base and what the target changes relative to it.
type Base struct {
	Name, From string
	Tree       *layer.Tree
	Packages   []*pkgdb.DB
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
}

// Load says how to load a target.
type Load struct {
	// Base is the base image reference; empty means find it from the
	// image (images) or go without (rootfs: package records are used).
	Base   string
	Image  layer.Options
	Loader *layer.Loader
}

// LoadImage opens an image and its base (given, or found as oslayer diff
// finds it). An image without a base marker is linted on its own: checks
// relative to a base then use the image's package records.
func LoadImage(ctx context.Context, ref string, l Load) (*Target, error) {
	img, err := layer.Open(ctx, ref, l.Image)
	if err != nil {
		return nil, err
	}
	t := &Target{Name: img.Ref.String(), Image: img, closers: []func() error{img.Close}}
	var base *layer.Base
	if l.Base != "" {
		bimg, err := layer.Open(ctx, l.Base, l.Image)
		if err != nil {
			t.Close()
			return nil, err
		}
		t.closers = append(t.closers, bimg.Close)
		base = layer.BaseOf(bimg)
	} else if base, err = layer.FindBase(ctx, img, l.Image); errors.Is(err, layer.ErrNoBase) {
		base = nil
		t.Notes = append(t.Notes, "no base image known (pass --base): changes to base content are judged against the package databases")
	} else if err != nil {
		t.Close()
		return nil, err
	} else if base.Image != img {
		t.closers = append(t.closers, base.Image.Close)
	}
	if base == nil {
		if t.Tree, err = l.Loader.Tree(ctx, img, len(img.Layers)); err == nil {
			t.Packages, err = pkgdb.Read(ctx, t.Tree.FS())
		}
	} else {
		err = t.loadWithBase(ctx, diff.Input{Base: base, Derived: img, Loader: l.Loader})
	}
	if err != nil {
		t.Close()
		return nil, err
	}
	t.Owners = diff.NewOwners(t.Tree, t.Packages)
	return t, nil
}

// LoadRootfs reads a directory tree. With a base reference it is compared
// with that image; otherwise base content is judged by the package records.
func LoadRootfs(ctx context.Context, dir string, l Load) (*Target, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	t := &Target{Name: abs, Running: abs == "/"}
	opts := layer.DirOptions{Hash: l.Base != "", Invalid: func(p string) { t.InvalidNames = append(t.InvalidNames, "/"+p) }}
	if l.Loader != nil {
		opts.Exclude = l.Loader.Dirs()
	}
	if l.Base != "" {
		bimg, err := layer.Open(ctx, l.Base, l.Image)
		if err != nil {
			return nil, err
		}
		t.closers = append(t.closers, bimg.Close)
		err = t.loadWithBase(ctx, diff.Input{Base: layer.BaseOf(bimg), DerivedDir: abs, Dir: opts, Loader: l.Loader})
	} else if t.Tree, err = layer.TreeFromDir(ctx, abs, opts); err == nil {
		t.Packages, err = pkgdb.Read(ctx, t.Tree.FS())
	}
	if err != nil {
		t.Close()
		return nil, err
	}
	t.Owners = diff.NewOwners(t.Tree, t.Packages)
	return t, nil
}

func (t *Target) loadWithBase(ctx context.Context, in diff.Input) error {
	s, err := diff.Load(ctx, in)
	if err != nil {
		return err
	}
	t.Tree, t.Packages = s.DerivedTree, s.DerivedDBs
	t.Notes = append(t.Notes, s.Notes...)
	t.Base = &Base{
		Name: s.BaseName(), From: in.Base.From, Tree: s.BaseTree, Packages: s.BaseDBs,
		Changes:        s.Changes(diff.CompareOptions{}),
		PackageChanges: diff.ComparePackages(s.BaseDBs, s.DerivedDBs),
	}
	return nil
}

// Close releases the images the target holds.
func (t *Target) Close() error {
	var errs []error
	for _, c := range t.closers {
		errs = append(errs, c())
	}
	return errors.Join(errs...)
}

// Labels returns the image's labels; none in rootfs mode.
func (t *Target) Labels() map[string]string {
	if t.Image == nil {
		return map[string]string{}
	}
	return t.Image.Labels()
}

// Mode is "image" or "rootfs".
func (t *Target) Mode() string {
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
