package sysext

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	erofs "github.com/erofs/go-erofs"

	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/layer/sysext/internal/squashfs"
)

// Extension is an extension image read back: its files, and what its
// extension-release files say.
type Extension struct {
	// Path is where it was read from; Name the extension name systemd
	// derives from it.
	Path, Name string
	Format     Format
	// Tree holds every path with its metadata and, for regular files,
	// its content digest.
	Tree *layer.Tree
	// Releases are the extension-release files found, by kind.
	Releases map[Kind]*ReleaseFile
}

// ReleaseFile is an extension-release file of an image.
type ReleaseFile struct {
	// Path is absolute, in the image.
	Path   string
	Fields map[string]string
	// Relaxed says the file is not named after the image, but systemd
	// takes it: it is the only one in its directory and carries the
	// xattr user.extension-release.strict set to false.
	Relaxed bool
}

// strictXattr relaxes systemd's check of the extension-release file's
// name.
const strictXattr = "user.extension-release.strict"

// maxRelease bounds what is read of an extension-release file.
const maxRelease = 64 << 10

// Open reads the extension image at p: a directory, or a squashfs or
// EROFS image file (a disk image with partitions, as mkosi and
// systemd-repart write, is not read). Every file is read, to hash it.
func Open(ctx context.Context, p string) (*Extension, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	x := &Extension{Path: p, Name: NameOf(p)}
	releases := map[string][]byte{} // release files' bytes, by path
	if st.IsDir() {
		x.Format = Directory
		if x.Tree, err = layer.TreeFromDir(ctx, p, layer.DirOptions{Hash: true}); err != nil {
			return nil, err
		}
		for path, n := range x.Tree.Walk() {
			if isReleasePath(path) && n.Type == layer.TypeRegular {
				if releases[path], err = readSome(x.Tree, n); err != nil {
					return nil, err
				}
			}
		}
	} else {
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		var entries []layer.Entry
		x.Format, entries, err = readImage(ctx, f, st.Size(), releases)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		x.Tree = layer.NewTree()
		if err := x.Tree.Apply(&layer.Index{Entries: entries}, 0); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	x.Releases = map[Kind]*ReleaseFile{}
	for _, k := range Kinds {
		rf, err := x.release(k, releases)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
		if rf != nil {
			x.Releases[k] = rf
		}
	}
	return x, nil
}

func isReleasePath(p string) bool {
	dir, base := path.Split(p)
	return strings.HasPrefix(base, "extension-release.") && (dir == System.ReleaseDir()+"/" || dir == Config.ReleaseDir()+"/")
}

func readSome(t *layer.Tree, n *layer.Node) ([]byte, error) {
	rc, err := t.Open(n)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, maxRelease))
}

// release finds the kind's extension-release file, as systemd does: the
// one named after the image, else the only one, if its xattr relaxes the
// name check.
func (x *Extension) release(k Kind, data map[string][]byte) (*ReleaseFile, error) {
	want := k.ReleasePath(x.Name)
	var found []string
	if dir := x.Tree.Lookup(k.ReleaseDir()); dir != nil && dir.Type == layer.TypeDir {
		for _, c := range dir.Children() {
			if strings.HasPrefix(c.Name, "extension-release.") && c.Type == layer.TypeRegular {
				found = append(found, k.ReleaseDir()+"/"+c.Name)
			}
		}
	}
	pick, relaxed := "", false
	for _, f := range found {
		if f == want {
			pick = f
		}
	}
	if pick == "" && len(found) == 1 && isFalse(x.Tree.Lookup(found[0]).Xattrs[strictXattr]) {
		pick, relaxed = found[0], true
	}
	if pick == "" {
		return nil, nil
	}
	fields, err := ParseRelease(data[pick])
	if err != nil {
		return nil, fmt.Errorf("/%s: %w", pick, err)
	}
	return &ReleaseFile{Path: "/" + pick, Fields: fields, Relaxed: relaxed}, nil
}

// isFalse reads a boolean as systemd's parse_boolean does, false side.
func isFalse(s string) bool {
	switch strings.ToLower(s) {
	case "0", "no", "n", "false", "f", "off":
		return true
	}
	return false
}

// readImage reads an image file's paths, in tree order, hashing regular
// files and keeping the bytes of extension-release files.
func readImage(ctx context.Context, f *os.File, size int64, releases map[string][]byte) (Format, []layer.Entry, error) {
	magic := make([]byte, 1028)
	n, _ := f.ReadAt(magic, 0)
	magic = magic[:n]
	switch {
	case len(magic) >= 4 && string(magic[:4]) == "hsqs":
		entries, err := readSquashfs(ctx, f, size, releases)
		return Squashfs, entries, err
	case len(magic) >= 1028 && string(magic[1024:1028]) == "\xe2\xe1\xf5\xe0":
		entries, err := readEROFS(ctx, f, releases)
		return EROFS, entries, err
	case len(magic) >= 520 && string(magic[512:520]) == "EFI PART":
		return 0, nil, errors.New("a disk image with partitions (as mkosi and systemd-repart write): not read; extract it (systemd-dissect --copy-from IMAGE / DIR) and give the directory")
	}
	return 0, nil, errors.New("neither a squashfs nor an EROFS file system")
}

