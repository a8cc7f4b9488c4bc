package pkgdb

import (
	"cmp"
	"encoding/binary"
	"fmt"
	"hash/adler32"
	"slices"
)

// rpm's ndb Packages.db (lib/backend/ndb/rpmpkg.c), all little-endian:
//
//	header (32 bytes): magic "RpmP", version 0, generation, slot page count, next package index
//	slot pages (4096 bytes each, the first starting after the header):
//	    16-byte slots: magic "Slot", package index, block offset, block count
//	    (block offset 0 marks a free slot)
//	blobs at block offset × 16, block count × 16 bytes long:
//	    head: magic "BlbS", package index, timestamp, blob length
//	    the header blob, zero padding
//	    tail: adler32 of head+blob+padding, blob length, magic "BlbE"
const (
	ndbMagic     = 'R' | 'p'<<8 | 'm'<<16 | 'P'<<24
	ndbSlotMagic = 'S' | 'l'<<8 | 'o'<<16 | 't'<<24
	ndbHeadMagic = 'B' | 'l'<<8 | 'b'<<16 | 'S'<<24
	ndbTailMagic = 'B' | 'l'<<8 | 'b'<<16 | 'E'<<24

	ndbHeaderSize = 32
	ndbPageSize   = 4096
	ndbSlotSize   = 16
	ndbBlockSize  = 16
	ndbHeadSize   = 16
	ndbTailSize   = 12
)

// ndbBlobs returns the header blobs of an ndb Packages.db, in slot order.
// The blobs alias data.
func ndbBlobs(data []byte) ([][]byte, error) {
	le := binary.LittleEndian
	if len(data) < ndbHeaderSize || le.Uint32(data) != ndbMagic {
		return nil, fmt.Errorf("not an ndb package database (no RpmP magic)")
	}
	if v := le.Uint32(data[4:]); v != 0 {
		return nil, fmt.Errorf("ndb version %d, want 0", v)
	}
	npages := uint64(le.Uint32(data[12:]))
	if npages == 0 || npages*ndbPageSize > uint64(len(data)) {
		return nil, fmt.Errorf("%d slot pages do not fit in %d bytes", npages, len(data))
	}
	minBlock := npages * ndbPageSize / ndbBlockSize
	var slots []ndbSlot
	for off := uint64(ndbHeaderSize); off < npages*ndbPageSize; off += ndbSlotSize {
		s := ndbSlot{
			no:    off / ndbSlotSize,
			idx:   le.Uint32(data[off+4:]),
			start: uint64(le.Uint32(data[off+8:])),
		}
		if m := le.Uint32(data[off:]); m != ndbSlotMagic {
			return nil, fmt.Errorf("slot %d: bad magic %#x", s.no, m)
		}
		if s.start == 0 {
			continue // free slot
		}
		s.end = s.start + uint64(le.Uint32(data[off+12:]))
		if s.idx == 0 || s.start < minBlock || (s.end-s.start)*ndbBlockSize < ndbHeadSize+ndbTailSize ||
			s.end*ndbBlockSize > uint64(len(data)) {
			return nil, fmt.Errorf("slot %d: package %d at blocks %d..%d outside the blob area of a %d-byte file", s.no, s.idx, s.start, s.end, len(data))
		}
		slots = append(slots, s)
	}
	// Overlapping blobs would let a small file stand for many packages.
	byStart := slices.SortedFunc(slices.Values(slots), func(a, b ndbSlot) int { return cmp.Compare(a.start, b.start) })
	for i := 1; i < len(byStart); i++ {
		if byStart[i].start < byStart[i-1].end {
			return nil, fmt.Errorf("slots %d and %d overlap", byStart[i-1].no, byStart[i].no)
		}
	}
	blobs := make([][]byte, 0, len(slots))
	for _, s := range slots {
		blob, err := ndbBlob(data[s.start*ndbBlockSize:s.end*ndbBlockSize], s.idx)
		if err != nil {
			return nil, fmt.Errorf("slot %d: package %d: %w", s.no, s.idx, err)
		}
		blobs = append(blobs, blob)
	}
	return blobs, nil
}

// ndbSlot is a used slot: its number, package index and blocks [start, end).
type ndbSlot struct {
	no         uint64
	idx        uint32
	start, end uint64
}

// ndbBlob checks one blob's head and tail and returns the header blob.
func ndbBlob(b []byte, idx uint32) ([]byte, error) {
	le := binary.LittleEndian
	if m := le.Uint32(b); m != ndbHeadMagic {
		return nil, fmt.Errorf("bad blob magic %#x", m)
	}
	if i := le.Uint32(b[4:]); i != idx {
		return nil, fmt.Errorf("blob is for package %d", i)
	}
	n := uint64(le.Uint32(b[12:]))
	if want := (ndbHeadSize + n + ndbTailSize + ndbBlockSize - 1) / ndbBlockSize * ndbBlockSize; want != uint64(len(b)) {
		return nil, fmt.Errorf("blob of %d bytes in %d bytes of blocks", n, len(b))
	}
	tail := b[len(b)-ndbTailSize:]
	if le.Uint32(tail[8:]) != ndbTailMagic || uint64(le.Uint32(tail[4:])) != n {
		return nil, fmt.Errorf("bad blob tail")
	}
	if sum := adler32.Checksum(b[:len(b)-ndbTailSize]); sum != le.Uint32(tail) {
		return nil, fmt.Errorf("adler32 %#x, tail says %#x", sum, le.Uint32(tail))
	}
	return b[ndbHeadSize : ndbHeadSize+n], nil
}
