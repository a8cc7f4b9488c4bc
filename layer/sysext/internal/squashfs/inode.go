package squashfs

import (
	"encoding/binary"
	"fmt"

	"github.com/oslayer/oslayer/layer"
)

// Inode types; the extended form of each is basic+7.
const (
	typeDir     = 1
	typeReg     = 2
	typeSymlink = 3
	typeBlock   = 4
	typeChar    = 5
	typeFIFO    = 6
	extended    = 7
)

// basicType is the inode type a directory entry names.
func basicType(t layer.Type) uint16 {
	switch t {
	case layer.TypeDir:
		return typeDir
	case layer.TypeSymlink:
		return typeSymlink
	case layer.TypeBlock:
		return typeBlock
	case layer.TypeChar:
		return typeChar
	case layer.TypeFIFO:
		return typeFIFO
	}
	return typeReg
}

// devNumber encodes a device number as the kernel's new_encode_dev does.
func devNumber(major, minor uint32) uint32 {
	return minor&0xff | major<<8 | (minor&^0xff)<<12
}

// inode appends n's inode to the inode table.
func (wr *writer) inode(n *node) error {
	in := n.ino
	in.ref, in.written = wr.inodes.ref(), true
	e := in.e
	le := binary.LittleEndian
	ext := in.xattr != noXattr
	typ := basicType(e.Type)
	var body []byte
	switch e.Type {
	case layer.TypeDir:
		if ext || in.dirSize > 0xffff {
			typ += extended
			body = le.AppendUint32(body, in.nlink)
			body = le.AppendUint32(body, in.dirSize)
			body = le.AppendUint32(body, in.dirBlock)
			body = le.AppendUint32(body, in.parent)
			body = le.AppendUint16(body, 0) // no index
			body = le.AppendUint16(body, in.dirOffset)
			body = le.AppendUint32(body, in.xattr)
		} else {
			body = le.AppendUint32(body, in.dirBlock)
			body = le.AppendUint32(body, in.nlink)
			body = le.AppendUint16(body, uint16(in.dirSize))
			body = le.AppendUint16(body, in.dirOffset)
			body = le.AppendUint32(body, in.parent)
		}
	case layer.TypeRegular:
		if ext || in.nlink > 1 || in.start > 0xffffffff || e.Size > 0xffffffff {
			typ += extended
			body = le.AppendUint64(body, in.start)
			body = le.AppendUint64(body, uint64(e.Size))
			body = le.AppendUint64(body, 0) // sparse bytes
			body = le.AppendUint32(body, in.nlink)
			body = le.AppendUint32(body, invalidFrag)
			body = le.AppendUint32(body, 0) // fragment offset
			body = le.AppendUint32(body, in.xattr)
		} else {
			body = le.AppendUint32(body, uint32(in.start))
			body = le.AppendUint32(body, invalidFrag)
			body = le.AppendUint32(body, 0)
			body = le.AppendUint32(body, uint32(e.Size))
		}
		for _, s := range in.blocks {
			body = le.AppendUint32(body, s)
		}
	case layer.TypeSymlink:
		if e.Linkname == "" || len(e.Linkname) > 4095 {
			return fmt.Errorf("squashfs: /%s: a symlink target must have 1 to 4095 bytes", e.Path)
		}
		body = le.AppendUint32(body, in.nlink)
		body = le.AppendUint32(body, uint32(len(e.Linkname)))
		body = append(body, e.Linkname...)
		if ext {
			typ += extended
			body = le.AppendUint32(body, in.xattr)
		}
	case layer.TypeChar, layer.TypeBlock:
		body = le.AppendUint32(body, in.nlink)
		body = le.AppendUint32(body, devNumber(e.Devmajor, e.Devminor))
		if ext {
			typ += extended
			body = le.AppendUint32(body, in.xattr)
		}
	case layer.TypeFIFO:
		body = le.AppendUint32(body, in.nlink)
		if ext {
			typ += extended
			body = le.AppendUint32(body, in.xattr)
		}
	}
	hdr := make([]byte, 0, 16+len(body))
	hdr = le.AppendUint16(hdr, typ)
	hdr = le.AppendUint16(hdr, uint16(e.Mode&0o7777))
	hdr = le.AppendUint16(hdr, in.uid)
	hdr = le.AppendUint16(hdr, in.gid)
	hdr = le.AppendUint32(hdr, wr.opts.ModTime)
	hdr = le.AppendUint32(hdr, in.number)
	wr.inodes.write(append(hdr, body...))
	return nil
}

// Directory listing limits: entries under one header, and the reach of an
// entry's inode number from the header's.
const (
	maxHeaderEntries = 256
	maxDelta         = 1<<15 - 1
)

// listing appends d's listing to the directory table: its children in
// name order, under headers that each cover entries whose inodes are in
// one metadata block and within reach of the header's inode number.
func (wr *writer) listing(d *node) {
	le := binary.LittleEndian
	in := d.ino
	in.dirBlock, in.dirOffset = wr.dirs.pos()
	var b []byte
	for i := 0; i < len(d.children); {
		first := d.children[i].ino
		block, base := uint32(first.ref>>16), int64(first.number)
		j := i
		for ; j < len(d.children) && j-i < maxHeaderEntries; j++ {
			c := d.children[j].ino
			if delta := int64(c.number) - base; uint32(c.ref>>16) != block || delta < -maxDelta-1 || delta > maxDelta {
				break
			}
		}
		b = le.AppendUint32(b, uint32(j-i-1))
		b = le.AppendUint32(b, block)
		b = le.AppendUint32(b, uint32(base))
		for _, c := range d.children[i:j] {
			b = le.AppendUint16(b, uint16(c.ino.ref&0xffff))
			b = le.AppendUint16(b, uint16(int16(int64(c.ino.number)-base)))
			b = le.AppendUint16(b, basicType(c.ino.e.Type))
			b = le.AppendUint16(b, uint16(len(c.name)-1))
			b = append(b, c.name...)
		}
		i = j
	}
	// The size counts the "." and ".." the kernel adds, 3 bytes.
	in.dirSize = uint32(len(b)) + 3
	wr.dirs.write(b)
}

// xattrs writes the xattr table (every set once) and its id table, and
// returns where the id table's header is.
func (wr *writer) xattrs() (uint64, error) {
	le := binary.LittleEndian
	kv := newMetaWriter(wr.z)
	var ids []byte
	for i, set := range wr.fs.xattrSets {
		ids = le.AppendUint64(ids, kv.ref())
		ids = le.AppendUint32(ids, wr.fs.xattrN[i])
		ids = le.AppendUint32(ids, wr.fs.xattrSize[i])
		kv.write(set)
	}
	start, err := wr.put(kv.finish())
	if err != nil {
		return 0, err
	}
	header := le.AppendUint64(nil, start)
	header = le.AppendUint32(header, uint32(len(wr.fs.xattrSets)))
	header = le.AppendUint32(header, 0)
	return wr.table(ids, header)
}
