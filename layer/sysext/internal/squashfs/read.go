package squashfs

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"
	"github.com/ulikunitz/xz"

	"github.com/oslayer/oslayer/layer"
)

// Compression ids other than zlib (squashfs_fs.h).
const (
	lzmaID = 2
	lzoID  = 3
	xzID   = 4
	lz4ID  = 5
	zstdID = 6
)

// Reader reads a squashfs 4.0 filesystem: compressed with gzip, xz or
// zstd (what mksquashfs and this package write), with or without
// fragments, xattrs and an export table. It checks every offset and size
// against the image before using it: images come from anywhere.
type Reader struct {
	r         io.ReaderAt
	size      int64
	sb        superblock
	comp      uint16
	ids       []uint32
	frags     []fragment
	xattrIDs  []xattrID
	xattrBase uint64
	decode    func([]byte, int) ([]byte, error)
	cache     map[uint64]metaBlock // metadata blocks by position
	zs        *zstd.Decoder
}

type metaBlock struct {
	data []byte
	next uint64 // where the following block starts
}

type fragment struct {
	start uint64
	size  uint32
}

type xattrID struct {
	ref         uint64
	count, size uint32
}

// File is one path of a filesystem being read.
type File struct {
	// Path is clean and relative ("usr/bin/x"); the root is "".
	Path string
	layer.Metadata
	// Inode is the inode's number: names that share it are hard links.
	Inode uint32
	in    *rawInode
}

// rawInode is what reading a file's content needs.
type rawInode struct {
	start     uint64
	frag      uint32
	fragOff   uint32
	blocks    []uint32
	dirBlock  uint32
	dirOffset uint16
	dirSize   uint32
}

// maxDepth bounds how deep Walk goes: no real tree comes close.
const maxDepth = 512

// Open reads the superblock and the id, fragment and xattr tables of the
// filesystem in r, size bytes long.
func Open(r io.ReaderAt, size int64) (*Reader, error) {
	b := make([]byte, superSize)
	if _, err := r.ReadAt(b, 0); err != nil {
		return nil, fmt.Errorf("squashfs superblock: %w", err)
	}
	le := binary.LittleEndian
	if le.Uint32(b) != magic {
		return nil, errors.New("not a squashfs filesystem (no squashfs magic at offset 0)")
	}
	rd := &Reader{r: r, size: size, cache: map[uint64]metaBlock{}}
	sb := superblock{
		inodes: le.Uint32(b[4:]), mkfsTime: le.Uint32(b[8:]), blockSize: le.Uint32(b[12:]),
		blockLog: le.Uint16(b[22:]), flags: le.Uint16(b[24:]), noIDs: le.Uint16(b[26:]),
		rootInode: le.Uint64(b[32:]), bytesUsed: le.Uint64(b[40:]), idTable: le.Uint64(b[48:]),
		xattrIDs: le.Uint64(b[56:]), inodeTable: le.Uint64(b[64:]), dirTable: le.Uint64(b[72:]),
		fragTable: le.Uint64(b[80:]), lookup: le.Uint64(b[88:]),
	}
	nfrags := le.Uint32(b[16:])
	rd.comp = le.Uint16(b[20:])
	switch major, minor := le.Uint16(b[28:]), le.Uint16(b[30:]); {
	case major != 4 || minor != 0:
		return nil, fmt.Errorf("squashfs %d.%d: only 4.0 is read", major, minor)
	case sb.blockSize < 4096 || sb.blockSize > 1<<20 || sb.blockSize != 1<<sb.blockLog:
		return nil, fmt.Errorf("squashfs: block size %d does not fit its log %d", sb.blockSize, sb.blockLog)
	case sb.bytesUsed > uint64(size):
		return nil, fmt.Errorf("squashfs: %d bytes used, but the image has %d", sb.bytesUsed, size)
	case sb.inodeTable >= sb.dirTable || sb.dirTable > sb.bytesUsed:
		return nil, errors.New("squashfs: inode and directory tables out of order")
	}
	rd.sb = sb
	switch rd.comp {
	case zlibID:
		rd.decode = inflate
	case xzID:
		rd.decode = unxz
	case zstdID:
		zs, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(8<<20))
		if err != nil {
			return nil, err
		}
		rd.zs = zs
		rd.decode = func(b []byte, limit int) ([]byte, error) {
			out, err := zs.DecodeAll(b, make([]byte, 0, limit))
			if err == nil && len(out) > limit {
				err = errors.New("block expands beyond its size")
			}
			return out, err
		}
	default:
		names := map[uint16]string{lzmaID: "lzma", lzoID: "lzo", lz4ID: "lz4"}
		name := names[rd.comp]
		if name == "" {
			name = fmt.Sprintf("compressor %d", rd.comp)
		}
		return nil, fmt.Errorf("squashfs compressed with %s: only gzip, xz and zstd are read (extract it with unsquashfs and give the directory)", name)
	}
	var err error
	if rd.ids, err = rd.idTable(sb.idTable, int(sb.noIDs)); err != nil {
		return nil, fmt.Errorf("squashfs id table: %w", err)
	}
	if nfrags > 0 {
		if rd.frags, err = rd.fragTable(sb.fragTable, nfrags); err != nil {
			return nil, fmt.Errorf("squashfs fragment table: %w", err)
		}
	}
	if sb.xattrIDs != invalidBlock {
		if err := rd.xattrTable(sb.xattrIDs); err != nil {
			return nil, fmt.Errorf("squashfs xattr table: %w", err)
		}
	}
	return rd, nil
}

