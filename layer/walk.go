package layer

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"hash"
	"io"
	"math"
	"net/url"
	"strings"
	"sync"
	"unicode/utf8"
)

// Index is everything oslayer needs to know about one layer without reading
// it again: its entries in tar order, with content digests and offsets.
type Index struct {
	Entries []Entry
	// Size is the length of the uncompressed layer stream.
	Size int64
}

// logicalSize is what the layer's files add up to.
func (idx *Index) logicalSize() int64 {
	var n int64
	for i := range idx.Entries {
		if e := &idx.Entries[i]; e.Type == TypeRegular && e.Hardlink == "" && e.Whiteout == NoWhiteout {
			n += e.Size
		}
	}
	return n
}

// Capture selects the regular files whose content is kept in a Store while a
// layer is indexed (package databases, for instance).
type Capture func(path string) bool

const (
	whiteoutPrefix = ".wh."
	whiteoutMeta   = ".wh..wh."
	whiteoutOpaque = ".wh..wh..opq"
)

var (
	copyBufs = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}
	hashers  = sync.Pool{New: func() any { return sha256.New() }}
)

// DefaultMaxExpand bounds the logical size of a layer (the sizes of its
// files added up) unless Loader.MaxExpand says otherwise: a sparse file's
// holes cost no input but must be hashed, so a few hostile kilobytes could
// otherwise keep oslayer hashing zeros for days.
const DefaultMaxExpand = 64 << 30

// IndexTar reads an uncompressed tar stream to its end and indexes it. Every
// regular file's content is hashed; files selected by capture are also
// written to store. Errors name the offending entry. ctx is checked while
// content is hashed, so even expanding a sparse file stops when cancelled.
func IndexTar(ctx context.Context, r io.Reader, capture Capture, store *Store) (*Index, error) {
	return indexTar(ctx, r, capture, store, true, DefaultMaxExpand)
}

// indexTar is IndexTar; without digest, content is read but not hashed (the
// entries' Digest stays zero) and nothing is captured. A layer whose files
// add up to more than maxExpand bytes is refused.
func indexTar(ctx context.Context, r io.Reader, capture Capture, store *Store, digest bool, maxExpand int64) (*Index, error) {
	cr := &countingReader{r: r}
	tap := &sparseTap{r: cr}
	tr := tar.NewReader(tap)
	bufp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bufp)
	idx := &Index{}
	var obj lastObject
	defer obj.release()
	var logical int64
	// Entries start on 512-byte blocks, once the content before them is
	// read: headerKnown turns false after content that could not be
	// skipped cheaply (an unread sparse entry), and Header is -1 from there.
	headerKnown := true
	for {
		pos := (cr.n + 511) &^ 511
		if !headerKnown {
			pos = -1
		}
		hdr, err := tap.next(tr)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading tar header after offset %d: %w", pos, err)
		}
		e, skip, err := entryFromHeader(hdr)
		if err != nil {
			return nil, fmt.Errorf("entry %q: %w", hdr.Name, err)
		}
		if skip {
			if !drain(tr, hdr, *bufp) {
				headerKnown = false
			}
			continue
		}
		e.Offset, e.Header = cr.n, pos
		if e.Type == TypeRegular && e.Hardlink == "" {
			if logical += e.Size; e.Size > maxExpand || logical > maxExpand {
				return nil, fmt.Errorf("entry %q: the layer's files add up to more than %d bytes (--max-expand)", hdr.Name, maxExpand)
			}
		}
		if isSparse(hdr) {
			e.Offset = -1
		}
		kept := false // a sparse file's data hashed, its holes kept
		if e.Offset < 0 && keepsHoles(&e, capture) {
			if exts, data, ok := tap.layout(hdr, pos); ok && holes(exts, e.Size) >= sparseMin {
				if err := hashSparse(ctx, &e, cr, exts, *bufp, digest); err != nil {
					return nil, fmt.Errorf("entry %q: %w", hdr.Name, err)
				}
				tap.owed = data // the tar reader skips them as zeros
				obj.read(&e, false)
				kept = true
			}
		}
		switch {
		case kept:
		case e.Type == TypeRegular && e.Hardlink == "" && e.Whiteout == NoWhiteout:
			var w io.Writer
			if obj.wanted(&e, capture, store, digest) {
				w = obj.data
			}
			if err := hashContent(ctx, &e, tr, *bufp, capture, store, digest, w); err != nil {
				return nil, fmt.Errorf("entry %q: %w", hdr.Name, err)
			}
			obj.read(&e, w != nil)
		case e.Hardlink != "" && obj.path == e.Hardlink && capture != nil && capture(e.Path):
			if err := obj.keep(store); err != nil {
				return nil, fmt.Errorf("entry %q: %w", hdr.Name, err)
			}
			fallthrough
		default:
			if !drain(tr, hdr, *bufp) {
				headerKnown = false
			}
		}
		idx.Entries = append(idx.Entries, e)
	}
	// Read the end-of-archive padding so Size is the whole stream.
	if _, err := io.CopyBuffer(io.Discard, cr, *bufp); err != nil {
		return nil, fmt.Errorf("reading end of tar stream: %w", err)
	}
	idx.Size = cr.n
	return idx, nil
}

