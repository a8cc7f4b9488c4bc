package pkgdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
)

// An rpm header blob, as the databases store it, is big-endian:
//
//	il uint32, dl uint32            entry count and data store length
//	il × {tag, type, offset, count}  16-byte index entries
//	dl bytes                         the data store the entries point into
//
// Entries from a signed package form a region: the first entry (tag 61-64,
// type BIN, count 16) points at a 16-byte trailer in the data store whose
// offset field is -(16 × number of entries in the region). Entries after the
// region ("dribbles", added at install) override region entries with the
// same tag.

// rpm tag data types (0, NULL, is not read here).
const (
	typeChar        = 1
	typeInt8        = 2
	typeInt16       = 3
	typeInt32       = 4
	typeInt64       = 5
	typeString      = 6
	typeBin         = 7
	typeStringArray = 8
	typeI18NString  = 9
)

// Region tags: HEADERIMAGE, HEADERSIGNATURES, HEADERIMMUTABLE, HEADERREGIONS.
const (
	tagRegionFirst = 61
	tagRegionLast  = 64
)

const entrySize = 16

type entry struct {
	tag, typ      uint32
	offset, count uint32
}

// header is a parsed header blob. Values are decoded on demand, each
// bounds-checked against the data store.
type header struct {
	data    []byte
	entries map[uint32]entry
}

var errNotFound = errors.New("tag not present")

// parseHeader checks the blob's layout and indexes its entries. It never
// allocates more than a small multiple of len(blob).
func parseHeader(blob []byte) (*header, error) {
	if len(blob) < 8 {
		return nil, fmt.Errorf("header blob is %d bytes, want at least 8", len(blob))
	}
	il := uint64(binary.BigEndian.Uint32(blob[0:]))
	dl := uint64(binary.BigEndian.Uint32(blob[4:]))
	if il == 0 {
		return nil, errors.New("header has no entries")
	}
	if want := 8 + il*entrySize + dl; want != uint64(len(blob)) {
		return nil, fmt.Errorf("header declares %d entries and %d data bytes (%d bytes in all), blob is %d bytes", il, dl, want, len(blob))
	}
	index := blob[8 : 8+il*entrySize]
	h := &header{data: blob[8+il*entrySize:], entries: make(map[uint32]entry, il)}
	for i := uint64(0); i < il; i++ {
		e := readEntry(index[i*entrySize:])
		if e.typ > typeI18NString {
			return nil, fmt.Errorf("entry %d (tag %d): unknown type %d", i, e.tag, e.typ)
		}
		if uint64(e.offset) > dl {
			return nil, fmt.Errorf("entry %d (tag %d): offset %d outside the %d-byte data store", i, e.tag, e.offset, dl)
		}
		if i == 0 && e.tag >= tagRegionFirst && e.tag <= tagRegionLast {
			if err := h.checkRegion(e, il); err != nil {
				return nil, fmt.Errorf("entry 0 (region tag %d): %w", e.tag, err)
			}
		}
		// Later entries (dribbles) override earlier ones, as in rpm.
		h.entries[e.tag] = e
	}
	return h, nil
}

func readEntry(b []byte) entry {
	return entry{
		tag:    binary.BigEndian.Uint32(b[0:]),
		typ:    binary.BigEndian.Uint32(b[4:]),
		offset: binary.BigEndian.Uint32(b[8:]),
		count:  binary.BigEndian.Uint32(b[12:]),
	}
}

// checkRegion validates a region entry and its trailer.
func (h *header) checkRegion(e entry, il uint64) error {
	if e.typ != typeBin || e.count != entrySize {
		return fmt.Errorf("type %d count %d, want BIN and 16", e.typ, e.count)
	}
	if uint64(e.offset)+entrySize > uint64(len(h.data)) {
		return fmt.Errorf("trailer at %d outside the %d-byte data store", e.offset, len(h.data))
	}
	tr := readEntry(h.data[e.offset:])
	if tr.tag != e.tag || tr.typ != typeBin || tr.count != entrySize {
		return fmt.Errorf("trailer has tag %d type %d count %d", tr.tag, tr.typ, tr.count)
	}
	// The trailer's offset is minus the size of the region's index.
	neg := -int64(int32(tr.offset))
	if neg <= 0 || neg%entrySize != 0 || uint64(neg/entrySize) > il {
		return fmt.Errorf("trailer offset %d does not give an entry count within 1..%d", int32(tr.offset), il)
	}
	return nil
}