// Close releases the decompressor.
func (rd *Reader) Close() error {
	if rd.zs != nil {
		rd.zs.Close()
	}
	return nil
}

func inflate(b []byte, limit int) ([]byte, error) {
	zr, err := zlib.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return readLimited(zr, limit)
}

func unxz(b []byte, limit int) ([]byte, error) {
	xr, err := xz.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	return readLimited(xr, limit)
}

func readLimited(r io.Reader, limit int) ([]byte, error) {
	out, err := io.ReadAll(io.LimitReader(r, int64(limit)+1))
	if err == nil && len(out) > limit {
		err = errors.New("block expands beyond its size")
	}
	return out, err
}

// readAt reads n bytes at off, within the bytes used.
func (rd *Reader) readAt(off uint64, n int) ([]byte, error) {
	if n < 0 || off > rd.sb.bytesUsed || uint64(n) > rd.sb.bytesUsed-off {
		return nil, fmt.Errorf("%d bytes at %d: beyond the filesystem", n, off)
	}
	b := make([]byte, n)
	if _, err := rd.r.ReadAt(b, int64(off)); err != nil {
		return nil, err
	}
	return b, nil
}

// meta reads the metadata block at off.
func (rd *Reader) meta(off uint64) (metaBlock, error) {
	if m, ok := rd.cache[off]; ok {
		return m, nil
	}
	h, err := rd.readAt(off, 2)
	if err != nil {
		return metaBlock{}, err
	}
	hdr := binary.LittleEndian.Uint16(h)
	n := int(hdr &^ metaRaw)
	if n == 0 || n > metaSize {
		return metaBlock{}, fmt.Errorf("metadata block at %d: bad length %d", off, n)
	}
	data, err := rd.readAt(off+2, n)
	if err != nil {
		return metaBlock{}, err
	}
	if hdr&metaRaw == 0 {
		if data, err = rd.decode(data, metaSize); err != nil {
			return metaBlock{}, fmt.Errorf("metadata block at %d: %w", off, err)
		}
	}
	m := metaBlock{data: data, next: off + 2 + uint64(n)}
	if len(rd.cache) > 4096 {
		clear(rd.cache) // a bound, not a policy: tables are read in order
	}
	rd.cache[off] = m
	return m, nil
}

// metaReader reads metadata from a position on, across blocks.
type metaReader struct {
	rd  *Reader
	blk uint64 // absolute position of the current block
	off int
	cur metaBlock
}