// keepsHoles reports whether a sparse entry may be kept sparse: a regular
// file that is not captured (the store keeps whole files, hashed as their
// bytes) and not an ostree object (whose name is the sha256 of its bytes).
func keepsHoles(e *Entry, capture Capture) bool {
	return e.Type == TypeRegular && e.Hardlink == "" && e.Whiteout == NoWhiteout &&
		(capture == nil || !capture(e.Path)) && !isOstreeObject(e.Path)
}

// hashSparse reads the data of a sparse entry straight from the stream
// (the tar reader would expand its holes) and, with digest, gives the entry
// its hole digest.
func hashSparse(ctx context.Context, e *Entry, r io.Reader, exts []Extent, buf []byte, digest bool) error {
	d, err := digestExtents(ctxReader{ctx, r}, exts, e.Size, buf, digest)
	if err != nil {
		return fmt.Errorf("reading content: %w", err)
	}
	e.Sparse, e.Digest = true, d
	return nil
}

// digestExtents reads the data of a file of size bytes with extents exts
// from r, in order, and returns its hole digest (zero without digest).
func digestExtents(r io.Reader, exts []Extent, size int64, buf []byte, digest bool) (Digest, error) {
	var hh *holeHasher
	w := io.Discard
	if digest {
		hh = newHoleHasher(size)
		w = hh
	}
	var at int64
	for _, x := range exts {
		if hh != nil {
			hh.Zero(x.Off - at)
		}
		n, err := io.CopyBuffer(w, io.LimitReader(r, x.Len), buf)
		if err != nil {
			return Digest{}, err
		}
		if n != x.Len {
			return Digest{}, io.ErrUnexpectedEOF
		}
		at = x.Off + x.Len
	}
	if hh == nil {
		return Digest{}, nil
	}
	hh.Zero(size - at)
	d, _ := hh.Sum()
	return d, nil
}

// drain reads what is left of a non-sparse entry's content (a hard link
// or directory with a size, say), so the next header's offset is known; it
// reports false for a sparse entry, whose holes are not worth expanding.
func drain(tr *tar.Reader, hdr *tar.Header, buf []byte) bool {
	if isSparse(hdr) {
		return false
	}
	// A read error here comes back from the next tr.Next.
	io.CopyBuffer(io.Discard, tr, buf) //nolint:errcheck
	return true
}

// hashContent reads a regular file's content, hashing it when digest is
// set and storing it when capture selects it; also, when not nil, copies
// it to also.
func hashContent(ctx context.Context, e *Entry, r io.Reader, buf []byte, capture Capture, store *Store, digest bool, also io.Writer) error {
	var w io.Writer = io.Discard
	var h hash.Hash
	var pending *pendingBlob
	if digest {
		h = hashers.Get().(hash.Hash)
		defer hashers.Put(h)
		h.Reset()
		w = h
		if capture != nil && store != nil && capture(e.Path) {
			var err error
			if pending, err = store.create(); err != nil {
				return err
			}
			defer pending.abort()
			w = io.MultiWriter(h, pending)
		}
	}
	if also != nil {
		w = io.MultiWriter(w, also)
	}
	n, err := io.CopyBuffer(w, ctxReader{ctx, r}, buf)
	if err != nil {
		return fmt.Errorf("reading content: %w", err)
	}
	if n != e.Size {
		return fmt.Errorf("content is %d bytes, header says %d", n, e.Size)
	}
	if h == nil {
		return nil
	}
	h.Sum(e.Digest[:0])
	if pending != nil {
		return pending.commit(e.Digest)
	}
	return nil
}

