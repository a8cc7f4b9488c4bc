// Package squashfs writes squashfs 4.0 filesystems, as the Linux kernel
// reads them (Documentation/filesystems/squashfs.rst), from a list of
// entries: regular files, directories, symlinks, devices and fifos, with
// their modes (setuid, setgid and sticky bits included), owners, xattrs
// (user., trusted. and security.) and hard links.
//
// The output depends only on the entries and the options: entries are
// written in path order, every inode and the superblock carry one given
// time, no table is laid out by hash or by time, and gzip (zlib) is
// deterministic. It needs no privileges and no file system to stage the
// tree in. Data blocks are not deduplicated and tails are stored as short
// blocks, not packed into fragments.
package squashfs

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/oslayer/oslayer/layer"
)

// DefaultBlockSize is the data block size mksquashfs uses too.
const DefaultBlockSize = 128 << 10

// Options tune Write.
type Options struct {
	// ModTime is every inode's modification time and the filesystem's
	// creation time, in seconds since 1970.
	ModTime uint32
	// BlockSize is the data block size, a power of two from 4 KiB to
	// 1 MiB; 0 means DefaultBlockSize.
	BlockSize int
}

// On-disk constants (squashfs_fs.h).
const (
	magic        = 0x73717368
	superSize    = 96
	metaSize     = 8192    // uncompressed size of a metadata block
	metaRaw      = 1 << 15 // metadata block header: stored uncompressed
	dataRaw      = 1 << 24 // data block size word: stored uncompressed
	invalidBlock = ^uint64(0)
	invalidFrag  = ^uint32(0)
	noXattr      = ^uint32(0)
	zlibID       = 1

	flagNoFragments = 0x0010
)

// Write writes entries as a squashfs filesystem to w, which must start
// empty: the superblock is written last, at offset 0. Entries name every
// path once, parents before children (the root is "" and may be left out:
// it then is a directory 0755 owned by 0:0); a hard link's target comes
// before it. Cancelling ctx stops the write within a block.
func Write(ctx context.Context, w io.WriteSeeker, entries []layer.TarEntry, opts Options) error {
	bs := opts.BlockSize
	if bs == 0 {
		bs = DefaultBlockSize
	}
	if bs < 4096 || bs > 1<<20 || bs&(bs-1) != 0 {
		return fmt.Errorf("squashfs: block size %d: want a power of two from 4 KiB to 1 MiB", bs)
	}
	fs, err := newTree(entries)
	if err != nil {
		return err
	}
	z := newCompressor()
	wr := &writer{ctx: ctx, out: &countingWriter{w: w}, fs: fs, opts: opts, blockSize: bs, z: z,
		inodes: newMetaWriter(z), dirs: newMetaWriter(z)}
	if _, err := wr.out.Write(make([]byte, superSize)); err != nil {
		return err
	}
	return wr.write()
}

// writer holds the state of one Write.
type writer struct {
	ctx       context.Context
	out       *countingWriter
	fs        *tree
	opts      Options
	blockSize int
	z         *compressor
	inodes    *metaWriter
	dirs      *metaWriter
	buf       []byte // one data block
}

func (wr *writer) write() error {
	if err := wr.dir(wr.fs.root); err != nil {
		return err
	}
	sb := superblock{
		inodes:    wr.fs.count,
		mkfsTime:  wr.opts.ModTime,
		blockSize: uint32(wr.blockSize),
		blockLog:  uint16(log2(wr.blockSize)),
		flags:     flagNoFragments,
		noIDs:     uint16(len(wr.fs.ids)),
		rootInode: wr.fs.root.ino.ref,
		lookup:    invalidBlock,
		xattrIDs:  invalidBlock,
	}
	var err error
	if sb.inodeTable, err = wr.put(wr.inodes.finish()); err != nil {
		return err
	}
	if sb.dirTable, err = wr.put(wr.dirs.finish()); err != nil {
		return err
	}
	sb.fragTable = uint64(wr.out.n) // no fragments: an empty table
	ids := make([]byte, 4*len(wr.fs.ids))
	for i, id := range wr.fs.ids {
		binary.LittleEndian.PutUint32(ids[4*i:], id)
	}
	if sb.idTable, err = wr.table(ids, nil); err != nil {
		return err
	}
	if len(wr.fs.xattrSets) > 0 {
		if sb.xattrIDs, err = wr.xattrs(); err != nil {
			return err
		}
	}
	sb.bytesUsed = uint64(wr.out.n)
	// Padded to 4 KiB, as mksquashfs does, for loop devices.
	if pad := (4096 - wr.out.n%4096) % 4096; pad > 0 {
		if _, err := wr.out.Write(make([]byte, pad)); err != nil {
			return err
		}
	}
	if _, err := wr.out.w.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err = wr.out.w.Write(sb.bytes())
	return err
}

