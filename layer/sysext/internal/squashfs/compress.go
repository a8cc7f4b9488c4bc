package squashfs

import (
	"bytes"
	"encoding/binary"

	"github.com/klauspost/compress/zlib"
)

// compressor compresses blocks with zlib, what squashfs calls gzip,
// keeping a block compressed only when that makes it smaller.
type compressor struct {
	zw  *zlib.Writer
	out bytes.Buffer
}

func newCompressor() *compressor {
	c := &compressor{}
	c.zw, _ = zlib.NewWriterLevel(&c.out, zlib.BestCompression) // a valid level: no error
	return c
}

// compress returns b compressed, or nil when that is not smaller. The
// result is valid until the next call.
func (c *compressor) compress(b []byte) []byte {
	c.out.Reset()
	c.zw.Reset(&c.out)
	c.zw.Write(b) // writes to a bytes.Buffer do not fail
	c.zw.Close()
	if c.out.Len() >= len(b) {
		return nil
	}
	return c.out.Bytes()
}

// dataBlock returns what to store for a data block and its size word.
func (c *compressor) dataBlock(b []byte) (stored []byte, size uint32) {
	if z := c.compress(b); z != nil {
		return z, uint32(len(z))
	}
	return b, uint32(len(b)) | dataRaw
}

// metaBlock returns a metadata block: a 16-bit header (its stored length,
// with metaRaw when it is not compressed) and the bytes.
func (c *compressor) metaBlock(b []byte) []byte {
	stored, hdr := b, uint16(len(b))|metaRaw
	if z := c.compress(b); z != nil {
		stored, hdr = z, uint16(len(z))
	}
	out := binary.LittleEndian.AppendUint16(make([]byte, 0, 2+len(stored)), hdr)
	return append(out, stored...)
}

// metaWriter builds a table of metadata blocks (the inode or directory
// table) in memory, compressing each block as it fills.
type metaWriter struct {
	z      *compressor
	blocks []byte // the blocks compressed so far
	cur    []byte // the block being filled
}

func newMetaWriter(z *compressor) *metaWriter { return &metaWriter{z: z} }

// pos is where the next byte goes: the offset of its block in the table
// and its offset in the block, uncompressed.
func (m *metaWriter) pos() (block uint32, offset uint16) {
	return uint32(len(m.blocks)), uint16(len(m.cur))
}

// ref is pos as squashfs inode references spell it.
func (m *metaWriter) ref() uint64 {
	b, o := m.pos()
	return uint64(b)<<16 | uint64(o)
}

func (m *metaWriter) write(p []byte) {
	for len(p) > 0 {
		n := min(len(p), metaSize-len(m.cur))
		m.cur = append(m.cur, p[:n]...)
		p = p[n:]
		if len(m.cur) == metaSize {
			m.blocks = append(m.blocks, m.z.metaBlock(m.cur)...)
			m.cur = m.cur[:0]
		}
	}
}

// finish returns the table, its last block included.
func (m *metaWriter) finish() []byte {
	if len(m.cur) > 0 {
		m.blocks = append(m.blocks, m.z.metaBlock(m.cur)...)
		m.cur = nil
	}
	return m.blocks
}