func (rd *Reader) metaAt(table uint64, block uint64, offset int) (*metaReader, error) {
	m, err := rd.meta(table + block)
	if err != nil {
		return nil, err
	}
	if offset > len(m.data) {
		return nil, fmt.Errorf("metadata offset %d beyond its block", offset)
	}
	return &metaReader{rd: rd, blk: table + block, off: offset, cur: m}, nil
}

func (mr *metaReader) read(n int) ([]byte, error) {
	if n < 0 || n > 1<<24 {
		return nil, fmt.Errorf("metadata read of %d bytes", n)
	}
	out := make([]byte, 0, n)
	for len(out) < n {
		if mr.off == len(mr.cur.data) {
			m, err := mr.rd.meta(mr.cur.next)
			if err != nil {
				return nil, err
			}
			mr.blk, mr.off, mr.cur = mr.cur.next, 0, m
		}
		k := min(n-len(out), len(mr.cur.data)-mr.off)
		out = append(out, mr.cur.data[mr.off:mr.off+k]...)
		mr.off += k
	}
	return out, nil
}

// table reads a table written as metadata blocks and an index of their
// positions at indexAt: n bytes of entries.
func (rd *Reader) table(indexAt uint64, n int) ([]byte, error) {
	blocks := (n + metaSize - 1) / metaSize
	idx, err := rd.readAt(indexAt, 8*blocks)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, n)
	for i := range blocks {
		m, err := rd.meta(binary.LittleEndian.Uint64(idx[8*i:]))
		if err != nil {
			return nil, err
		}
		out = append(out, m.data...)
	}
	if len(out) < n {
		return nil, fmt.Errorf("%d bytes of entries, %d wanted", len(out), n)
	}
	return out[:n], nil
}

func (rd *Reader) idTable(at uint64, n int) ([]uint32, error) {
	if n == 0 {
		return nil, errors.New("no ids")
	}
	b, err := rd.table(at, 4*n)
	if err != nil {
		return nil, err
	}
	ids := make([]uint32, n)
	for i := range ids {
		ids[i] = binary.LittleEndian.Uint32(b[4*i:])
	}
	return ids, nil
}

func (rd *Reader) fragTable(at uint64, n uint32) ([]fragment, error) {
	if uint64(n)*16 > rd.sb.bytesUsed {
		return nil, fmt.Errorf("%d fragments cannot fit", n)
	}
	b, err := rd.table(at, 16*int(n))
	if err != nil {
		return nil, err
	}
	out := make([]fragment, n)
	for i := range out {
		out[i] = fragment{start: binary.LittleEndian.Uint64(b[16*i:]), size: binary.LittleEndian.Uint32(b[16*i+8:])}
	}
	return out, nil
}

func (rd *Reader) xattrTable(at uint64) error {
	h, err := rd.readAt(at, 16)
	if err != nil {
		return err
	}
	rd.xattrBase = binary.LittleEndian.Uint64(h)
	n := binary.LittleEndian.Uint32(h[8:])
	if uint64(n)*16 > rd.sb.bytesUsed {
		return fmt.Errorf("%d xattr ids cannot fit", n)
	}
	b, err := rd.table(at+16, 16*int(n))
	if err != nil {
		return err
	}
	rd.xattrIDs = make([]xattrID, n)
	for i := range rd.xattrIDs {
		rd.xattrIDs[i] = xattrID{ref: binary.LittleEndian.Uint64(b[16*i:]),
			count: binary.LittleEndian.Uint32(b[16*i+8:]), size: binary.LittleEndian.Uint32(b[16*i+12:])}
	}
	return nil
}

