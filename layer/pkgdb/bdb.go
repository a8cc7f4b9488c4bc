package pkgdb

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// rpm's legacy Packages file is a Berkeley DB hash database (db_page.h in
// libdb 4 and 5) in the byte order of the machine that wrote it. Keys are
// 4-byte package instance numbers (0 holds rpm's counter), values header
// blobs.
//
// Every page starts with a 26-byte header: LSN (8), page number (4), previous
// and next page (4 each), entry count (2), high free offset (2, for overflow
// pages the data length), level (1), type (1). Page 0 is the metadata page:
// magic at 12, version at 16, page size at 20, encryption at 24, flags at 26,
// last page number at 32.
//
// Hash pages hold entry count 2-byte offsets after the header, key and data
// alternating; an item runs from its offset to the previous item's (or the
// page end) and starts with its type: H_KEYDATA (inline bytes follow) or
// H_OFFPAGE (3 padding bytes, first overflow page, total length). Overflow
// pages chain through next page, each holding "high free offset" bytes.
const (
	bdbHashMagic  = 0x061561
	bdbBtreeMagic = 0x053162

	bdbPageHeader = 26

	bdbPageHashUnsorted = 2
	bdbPageOverflow     = 7
	bdbPageHashMeta     = 8
	bdbPageHash         = 13

	bdbItemKeyData = 1
	bdbItemOffPage = 3
	bdbOffPageSize = 12

	bdbMetaChecksum = 0x01
)

// bdbBlobs returns the values of a Berkeley DB hash database, in page order,
// leaving out the record with key 0. Inline values alias data.
func bdbBlobs(data []byte) ([][]byte, error) {
	if len(data) < 512 {
		return nil, fmt.Errorf("the Berkeley DB metadata page is cut short: file is %d bytes", len(data))
	}
	var bo binary.ByteOrder = binary.LittleEndian
	switch magic := binary.LittleEndian.Uint32(data[12:]); {
	case magic == bdbHashMagic:
	case binary.BigEndian.Uint32(data[12:]) == bdbHashMagic:
		bo = binary.BigEndian
	case magic == bdbBtreeMagic || binary.BigEndian.Uint32(data[12:]) == bdbBtreeMagic:
		return nil, errors.New("a Berkeley DB btree database, want hash")
	default:
		return nil, fmt.Errorf("not a Berkeley DB hash database (magic %#x)", magic)
	}
	pageSize := uint64(bo.Uint32(data[20:]))
	if pageSize < 512 || pageSize > 65536 || pageSize&(pageSize-1) != 0 {
		return nil, fmt.Errorf("a Berkeley DB with page size %d", pageSize)
	}
	if data[24] != 0 {
		return nil, fmt.Errorf("encrypted Berkeley DB (algorithm %d)", data[24])
	}
	if data[25] != bdbPageHashMeta {
		return nil, fmt.Errorf("the Berkeley DB metadata page has type %d", data[25])
	}
	if data[26]&bdbMetaChecksum != 0 {
		return nil, errors.New("a Berkeley DB with page checksums")
	}
	npages := uint64(bo.Uint32(data[32:])) + 1
	if npages*pageSize > uint64(len(data)) {
		return nil, fmt.Errorf("a Berkeley DB of %d pages of %d bytes truncated at %d bytes", npages, pageSize, len(data))
	}
	r := bdbReader{data: data[:npages*pageSize], bo: bo, pageSize: pageSize, used: make([]bool, npages)}
	var blobs [][]byte
	for pg := uint64(1); pg < npages; pg++ {
		p := r.page(pg)
		if t := p[25]; t != bdbPageHash && t != bdbPageHashUnsorted {
			continue
		}
		n := uint64(bo.Uint16(p[20:]))
		if n%2 != 0 || bdbPageHeader+2*n > pageSize {
			return nil, fmt.Errorf("the Berkeley DB page %d has %d entries", pg, n)
		}
		for i := uint64(0); i < n; i += 2 {
			key, err := r.item(p, i)
			if err != nil {
				return nil, fmt.Errorf("the Berkeley DB page %d, key %d: %w", pg, i/2, err)
			}
			val, err := r.item(p, i+1)
			if err != nil {
				return nil, fmt.Errorf("the Berkeley DB page %d, value %d: %w", pg, i/2, err)
			}
			if isZeroKey(key) {
				continue
			}
			v, err := r.value(val)
			if err != nil {
				return nil, fmt.Errorf("the Berkeley DB page %d, value %d: %w", pg, i/2, err)
			}
			blobs = append(blobs, v)
		}
	}
	return blobs, nil
}

type bdbReader struct {
	data     []byte
	bo       binary.ByteOrder
	pageSize uint64
	// used marks the overflow pages read: in a sound file each belongs to
	// one item, so nothing is copied twice and chains cannot loop.
	used []bool
}

func (r *bdbReader) page(pg uint64) []byte {
	return r.data[pg*r.pageSize : (pg+1)*r.pageSize]
}

// item returns hash page item i, type byte included.
func (r *bdbReader) item(p []byte, i uint64) ([]byte, error) {
	start := uint64(r.bo.Uint16(p[bdbPageHeader+2*i:]))
	end := r.pageSize
	if i > 0 {
		end = uint64(r.bo.Uint16(p[bdbPageHeader+2*(i-1):]))
	}
	n := uint64(r.bo.Uint16(p[20:]))
	if start < bdbPageHeader+2*n || start >= end || end > r.pageSize {
		return nil, fmt.Errorf("item at %d..%d outside the page", start, end)
	}
	return p[start:end], nil
}

// isZeroKey reports whether an inline key is rpm's instance counter, 0.
func isZeroKey(key []byte) bool {
	return len(key) == 5 && key[0] == bdbItemKeyData && key[1]|key[2]|key[3]|key[4] == 0
}

// value returns an item's bytes, following overflow pages.
func (r *bdbReader) value(it []byte) ([]byte, error) {
	switch it[0] {
	case bdbItemKeyData:
		return it[1:], nil
	case bdbItemOffPage:
	default:
		return nil, fmt.Errorf("item type %d, want inline or overflow", it[0])
	}
	if len(it) < bdbOffPageSize {
		return nil, fmt.Errorf("overflow reference of %d bytes", len(it))
	}
	pg := uint64(r.bo.Uint32(it[4:]))
	total := uint64(r.bo.Uint32(it[8:]))
	if total > uint64(len(r.data)) {
		return nil, fmt.Errorf("overflow item of %d bytes in a %d-byte file", total, len(r.data))
	}
	out := make([]byte, 0, total)
	for uint64(len(out)) < total {
		if pg == 0 || pg >= uint64(len(r.used)) {
			return nil, fmt.Errorf("overflow chain for %d bytes broken at page %d after %d bytes", total, pg, len(out))
		}
		if r.used[pg] {
			return nil, fmt.Errorf("overflow page %d used twice", pg)
		}
		r.used[pg] = true
		p := r.page(pg)
		if p[25] != bdbPageOverflow {
			return nil, fmt.Errorf("overflow page %d has type %d", pg, p[25])
		}
		n := uint64(r.bo.Uint16(p[22:]))
		if bdbPageHeader+n > r.pageSize || uint64(len(out))+n > total {
			return nil, fmt.Errorf("overflow page %d holds %d bytes", pg, n)
		}
		out = append(out, p[bdbPageHeader:bdbPageHeader+n]...)
		pg = uint64(r.bo.Uint32(p[16:]))
	}
	return out, nil
}