// entryFromHeader normalises a tar header. skip is true for entries that
// carry no filesystem object (AUFS metadata such as .wh..wh.plnk).
func entryFromHeader(hdr *tar.Header) (e Entry, skip bool, err error) {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return e, true, nil // PAX defaults for later entries; archive/tar applies them
	}
	p, err := CleanPath(hdr.Name)
	if err != nil {
		return e, false, err
	}
	dir, base := split(p)
	if strings.HasPrefix(base, whiteoutPrefix) {
		switch {
		case base == whiteoutOpaque:
			return Entry{Path: dir, Whiteout: WhiteoutOpaque}, false, nil
		case strings.HasPrefix(base, whiteoutMeta):
			return e, true, nil
		}
		name := strings.TrimPrefix(base, whiteoutPrefix)
		if name == "" || name == "." || name == ".." {
			return e, false, fmt.Errorf("whiteout names no file")
		}
		return Entry{Path: join(dir, name), Whiteout: WhiteoutFile}, false, nil
	}
	e.Path = p
	e.Mode = uint32(hdr.Mode) & 0o7777
	if e.UID, err = id("uid", hdr.Uid); err != nil {
		return e, false, err
	}
	if e.GID, err = id("gid", hdr.Gid); err != nil {
		return e, false, err
	}
	e.ModTime = hdr.ModTime.UnixNano()
	e.Xattrs, err = xattrs(hdr)
	if err != nil {
		return e, false, err
	}
	switch hdr.Typeflag {
	case tar.TypeReg, tar.TypeCont, tar.TypeGNUSparse:
		e.Type = TypeRegular
		if hdr.Size < 0 {
			return e, false, fmt.Errorf("negative size %d", hdr.Size)
		}
		e.Size = hdr.Size
	case tar.TypeLink:
		if e.Hardlink, err = CleanPath(hdr.Linkname); err != nil {
			return e, false, fmt.Errorf("hardlink target: %w", err)
		}
		if e.Hardlink == "" {
			return e, false, fmt.Errorf("hardlink to the root directory")
		}
		e.Type = TypeRegular // until the target is known
	case tar.TypeSymlink:
		e.Type = TypeSymlink
		if !utf8.ValidString(hdr.Linkname) {
			return e, false, fmt.Errorf("symlink target %q is not valid UTF-8", hdr.Linkname)
		}
		if len(hdr.Linkname) >= maxPathLen {
			return e, false, fmt.Errorf("symlink target of %d bytes is longer than the kernel allows", len(hdr.Linkname))
		}
		e.Linkname = hdr.Linkname
	case tar.TypeDir:
		e.Type = TypeDir
	case tar.TypeChar, tar.TypeBlock:
		e.Type = TypeChar
		if hdr.Typeflag == tar.TypeBlock {
			e.Type = TypeBlock
		}
		if e.Devmajor, err = id("device major number", hdr.Devmajor); err != nil {
			return e, false, err
		}
		if e.Devminor, err = id("device minor number", hdr.Devminor); err != nil {
			return e, false, err
		}
	case tar.TypeFifo:
		e.Type = TypeFIFO
	default:
		return e, false, fmt.Errorf("unsupported tar entry type %q", hdr.Typeflag)
	}
	return e, false, nil
}

// id checks that a header's owner or device number fits the kernel's
// 32 bits.
func id[T int | int64](what string, v T) (uint32, error) {
	if v < 0 || int64(v) > math.MaxUint32 {
		return 0, fmt.Errorf("%s %d out of range", what, v)
	}
	return uint32(v), nil
}

func isSparse(hdr *tar.Header) bool {
	if hdr.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range hdr.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

const (
	paxSchilyXattr     = "SCHILY.xattr."
	paxLibarchiveXattr = "LIBARCHIVE.xattr."
)

// xattrs collects extended attributes from PAX records, in both the
// SCHILY form (GNU tar, Go, containers/storage) and libarchive's
// URL-encoded name / base64 value form.
func xattrs(hdr *tar.Header) (map[string]string, error) {
	var out map[string]string
	set := func(k, v string) {
		if out == nil {
			out = make(map[string]string)
		}
		out[k] = v
	}
	for k, v := range hdr.PAXRecords {
		switch {
		case strings.HasPrefix(k, paxSchilyXattr):
			set(strings.TrimPrefix(k, paxSchilyXattr), v)
		case strings.HasPrefix(k, paxLibarchiveXattr):
			name, err := url.PathUnescape(strings.TrimPrefix(k, paxLibarchiveXattr))
			if err != nil {
				return nil, fmt.Errorf("xattr record %q: %w", k, err)
			}
			val, err := base64.StdEncoding.DecodeString(v)
			if err != nil {
				val, err = base64.RawStdEncoding.DecodeString(v)
			}
			if err != nil {
				return nil, fmt.Errorf("xattr record %q: %w", k, err)
			}
			set(name, string(val))
		}
	}
	return out, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