// xattrs reads the xattr set with index i.
func (rd *Reader) xattrs(i uint32) (map[string]string, error) {
	if i == noXattr {
		return nil, nil
	}
	if int(i) >= len(rd.xattrIDs) {
		return nil, fmt.Errorf("xattr id %d of %d", i, len(rd.xattrIDs))
	}
	id := rd.xattrIDs[i]
	mr, err := rd.metaAt(rd.xattrBase, id.ref>>16, int(id.ref&0xffff))
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	out := map[string]string{}
	for range id.count {
		h, err := mr.read(4)
		if err != nil {
			return nil, err
		}
		typ, nameLen := le.Uint16(h), le.Uint16(h[2:])
		if int(typ&0xff) >= len(xattrPrefixes) {
			return nil, fmt.Errorf("xattr type %d", typ)
		}
		name, err := mr.read(int(nameLen))
		if err != nil {
			return nil, err
		}
		vh, err := mr.read(4)
		if err != nil {
			return nil, err
		}
		value, err := mr.read(int(le.Uint32(vh)))
		if err != nil {
			return nil, err
		}
		if typ&0x100 != 0 { // the value is elsewhere: this is its reference
			if len(value) != 8 {
				return nil, errors.New("out-of-line xattr value without its reference")
			}
			ref := le.Uint64(value)
			vr, err := rd.metaAt(rd.xattrBase, ref>>16, int(ref&0xffff))
			if err != nil {
				return nil, err
			}
			if vh, err = vr.read(4); err != nil {
				return nil, err
			}
			if value, err = vr.read(int(le.Uint32(vh))); err != nil {
				return nil, err
			}
		}
		out[xattrPrefixes[typ&0xff]+string(name)] = string(value)
	}
	return out, nil
}

