package sysext

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/oslayer/oslayer/layer"
)

// ErrNoMkfsErofs says that mkfs.erofs, which writes EROFS images, is not
// installed.
var ErrNoMkfsErofs = errors.New("EROFS images are written by mkfs.erofs (erofs-utils), which is not installed: install erofs-utils, or write a squashfs image (--fs squashfs), which needs no other program")

// writeEROFS stages the tree in a temporary directory and has mkfs.erofs
// make the image of it, uncompressed, every time ModTime and a UUID made
// from the content: the same content gives the same bytes, with the same
// erofs-utils, on a file system that lists xattrs in the order they were
// set (ext4, tmpfs; oslayer sets them sorted). mkfs.erofs reads owners
// from the staged files: as another user than root, only an image whose
// files all belong to root can be made (mkfs.erofs --all-root).
func writeEROFS(ctx context.Context, img *Image, dest string, opts WriteOptions) error {
	mkfs, err := exec.LookPath("mkfs.erofs")
	if err != nil {
		return ErrNoMkfsErofs
	}
	root := os.Geteuid() == 0
	if !root && slices.ContainsFunc(img.Entries, func(e layer.TarEntry) bool { return e.UID != 0 || e.GID != 0 }) {
		return errors.New("an EROFS image of files not owned by root needs root: mkfs.erofs reads owners from files it is given; a squashfs image (--fs squashfs) needs no privileges")
	}
	dir, err := layer.MkdirTemp(opts.TmpDir, img.Name)
	if err != nil {
		return err
	}
	defer func() {
		os.RemoveAll(dir)
		layer.ForgetTemp(dir)
	}()
	tree := filepath.Join(dir, "tree")
	if err := os.Mkdir(tree, 0o700); err != nil {
		return err
	}
	if err := stage(ctx, tree, img.Entries, opts.ModTime, root); err != nil {
		return fmt.Errorf("staging its tree: %w", err)
	}
	out, err := layer.CreateTemp(filepath.Dir(dest), filepath.Base(dest))
	if err != nil {
		return err
	}
	args := []string{"--quiet", "-T" + strconv.FormatInt(opts.ModTime, 10), "-U" + img.uuid()}
	if !root {
		args = append(args, "--all-root")
	}
	cmd := exec.CommandContext(ctx, mkfs, append(args, out.Name(), tree)...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		layer.DiscardTemp(out)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%s: %v: %s", strings.Join(cmd.Args, " "), err, strings.TrimSpace(string(msg)))
	}
	// mkfs.erofs wrote through its own descriptor: ours sees it all.
	return layer.CommitTemp(out, dest)
}

// uuid derives a file system UUID from what the image holds: the same
// content gets the same one.
func (img *Image) uuid() string {
	h := sha256.New()
	for _, e := range img.Entries {
		fmt.Fprintf(h, "%s\x00%s\x00%o\x00%d:%d\x00%d\x00%s\x00%s\x00", e.Path, e.Type, e.Mode, e.UID, e.GID, e.Size, e.Linkname, e.Hardlink)
		for _, k := range slices.Sorted(maps.Keys(e.Xattrs)) {
			fmt.Fprintf(h, "%s=%s\x00", k, e.Xattrs[k])
		}
		if n := img.nodes[e.Path]; n != nil && e.Type == layer.TypeRegular {
			h.Write(n.Digest[:])
		}
	}
	h.Write(img.Release.Bytes(img.Kind))
	s := h.Sum(nil)
	s[6] = s[6]&0x0f | 0x80 // version 8: a custom UUID (RFC 9562)
	s[8] = s[8]&0x3f | 0x80 // the RFC variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16])
}