// collector gathers the entries of an image being walked.
type collector struct {
	ctx      context.Context
	entries  []layer.Entry
	first    map[uint64]string // a file's inode → its first path
	releases map[string][]byte
}

// add records a path; a regular file already met by another name becomes
// a hard link to that name, any other is read and hashed.
func (c *collector) add(p string, md layer.Metadata, ino uint64, open func() (io.ReadCloser, error)) error {
	if err := c.ctx.Err(); err != nil {
		return err
	}
	e := layer.Entry{Path: p, Metadata: md, Offset: -1}
	if md.Type == layer.TypeRegular {
		if f, ok := c.first[ino]; ok {
			e.Hardlink = f
			c.entries = append(c.entries, e)
			return nil
		}
		c.first[ino] = p
		r, err := open()
		if err != nil {
			return err
		}
		defer r.Close()
		h := sha256.New()
		var kept strings.Builder
		w := io.Writer(h)
		if isReleasePath(p) {
			w = io.MultiWriter(h, &limitedBuilder{&kept, maxRelease})
		}
		n, err := io.Copy(w, r)
		if err != nil {
			return fmt.Errorf("/%s: %w", p, err)
		}
		if n != md.Size {
			return fmt.Errorf("/%s: %d bytes, not %d", p, n, md.Size)
		}
		copy(e.Digest[:], h.Sum(nil))
		if isReleasePath(p) {
			c.releases[p] = []byte(kept.String())
		}
	}
	c.entries = append(c.entries, e)
	return nil
}

// limitedBuilder keeps the first max bytes written to it.
type limitedBuilder struct {
	b   *strings.Builder
	max int
}

func (l *limitedBuilder) Write(p []byte) (int, error) {
	if room := l.max - l.b.Len(); room > 0 {
		l.b.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func readSquashfs(ctx context.Context, f *os.File, size int64, releases map[string][]byte) ([]layer.Entry, error) {
	rd, err := squashfs.Open(f, size)
	if err != nil {
		return nil, err
	}
	defer rd.Close()
	c := &collector{ctx: ctx, first: map[uint64]string{}, releases: releases}
	err = rd.Walk(func(sf *squashfs.File) error {
		return c.add(sf.Path, sf.Metadata, uint64(sf.Inode), func() (io.ReadCloser, error) {
			r, err := rd.Open(sf)
			return io.NopCloser(r), err
		})
	})
	return c.entries, err
}

// readEROFS reads an EROFS image with go-erofs, which reads uncompressed
// images (what mkfs.erofs writes without -z, and oslayer writes).
func readEROFS(ctx context.Context, f *os.File, releases map[string][]byte) ([]layer.Entry, error) {
	fsys, err := erofs.Open(f)
	if errors.Is(err, erofs.ErrNotImplemented) {
		return nil, fmt.Errorf("%w: extract it (fsck.erofs --extract=DIR --preserve) and give the directory", err)
	}
	if err != nil {
		return nil, err
	}
	c := &collector{ctx: ctx, first: map[uint64]string{}, releases: releases}
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		st, ok := info.Sys().(*erofs.Stat)
		if !ok {
			return fmt.Errorf("/%s: no inode", p)
		}
		if p == "." {
			p = ""
		}
		md := layer.Metadata{Mode: uint32(st.Mode.Perm()), UID: st.UID, GID: st.GID,
			ModTime: int64(st.Mtime)*1e9 + int64(st.MtimeNs), Xattrs: st.Xattrs}
		if st.Mode&fs.ModeSetuid != 0 {
			md.Mode |= 0o4000
		}
		if st.Mode&fs.ModeSetgid != 0 {
			md.Mode |= 0o2000
		}
		if st.Mode&fs.ModeSticky != 0 {
			md.Mode |= 0o1000
		}
		if len(md.Xattrs) == 0 {
			md.Xattrs = nil
		}
		switch t := st.Mode.Type(); {
		case t == 0:
			md.Type, md.Size = layer.TypeRegular, st.Size
		case t == fs.ModeDir:
			md.Type = layer.TypeDir
		case t == fs.ModeSymlink:
			md.Type = layer.TypeSymlink
			if md.Linkname, err = fs.ReadLink(fsys, p); err != nil {
				return err
			}
		case t == fs.ModeNamedPipe:
			md.Type = layer.TypeFIFO
		case t&fs.ModeDevice != 0:
			md.Type = layer.TypeBlock
			if t&fs.ModeCharDevice != 0 {
				md.Type = layer.TypeChar
			}
			md.Devmajor, md.Devminor = (st.Rdev&0xfff00)>>8, st.Rdev&0xff|(st.Rdev>>12)&0xfff00
		default:
			return fmt.Errorf("/%s: a %v, which no layer holds", p, t)
		}
		return c.add(p, md, uint64(st.Ino), func() (io.ReadCloser, error) { return fsys.Open(p) })
	})
	return c.entries, err
}