// Walk calls fn for every path, parents before children, siblings in name
// order, the root ("") first.
func (rd *Reader) Walk(fn func(f *File) error) error {
	root, err := rd.inode("", rd.sb.rootInode)
	if err != nil {
		return err
	}
	if root.Type != layer.TypeDir {
		return errors.New("squashfs: the root is not a directory")
	}
	seen := map[uint64]bool{}
	var visit func(d *File, ref uint64, depth int) error
	visit = func(d *File, ref uint64, depth int) error {
		if err := fn(d); err != nil {
			return err
		}
		if d.Type != layer.TypeDir {
			return nil
		}
		if seen[ref] || depth > maxDepth {
			return fmt.Errorf("squashfs: /%s: directory loop", d.Path)
		}
		seen[ref] = true
		ents, err := rd.listing(d)
		if err != nil {
			return fmt.Errorf("squashfs: /%s: %w", d.Path, err)
		}
		for _, e := range ents {
			p := e.name
			if d.Path != "" {
				p = d.Path + "/" + e.name
			}
			c, err := rd.inode(p, e.ref)
			if err != nil {
				return err
			}
			if err := visit(c, e.ref, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	return visit(root, rd.sb.rootInode, 0)
}

type dirEntry struct {
	name string
	ref  uint64
}

// listing reads a directory's entries.
func (rd *Reader) listing(d *File) ([]dirEntry, error) {
	if d.in.dirSize < 3 {
		return nil, fmt.Errorf("directory size %d", d.in.dirSize)
	}
	left := int(d.in.dirSize) - 3
	if left == 0 {
		return nil, nil
	}
	mr, err := rd.metaAt(rd.sb.dirTable, uint64(d.in.dirBlock), int(d.in.dirOffset))
	if err != nil {
		return nil, err
	}
	le := binary.LittleEndian
	var out []dirEntry
	prev := ""
	for left > 0 {
		h, err := mr.read(12)
		if err != nil {
			return nil, err
		}
		left -= 12
		count, block := le.Uint32(h)+1, le.Uint32(h[4:])
		if count > maxHeaderEntries {
			return nil, fmt.Errorf("listing header of %d entries", count)
		}
		for range count {
			e, err := mr.read(8)
			if err != nil {
				return nil, err
			}
			name, err := mr.read(int(le.Uint16(e[6:])) + 1)
			if err != nil {
				return nil, err
			}
			left -= 8 + len(name)
			n := string(name)
			if n == "." || n == ".." || strings.ContainsAny(n, "/\x00") || n <= prev {
				return nil, fmt.Errorf("bad or unsorted name %q", n)
			}
			prev = n
			out = append(out, dirEntry{name: n, ref: uint64(block)<<16 | uint64(le.Uint16(e))})
		}
	}
	if left != 0 {
		return nil, errors.New("listing overruns its size")
	}
	return out, nil
}

// inode reads the inode at ref for the path p.
func (rd *Reader) inode(p string, ref uint64) (*File, error) {
	fail := func(err error) (*File, error) { return nil, fmt.Errorf("squashfs: /%s: %w", p, err) }
	mr, err := rd.metaAt(rd.sb.inodeTable, ref>>16, int(ref&0xffff))
	if err != nil {
		return fail(err)
	}
	le := binary.LittleEndian
	h, err := mr.read(16)
	if err != nil {
		return fail(err)
	}
	typ := le.Uint16(h)
	f := &File{Path: p, Inode: le.Uint32(h[12:]), in: &rawInode{}}
	f.Mode, f.ModTime = uint32(le.Uint16(h[2:])&0o7777), int64(le.Uint32(h[8:]))*1e9
	uidIdx, gidIdx := le.Uint16(h[4:]), le.Uint16(h[6:])
	if int(uidIdx) >= len(rd.ids) || int(gidIdx) >= len(rd.ids) {
		return fail(errors.New("owner beyond the id table"))
	}
	f.UID, f.GID = rd.ids[uidIdx], rd.ids[gidIdx]
	u32 := func(n int) ([]uint32, error) {
		b, err := mr.read(4 * n)
		if err != nil {
			return nil, err
		}
		out := make([]uint32, n)
		for i := range out {
			out[i] = le.Uint32(b[4*i:])
		}
		return out, nil
	}
	xattr := noXattr
	switch typ {
	case typeDir:
		b, err := mr.read(16)
		if err != nil {
			return fail(err)
		}
		f.Type = layer.TypeDir
		f.in.dirBlock, f.in.dirSize, f.in.dirOffset = le.Uint32(b), uint32(le.Uint16(b[8:])), le.Uint16(b[10:])
	case typeDir + extended:
		b, err := mr.read(24)
		if err != nil {
			return fail(err)
		}
		f.Type = layer.TypeDir
		f.in.dirSize, f.in.dirBlock, f.in.dirOffset = le.Uint32(b[4:]), le.Uint32(b[8:]), le.Uint16(b[18:])
		xattr = le.Uint32(b[20:])
	case typeReg, typeReg + extended:
		f.Type = layer.TypeRegular
		var size uint64
		if typ == typeReg {
			v, err := u32(4)
			if err != nil {
				return fail(err)
			}
			f.in.start, f.in.frag, f.in.fragOff, size = uint64(v[0]), v[1], v[2], uint64(v[3])
		} else {
			b, err := mr.read(40)
			if err != nil {
				return fail(err)
			}
			f.in.start, size = le.Uint64(b), le.Uint64(b[8:])
			f.in.frag, f.in.fragOff, xattr = le.Uint32(b[28:]), le.Uint32(b[32:]), le.Uint32(b[36:])
		}
		if size > rd.sb.bytesUsed*uint64(rd.sb.blockSize) || size > 1<<50 {
			return fail(fmt.Errorf("file size %d cannot fit", size))
		}
		f.Size = int64(size)
		n := size / uint64(rd.sb.blockSize)
		if f.in.frag == invalidFrag && size%uint64(rd.sb.blockSize) != 0 {
			n++
		}
		if f.in.blocks, err = u32(int(n)); err != nil {
			return fail(err)
		}
	case typeSymlink, typeSymlink + extended:
		v, err := u32(2)
		if err != nil {
			return fail(err)
		}
		if v[1] == 0 || v[1] > 4095 {
			return fail(fmt.Errorf("symlink target of %d bytes", v[1]))
		}
		t, err := mr.read(int(v[1]))
		if err != nil {
			return fail(err)
		}
		f.Type, f.Linkname = layer.TypeSymlink, string(t)
		if typ != typeSymlink {
			x, err := u32(1)
			if err != nil {
				return fail(err)
			}
			xattr = x[0]
		}
	case typeBlock, typeChar, typeBlock + extended, typeChar + extended:
		v, err := u32(2)
		if err != nil {
			return fail(err)
		}
		f.Type = layer.TypeBlock
		if typ == typeChar || typ == typeChar+extended {
			f.Type = layer.TypeChar
		}
		f.Devmajor, f.Devminor = (v[1]&0xfff00)>>8, v[1]&0xff|(v[1]>>12)&0xfff00
		if typ > extended {
			x, err := u32(1)
			if err != nil {
				return fail(err)
			}
			xattr = x[0]
		}
	case typeFIFO, typeFIFO + extended:
		if _, err := u32(1); err != nil {
			return fail(err)
		}
		f.Type = layer.TypeFIFO
		if typ == typeFIFO+extended {
			x, err := u32(1)
			if err != nil {
				return fail(err)
			}
			xattr = x[0]
		}
	default:
		return fail(fmt.Errorf("inode type %d (a socket, or damage)", typ))
	}
	if f.Xattrs, err = rd.xattrs(xattr); err != nil {
		return fail(err)
	}
	return f, nil
}

// Open returns a reader of a regular file's content.
func (rd *Reader) Open(f *File) (io.Reader, error) {
	if f.Type != layer.TypeRegular {
		return nil, fmt.Errorf("squashfs: /%s is not a regular file", f.Path)
	}
	return &fileReader{rd: rd, f: f, pos: f.in.start, left: f.Size}, nil
}

// fileReader reads a file's blocks, then its fragment.
type fileReader struct {
	rd    *Reader
	f     *File
	pos   uint64 // where the next block is stored
	block int    // the next block
	left  int64
	buf   []byte
}

func (fr *fileReader) Read(p []byte) (int, error) {
	for len(fr.buf) == 0 {
		if fr.left == 0 {
			return 0, io.EOF
		}
		var err error
		if fr.buf, err = fr.next(); err != nil {
			return 0, fmt.Errorf("squashfs: /%s: %w", fr.f.Path, err)
		}
		fr.left -= int64(len(fr.buf))
	}
	n := copy(p, fr.buf)
	fr.buf = fr.buf[n:]
	return n, nil
}

// next returns the next block of the file, or its fragment.
func (fr *fileReader) next() ([]byte, error) {
	bs := int64(fr.rd.sb.blockSize)
	want := int(min(fr.left, bs))
	in := fr.f.in
	if fr.block < len(in.blocks) {
		word := in.blocks[fr.block]
		fr.block++
		return fr.rd.dataBlock(&fr.pos, word, want)
	}
	if in.frag == invalidFrag || int(in.frag) >= len(fr.rd.frags) {
		return nil, errors.New("content beyond its blocks, and no fragment")
	}
	fg := fr.rd.frags[in.frag]
	pos := fg.start
	data, err := fr.rd.dataBlock(&pos, fg.size, -1)
	if err != nil {
		return nil, err
	}
	if uint64(in.fragOff)+uint64(want) > uint64(len(data)) {
		return nil, errors.New("tail beyond its fragment")
	}
	return data[in.fragOff : int(in.fragOff)+want], nil
}

// dataBlock reads the data block stored at *pos with the size word word,
// advancing *pos; want is the size it must have (-1: a fragment block).
func (rd *Reader) dataBlock(pos *uint64, word uint32, want int) ([]byte, error) {
	n := word &^ dataRaw
	if n == 0 { // a sparse block
		if want < 0 {
			return nil, errors.New("empty fragment block")
		}
		return make([]byte, want), nil
	}
	if n > rd.sb.blockSize {
		return nil, fmt.Errorf("data block of %d bytes", n)
	}
	b, err := rd.readAt(*pos, int(n))
	if err != nil {
		return nil, err
	}
	*pos += uint64(n)
	if word&dataRaw == 0 {
		if b, err = rd.decode(b, int(rd.sb.blockSize)); err != nil {
			return nil, err
		}
	}
	if want >= 0 && len(b) != want {
		return nil, fmt.Errorf("data block of %d bytes where %d belong", len(b), want)
	}
	return b, nil
}