// lookup returns the entry for tag if its type is one of types.
func (h *header) lookup(tag uint32, types ...uint32) (entry, error) {
	e, ok := h.entries[tag]
	if !ok {
		return e, errNotFound
	}
	for _, t := range types {
		if e.typ == t {
			return e, nil
		}
	}
	return e, fmt.Errorf("tag %d has type %d, want one of %v", tag, e.typ, types)
}

// has reports whether tag is present.
func (h *header) has(tag uint32) bool {
	_, ok := h.entries[tag]
	return ok
}

// strs returns the entry's count NUL-terminated strings.
func (h *header) strs(e entry) ([]string, error) {
	rest := h.data[e.offset:]
	// Every string takes at least one byte: cap the count by the data left.
	if uint64(e.count) > uint64(len(rest)) {
		return nil, fmt.Errorf("tag %d: %d strings cannot fit in %d bytes", e.tag, e.count, len(rest))
	}
	out := make([]string, 0, e.count)
	for i := uint32(0); i < e.count; i++ {
		n := bytes.IndexByte(rest, 0)
		if n < 0 {
			return nil, fmt.Errorf("tag %d: string %d not NUL-terminated", e.tag, i)
		}
		out = append(out, string(rest[:n]))
		rest = rest[n+1:]
	}
	return out, nil
}

// String returns a STRING or I18NSTRING tag's (first) value.
func (h *header) String(tag uint32) (string, error) {
	e, err := h.lookup(tag, typeString, typeI18NString)
	if err != nil {
		return "", err
	}
	if e.count == 0 {
		return "", fmt.Errorf("tag %d has no value", tag)
	}
	e.count = 1 // an I18NSTRING's first value is the untranslated one
	s, err := h.strs(e)
	if err != nil {
		return "", err
	}
	return s[0], nil
}

// StringArray returns a STRING_ARRAY tag's values.
func (h *header) StringArray(tag uint32) ([]string, error) {
	e, err := h.lookup(tag, typeStringArray)
	if err != nil {
		return nil, err
	}
	return h.strs(e)
}

// fixed returns the bytes of a fixed-size array entry of the given type.
func (h *header) fixed(tag uint32, typ uint32, size uint64) ([]byte, uint32, error) {
	e, err := h.lookup(tag, typ)
	if err != nil {
		return nil, 0, err
	}
	end := uint64(e.offset) + uint64(e.count)*size
	if end > uint64(len(h.data)) {
		return nil, 0, fmt.Errorf("tag %d: %d values of %d bytes at %d overrun the %d-byte data store", tag, e.count, size, e.offset, len(h.data))
	}
	return h.data[e.offset:end], e.count, nil
}

// Bytes returns a CHAR or INT8 tag's values.
func (h *header) Bytes(tag uint32) ([]byte, error) {
	e, err := h.lookup(tag, typeChar, typeInt8)
	if err != nil {
		return nil, err
	}
	b, _, err := h.fixed(tag, e.typ, 1)
	return b, err
}

// Uint16s returns an INT16 tag's values.
func (h *header) Uint16s(tag uint32) ([]uint16, error) {
	b, n, err := h.fixed(tag, typeInt16, 2)
	if err != nil {
		return nil, err
	}
	out := make([]uint16, n)
	for i := range out {
		out[i] = binary.BigEndian.Uint16(b[2*i:])
	}
	return out, nil
}

// Uint32s returns an INT32 tag's values.
func (h *header) Uint32s(tag uint32) ([]uint32, error) {
	b, n, err := h.fixed(tag, typeInt32, 4)
	if err != nil {
		return nil, err
	}
	out := make([]uint32, n)
	for i := range out {
		out[i] = binary.BigEndian.Uint32(b[4*i:])
	}
	return out, nil
}

// Uint64s returns an INT64 tag's values.
func (h *header) Uint64s(tag uint32) ([]uint64, error) {
	b, n, err := h.fixed(tag, typeInt64, 8)
	if err != nil {
		return nil, err
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = binary.BigEndian.Uint64(b[8*i:])
	}
	return out, nil
}

// Uint32 returns an INT32 tag's first value.
func (h *header) Uint32(tag uint32) (uint32, error) {
	v, err := h.Uint32s(tag)
	if err != nil {
		return 0, err
	}
	if len(v) == 0 {
		return 0, fmt.Errorf("tag %d has no value", tag)
	}
	return v[0], nil
}
