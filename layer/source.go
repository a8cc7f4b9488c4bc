package layer

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/oslayer/oslayer/layer/pkgdb"
)

// Request says what OpenSource opens and how it reads it.
type Request struct {
	// Ref is an image reference (see ParseReference); Rootfs is a root
	// filesystem directory; Image an image opened already, which the
	// source then reads but does not close. Exactly one is set.
	Ref    string
	Rootfs string
	Image  *Image
	// Base names the base image. When it is empty, BaseMode says whether
	// the base is found from the image's labels and annotations.
	Base     string
	BaseMode BaseMode
	// Content is the content policy of the image's tree (a rootfs's files
	// can all be read). A base's tree keeps the kept files only.
	Content Content
	// Hash computes the digest of every file of a rootfs, as comparing
	// its content with a base needs.
	Hash bool
	// Invalid hears of each rootfs path whose name or link target is not
	// UTF-8; such paths are left out (see DirOptions).
	Invalid func(path string)
	// Packages reads the package databases of the source and its base.
	Packages bool
	// Changelogs reads, with the packages, the changelogs rpm headers
	// hold (see pkgdb.ReadOptions).
	Changelogs bool
	// TmpDir holds the spool of ContentSpool ("" for the system's
	// temporary directory).
	TmpDir  string
	Options Options
	Loader  *Loader
}

// BaseMode says whether OpenSource looks for a base the request does not
// name.
type BaseMode uint8

const (
	// BaseNone opens no base.
	BaseNone BaseMode = iota
	// BaseOptional opens the named base, else the one the image names
	// (see FindBase), else none.
	BaseOptional
	// BaseRequired is BaseOptional, but having no base is an error.
	BaseRequired
)

// Source is an opened input: an image or a rootfs directory merged into a
// Tree, with its package databases and its base when they were asked for.
// It is the one way oslayer's commands open what they work on.
type Source struct {
	// Name is the image reference, or the rootfs's absolute path.
	Name string
	// Image is the image; nil for a rootfs.
	Image *Image
	// Dir is the rootfs directory; "" for an image.
	Dir      string
	Tree     *Tree
	Packages []*pkgdb.DB
	// Base is nil when no base was asked for or found.
	Base *Base
	// Notes say what users should know about how the source was read.
	Notes   []string
	closers []func() error
}

// OpenSource opens what req names, finds its base, and reads both trees
// (and their package databases) at once. Close the source when done.
func OpenSource(ctx context.Context, req Request) (*Source, error) {
	given := 0
	for _, set := range []bool{req.Ref != "", req.Rootfs != "", req.Image != nil} {
		if set {
			given++
		}
	}
	if given != 1 {
		return nil, errors.New("open one image reference, rootfs directory or image")
	}
	if req.Loader == nil && (req.Rootfs == "" || req.Base != "") {
		return nil, errors.New("opening an image needs a Loader")
	}
	s := &Source{}
	if err := s.open(ctx, req); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func (s *Source) open(ctx context.Context, req Request) error {
	switch {
	case req.Image != nil:
		s.Image, s.Name = req.Image, req.Image.Ref.String()
	case req.Ref != "":
		img, err := Open(ctx, req.Ref, req.Options)
		if err != nil {
			return err
		}
		s.Image, s.Name = img, img.Ref.String()
		s.closers = append(s.closers, img.Close)
	default:
		abs, err := filepath.Abs(req.Rootfs)
		if err != nil {
			return fmt.Errorf("rootfs %s: %w", req.Rootfs, err)
		}
		s.Dir, s.Name = abs, abs
	}
	if err := s.openBase(ctx, req); err != nil {
		return err
	}
	// The trees keep the context for reading their files later: it is
	// cancelled when reading either side fails, or when the source is
	// closed, not when both are read.
	ctx, cancel := context.WithCancel(ctx)
	s.closers = append(s.closers, func() error { cancel(); return nil })
	var errs [2]error
	var wg sync.WaitGroup
	wg.Go(func() {
		if errs[0] = s.read(ctx, req); errs[0] != nil {
			cancel()
		}
	})
	if b := s.Base; b != nil {
		wg.Go(func() {
			if errs[1] = s.readBase(ctx, req); errs[1] != nil {
				cancel()
			}
		})
	}
	wg.Wait()
	// The side that failed first says why; the other may only have been
	// cancelled.
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return cmp.Or(errs[0], errs[1])
}

// readBase builds the base's tree and reads its package databases.
func (s *Source) readBase(ctx context.Context, req Request) (err error) {
	b := s.Base
	if b.Tree, err = req.Loader.Tree(ctx, b.Image, b.Layers, ContentKept); err != nil || !req.Packages {
		return err
	}
	if b.Packages, err = pkgdb.ReadWith(ctx, b.Tree.FS(), pkgdb.ReadOptions{Changelogs: req.Changelogs}); err != nil {
		return fmt.Errorf("%s: %w", b.Image.Ref, err)
	}
	return nil
}

// openBase opens the base the request names, or finds the image's.
func (s *Source) openBase(ctx context.Context, req Request) error {
	if req.BaseMode == BaseNone {
		return nil
	}
	if req.Base != "" {
		img, err := Open(ctx, req.Base, req.Options)
		if err != nil {
			return err
		}
		s.closers = append(s.closers, img.Close)
		s.Base = BaseOf(img)
		return nil
	}
	if s.Image == nil {
		if req.BaseMode == BaseRequired {
			return fmt.Errorf("%s is a directory: it cannot name its base, give the base image", s.Name)
		}
		return nil
	}
	base, err := FindBase(ctx, s.Image, req.Options)
	if errors.Is(err, ErrNoBase) && req.BaseMode == BaseOptional {
		return nil
	}
	if err != nil {
		return err
	}
	if base.Image != s.Image {
		s.closers = append(s.closers, base.Image.Close)
	}
	if base.Note != "" {
		s.Notes = append(s.Notes, base.Note)
	}
	s.Base = base
	return nil
}

// read builds the source's own tree and reads its package databases.
func (s *Source) read(ctx context.Context, req Request) error {
	var err error
	switch {
	case s.Image == nil:
		opts := DirOptions{Hash: req.Hash, Invalid: req.Invalid}
		if req.Loader != nil {
			opts.Exclude = req.Loader.Dirs()
		}
		if s.Tree, err = TreeFromDir(ctx, s.Dir, opts); err != nil {
			return err
		}
	case req.Content == ContentSpool:
		spooled, err := req.Loader.SpoolTree(ctx, s.Image, req.TmpDir)
		if err != nil {
			return err
		}
		s.closers = append(s.closers, spooled.Close)
		s.Tree = spooled.Tree
	default:
		if s.Tree, err = req.Loader.Tree(ctx, s.Image, len(s.Image.Layers), req.Content); err != nil {
			return err
		}
	}
	if !req.Packages {
		return nil
	}
	if s.Packages, err = pkgdb.ReadWith(ctx, s.Tree.FS(), pkgdb.ReadOptions{Changelogs: req.Changelogs}); err != nil {
		return fmt.Errorf("%s: %w", s.Name, err)
	}
	return nil
}

// BaseName names the base for people: its reference, or "REF (its first
// N layers)" when the base is a prefix of the image itself.
func (s *Source) BaseName() string {
	if s.Base == nil {
		return ""
	}
	if s.Base.Image == s.Image {
		return fmt.Sprintf("%s (its first %d layers)", s.Name, s.Base.Layers)
	}
	return s.Base.Image.Ref.String()
}

// Close releases the images, archives and spool files the source holds.
func (s *Source) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	return errors.Join(errs...)
}
