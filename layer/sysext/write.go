package sysext

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/layer/sysext/internal/squashfs"
)

// WriteOptions say how images are written.
type WriteOptions struct {
	// ModTime is every path's modification time and the image's creation
	// time, in seconds since 1970: $SOURCE_DATE_EPOCH, or the derived
	// image's creation time.
	ModTime int64
	// TmpDir is where an EROFS image's tree is staged ("" for the
	// system's temporary directory).
	TmpDir string
}

// Write writes img (its contents loaded, see Build.Load) to dest in
// format f: an image file, or a directory tree. Nothing is written
// outside dest, and dest changes only when the image is complete: a file
// is written beside it and renamed over it; a tree is made beside it and
// renamed into place, taking the place of an extension directory that
// was there (any other directory there is an error). Cancelling ctx stops
// the write and removes what it made.
func Write(ctx context.Context, img *Image, f Format, dest string, opts WriteOptions) error {
	if opts.ModTime < 0 || opts.ModTime > math.MaxUint32 {
		return fmt.Errorf("time %d: extension images store 32-bit times", opts.ModTime)
	}
	var err error
	switch f {
	case Squashfs:
		err = writeSquashfs(ctx, img, dest, opts)
	case EROFS:
		err = writeEROFS(ctx, img, dest, opts)
	case Directory:
		err = writeDirectory(ctx, img, dest, opts)
	default:
		err = fmt.Errorf("unknown format %v", f)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", dest, err)
	}
	return nil
}

func writeSquashfs(ctx context.Context, img *Image, dest string, opts WriteOptions) error {
	f, err := layer.CreateTemp(filepath.Dir(dest), filepath.Base(dest))
	if err != nil {
		return err
	}
	if err := squashfs.Write(ctx, f, img.Entries, squashfs.Options{ModTime: uint32(opts.ModTime)}); err != nil {
		layer.DiscardTemp(f)
		return err
	}
	return layer.CommitTemp(f, dest)
}

// writeDirectory stages the tree beside dest and moves it into place.
func writeDirectory(ctx context.Context, img *Image, dest string, opts WriteOptions) error {
	old, err := os.Lstat(dest)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return err
	case !old.IsDir():
		return errors.New("it exists and is not a directory")
	case !replaceable(dest):
		return errors.New("it is a directory that holds no extension: remove it first, oslayer replaces only what it can tell is an extension")
	}
	tmp, err := layer.MkdirTemp(filepath.Dir(dest), filepath.Base(dest))
	if err != nil {
		return err
	}
	defer func() {
		os.RemoveAll(tmp)
		layer.ForgetTemp(tmp)
	}()
	if err := stage(ctx, tmp, img.Entries, opts.ModTime, true); err != nil {
		return err
	}
	if old == nil {
		return os.Rename(tmp, dest)
	}
	// The new tree takes the old one's place in one step; the old one is
	// then at tmp, and removed with it.
	if err := unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, dest, unix.RENAME_EXCHANGE); err != nil {
		return fmt.Errorf("moving it into place: %w", err)
	}
	return nil
}

// replaceable reports whether the directory at p is empty or holds an
// extension (an extension-release directory).
func replaceable(p string) bool {
	names, err := os.ReadDir(p)
	if err != nil {
		return false
	}
	if len(names) == 0 {
		return true
	}
	for _, k := range Kinds {
		if st, err := os.Lstat(filepath.Join(p, k.ReleaseDir())); err == nil && st.IsDir() {
			return true
		}
	}
	return false
}
