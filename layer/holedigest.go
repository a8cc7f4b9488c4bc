package layer

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"io"
)

// holeBlock is the unit of the hole digest: a block of a file's logical
// content that is all zeros is left out of it.
const holeBlock = 64 << 10

var zeroBlock [holeBlock]byte

// holeHasher computes the hole digest of a file: the sha256 of a tag, the
// file's size, then each block of holeBlock bytes (the last may be
// shorter) that is not all zeros, after its index. Holes and written
// zeros give the same digest, so it does not depend on how a file was
// stored (which runs a tar's sparse map or a filesystem left out), and it
// costs time for the data bytes only: a hole is skipped with Zero, not
// hashed. It is the Digest of a node whose Metadata.Sparse is set.
type holeHasher struct {
	h    hash.Hash
	size int64
	pos  int64 // logical bytes seen
	blk  []byte
	fill int // bytes of blk holding the current block
}

const holeDigestTag = "oslayer hole digest v1\n"

func newHoleHasher(size int64) *holeHasher {
	hh := &holeHasher{h: sha256.New(), size: size, blk: make([]byte, holeBlock)}
	hh.h.Write([]byte(holeDigestTag))
	hh.h.Write(binary.BigEndian.AppendUint64(nil, uint64(size)))
	return hh
}

// Write adds data bytes.
func (hh *holeHasher) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		if hh.fill == 0 && len(p) >= holeBlock {
			hh.block(p[:holeBlock])
			p = p[holeBlock:]
			continue
		}
		k := copy(hh.blk[hh.fill:], p)
		hh.fill += k
		p = p[k:]
		if hh.fill == holeBlock {
			hh.block(hh.blk)
			hh.fill = 0
		}
	}
	return n, nil
}

// Zero adds n zero bytes (a hole) without hashing whole blocks of them.
func (hh *holeHasher) Zero(n int64) {
	if n <= 0 {
		return
	}
	if hh.fill > 0 {
		k := int(min(n, int64(holeBlock-hh.fill)))
		clear(hh.blk[hh.fill : hh.fill+k])
		hh.fill += k
		n -= int64(k)
		if hh.fill < holeBlock {
			return
		}
		hh.block(hh.blk)
		hh.fill = 0
	}
	hh.pos += n / holeBlock * holeBlock
	if rest := int(n % holeBlock); rest > 0 {
		clear(hh.blk[:rest])
		hh.fill = rest
	}
}

// block adds one whole or final block, at hh.pos.
func (hh *holeHasher) block(b []byte) {
	if !bytes.Equal(b, zeroBlock[:len(b)]) {
		hh.h.Write(binary.BigEndian.AppendUint64(nil, uint64(hh.pos/holeBlock)))
		hh.h.Write(b)
	}
	hh.pos += int64(len(b))
}

// Sum returns the digest; the bytes added must come to the size given.
func (hh *holeHasher) Sum() (Digest, bool) {
	if hh.fill > 0 {
		hh.block(hh.blk[:hh.fill])
		hh.fill = 0
	}
	var d Digest
	hh.h.Sum(d[:0])
	return d, hh.pos == hh.size
}

// HoleDigest returns the hole digest of a regular file node: its Digest
// when it is stored sparse (see Metadata.Sparse), else computed from its
// bytes, read again from its layer if need be. Two files hold the same
// bytes exactly when their sizes and hole digests are equal, however each
// is stored; comparing a sparse file with one that is not takes this.
func (t *Tree) HoleDigest(n *Node) (Digest, error) {
	if n.Sparse {
		return n.Digest, nil
	}
	open := t.reread
	if open == nil {
		open = t.content
	}
	if n.Type != TypeRegular || open == nil {
		return Digest{}, ErrNoContent
	}
	rc, err := open(n)
	if err != nil {
		return Digest{}, err
	}
	defer rc.Close()
	hh := newHoleHasher(n.Size)
	if _, err := io.Copy(hh, rc); err != nil {
		return Digest{}, fmt.Errorf("/%s: %w", n.Path(), err)
	}
	d, whole := hh.Sum()
	if !whole {
		return Digest{}, fmt.Errorf("/%s: content is not %d bytes", n.Path(), n.Size)
	}
	return d, nil
}