// put writes b and returns where it starts.
func (wr *writer) put(b []byte) (uint64, error) {
	at := uint64(wr.out.n)
	_, err := wr.out.Write(b)
	return at, err
}

// table writes data as metadata blocks, then header, then the index of
// the blocks' positions, and returns where header (or, without one, the
// index) starts: the layout of the id and xattr id tables.
func (wr *writer) table(data, header []byte) (uint64, error) {
	var index []byte
	for len(data) > 0 {
		n := min(len(data), metaSize)
		index = binary.LittleEndian.AppendUint64(index, uint64(wr.out.n))
		if _, err := wr.out.Write(wr.z.metaBlock(data[:n])); err != nil {
			return 0, err
		}
		data = data[n:]
	}
	at, err := wr.put(header)
	if err != nil {
		return 0, err
	}
	_, err = wr.out.Write(index)
	return at, err
}

// dir writes what is below d, then d's listing and inode: a directory's
// inode needs its listing's place, and the listing its children's inodes.
func (wr *writer) dir(d *node) error {
	for _, c := range d.children {
		if c.isDir() {
			if err := wr.dir(c); err != nil {
				return err
			}
			continue
		}
		if c.ino.written {
			continue // a hard link to an inode written already
		}
		if c.e.Type == layer.TypeRegular {
			if err := wr.data(c); err != nil {
				return err
			}
		}
		if err := wr.inode(c); err != nil {
			return err
		}
	}
	wr.listing(d)
	return wr.inode(d)
}

// data writes a regular file's blocks, recording where they start and
// their sizes.
func (wr *writer) data(n *node) error {
	in := n.ino
	in.start = uint64(wr.out.n)
	if in.e.Size == 0 {
		return nil
	}
	if in.e.Content == nil {
		return fmt.Errorf("squashfs: /%s: no content", in.e.Path)
	}
	rc, err := in.e.Content()
	if err != nil {
		return fmt.Errorf("squashfs: /%s: %w", in.e.Path, err)
	}
	defer rc.Close()
	if wr.buf == nil {
		wr.buf = make([]byte, wr.blockSize)
	}
	for left := in.e.Size; left > 0; {
		if err := wr.ctx.Err(); err != nil {
			return err
		}
		b := wr.buf[:min(left, int64(wr.blockSize))]
		if _, err := io.ReadFull(rc, b); err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("squashfs: /%s: %w", in.e.Path, err)
		}
		left -= int64(len(b))
		stored, size := wr.z.dataBlock(b)
		if _, err := wr.out.Write(stored); err != nil {
			return err
		}
		in.blocks = append(in.blocks, size)
	}
	// Reading on to the end lets a verifying reader check what it gave.
	if n, err := rc.Read(wr.buf[:1]); n > 0 || err != io.EOF {
		if err == nil || err == io.EOF {
			err = errors.New("content is longer than its size")
		}
		return fmt.Errorf("squashfs: /%s: %w", in.e.Path, err)
	}
	return nil
}

// countingWriter counts what is written through it.
type countingWriter struct {
	w io.WriteSeeker
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

type superblock struct {
	inodes, mkfsTime, blockSize             uint32
	blockLog, flags, noIDs                  uint16
	rootInode, bytesUsed, idTable, xattrIDs uint64
	inodeTable, dirTable, fragTable, lookup uint64
}

func (s superblock) bytes() []byte {
	b := make([]byte, 0, superSize)
	le := binary.LittleEndian
	b = le.AppendUint32(b, magic)
	b = le.AppendUint32(b, s.inodes)
	b = le.AppendUint32(b, s.mkfsTime)
	b = le.AppendUint32(b, s.blockSize)
	b = le.AppendUint32(b, 0) // fragments
	b = le.AppendUint16(b, zlibID)
	b = le.AppendUint16(b, s.blockLog)
	b = le.AppendUint16(b, s.flags)
	b = le.AppendUint16(b, s.noIDs)
	b = le.AppendUint16(b, 4) // major version
	b = le.AppendUint16(b, 0) // minor version
	for _, v := range []uint64{s.rootInode, s.bytesUsed, s.idTable, s.xattrIDs, s.inodeTable, s.dirTable, s.fragTable, s.lookup} {
		b = le.AppendUint64(b, v)
	}
	return b
}

func log2(n int) int {
	l := 0
	for n > 1 {
		n >>= 1
		l++
	}
	return l
}
