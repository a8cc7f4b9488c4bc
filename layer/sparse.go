package layer

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Extent is a run of a sparse file's data: Len bytes at offset Off. What
// no extent covers is a hole, which reads as zeros.
type Extent struct{ Off, Len int64 }

// sparseMin is how many bytes of holes make a file worth keeping sparse:
// its Digest is then the hole digest (see holeHasher), hashed from its data
// alone, and the layers oslayer writes keep its holes. A file with fewer
// holes is hashed as its bytes, zeros included, like any other.
const sparseMin = 1 << 20

// holes returns how many of size bytes no extent covers.
func holes(exts []Extent, size int64) int64 {
	for _, x := range exts {
		size -= x.Len
	}
	return size
}

// maxSparseHeader bounds the header bytes recorded to read a sparse map
// back; an entry with more (a map of tens of thousands of runs) is read
// through the tar reader, holes expanded.
const maxSparseHeader = 1 << 20

// sparseTap sits between a tar.Reader and the stream. It records the bytes
// a call of Next consumes, so that a sparse entry's map can be read back
// from its headers (archive/tar keeps it to itself), and it stands in for
// the data of an entry read past the tar reader: the owed bytes it then
// hands the tar reader, which only skips them, are zeros that cost no
// input.
type sparseTap struct {
	r         *countingReader
	rec       []byte
	recFrom   int64 // stream offset of rec[0]
	recording bool
	overflow  bool
	owed      int64
}

func (t *sparseTap) Read(p []byte) (int, error) {
	if t.owed > 0 {
		n := int(min(int64(len(p)), t.owed))
		clear(p[:n])
		t.owed -= int64(n)
		return n, nil
	}
	n, err := t.r.Read(p)
	if t.recording {
		if len(t.rec)+n > maxSparseHeader {
			t.overflow = true
		} else {
			t.rec = append(t.rec, p[:n]...)
		}
	}
	return n, err
}

// next is tr.Next, recording what it reads.
func (t *sparseTap) next(tr *tar.Reader) (*tar.Header, error) {
	t.rec, t.recFrom, t.overflow, t.recording = t.rec[:0], t.r.n, false, true
	defer func() { t.recording = false }()
	return tr.Next()
}

// layout reads back the sparse map of the entry the last next returned,
// whose first header started at stream offset pos: its data extents (in
// order, none empty) and how many bytes of data follow in the stream. ok
// is false unless the headers read back to exactly where the tar reader
// stopped and the map agrees with the entry's sizes; the tar reader's
// expansion is then the way to read the entry.
func (t *sparseTap) layout(hdr *tar.Header, pos int64) (exts []Extent, data int64, ok bool) {
	if pos < t.recFrom || t.overflow || pos-t.recFrom > int64(len(t.rec)) {
		return nil, 0, false
	}
	b := t.rec[pos-t.recFrom:]
	// Walk the extension headers to the entry's own header.
	h := 0
	for {
		if len(b)-h < blockSize {
			return nil, 0, false
		}
		blk := b[h : h+blockSize]
		switch blk[156] {
		case tar.TypeXHeader, tar.TypeGNULongName, tar.TypeGNULongLink:
			size, ok := tarNumber(blk[124:136])
			if !ok || size < 0 || size > int64(len(b)) {
				return nil, 0, false
			}
			h += blockSize + int(blocks(size))
			continue
		}
		break
	}
	blk := b[h : h+blockSize]
	physical, ok := tarNumber(blk[124:136])
	if v, set := hdr.PAXRecords["size"]; set {
		physical, ok = parseDecimal(v)
	}
	if !ok {
		return nil, 0, false
	}
	end := h + blockSize // where the data starts
	var raw []Extent
	switch {
	case blk[156] == tar.TypeGNUSparse:
		var more bool
		if raw, more, ok = gnuSparseEntries(blk[386:482], blk[482], nil); !ok {
			return nil, 0, false
		}
		for more {
			if len(b)-end < blockSize {
				return nil, 0, false
			}
			ext := b[end : end+blockSize]
			if raw, more, ok = gnuSparseEntries(ext[:504], ext[504], raw); !ok {
				return nil, 0, false
			}
			end += blockSize
		}
		data = physical
	case hdr.PAXRecords["GNU.sparse.major"] == "1" && hdr.PAXRecords["GNU.sparse.minor"] == "0":
		var n int
		if raw, n, ok = sparseMap1x0(b[end:]); !ok {
			return nil, 0, false
		}
		end += n
		data = physical - int64(n)
	default:
		if raw, ok = sparseMap0x1(hdr.PAXRecords["GNU.sparse.map"]); !ok {
			return nil, 0, false
		}
		data = physical
	}
	if pos+int64(end) != t.r.n {
		return nil, 0, false
	}
	var at, sum int64
	for _, x := range raw {
		if x.Off < at || x.Len < 0 || x.Off > hdr.Size-x.Len {
			return nil, 0, false
		}
		at, sum = x.Off+x.Len, sum+x.Len
		if x.Len > 0 {
			exts = append(exts, x)
		}
	}
	if sum != data {
		return nil, 0, false
	}
	return exts, data, true
}

const blockSize = 512

// blocks is n rounded up to whole tar blocks.
func blocks(n int64) int64 { return (n + blockSize - 1) &^ (blockSize - 1) }

// gnuSparseEntries appends the runs of an old GNU sparse header or
// extension block: 24-byte (offset, length) pairs, the first whose offset
// starts with NUL ending them, as GNU tar and archive/tar read them.
func gnuSparseEntries(b []byte, extended byte, out []Extent) ([]Extent, bool, bool) {
	for i := 0; i+24 <= len(b); i += 24 {
		if b[i] == 0 {
			break
		}
		off, ok1 := tarNumber(b[i : i+12])
		n, ok2 := tarNumber(b[i+12 : i+24])
		if !ok1 || !ok2 {
			return nil, false, false
		}
		out = append(out, Extent{off, n})
	}
	return out, extended != 0, true
}

// sparseMap1x0 reads the map that starts the data of a PAX 1.0 sparse
// entry: a count and that many offset/length pairs, newline-terminated
// decimals, padded to whole blocks; n is the map's bytes, padding
// included.
func sparseMap1x0(b []byte) (out []Extent, n int, ok bool) {
	next := func() (int64, bool) {
		i := bytes.IndexByte(b[n:], '\n')
		if i < 0 {
			return 0, false
		}
		v, ok := parseDecimal(string(b[n : n+i]))
		n += i + 1
		return v, ok
	}
	count, ok := next()
	if !ok || count < 0 || count > int64(len(b)) {
		return nil, 0, false
	}
	for range count {
		off, ok1 := next()
		l, ok2 := next()
		if !ok1 || !ok2 {
			return nil, 0, false
		}
		out = append(out, Extent{off, l})
	}
	return out, int(blocks(int64(n))), true
}

// sparseMap0x1 reads a PAX 0.1 map ("off,len,off,len"; archive/tar turns
// 0.0's records into one).
func sparseMap0x1(s string) ([]Extent, bool) {
	if s == "" {
		return nil, false
	}
	f := strings.Split(s, ",")
	if len(f)%2 != 0 {
		return nil, false
	}
	out := make([]Extent, 0, len(f)/2)
	for i := 0; i < len(f); i += 2 {
		off, ok1 := parseDecimal(f[i])
		l, ok2 := parseDecimal(f[i+1])
		if !ok1 || !ok2 {
			return nil, false
		}
		out = append(out, Extent{off, l})
	}
	return out, true
}

func parseDecimal(s string) (int64, bool) {
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil && v >= 0
}

// tarNumber reads a numeric header field: octal, NUL- or space-terminated,
// or GNU's base-256 when the top bit of the first byte is set.
func tarNumber(b []byte) (int64, bool) {
	if len(b) > 0 && b[0]&0x80 != 0 {
		if b[0]&0x40 != 0 {
			return 0, false // negative
		}
		var v uint64
		for i, c := range b {
			if i == 0 {
				c &= 0x7f
			}
			if v>>55 != 0 {
				return 0, false // more than 63 bits
			}
			v = v<<8 | uint64(c)
		}
		return int64(v), true
	}
	s := strings.Trim(string(b), " \x00")
	if s == "" {
		return 0, true
	}
	v, err := strconv.ParseInt(s, 8, 64)
	return v, err == nil && v >= 0
}

// errSparseMap is returned when a sparse entry read again does not read
// back as it did when indexed.
var errSparseMap = errors.New("its sparse map does not read back as when it was indexed")

// openSparse reads the sparse entry that starts at r (its first header)
// and returns its content for node n, checked against n's hole digest at
// its end when check is set.
func openSparse(r io.Reader, n *Node, check bool) (*SparseFile, error) {
	cr := &countingReader{r: r}
	tap := &sparseTap{r: cr}
	hdr, err := tap.next(tar.NewReader(tap))
	if err != nil {
		return nil, fmt.Errorf("reading its entry again: %w", err)
	}
	exts, data, ok := tap.layout(hdr, 0)
	if !ok || hdr.Size != n.Size {
		return nil, errSparseMap
	}
	f := &SparseFile{exts: exts, size: n.Size, data: io.LimitReader(cr, data)}
	if check {
		f.check, f.want = newHoleHasher(n.Size), n.Digest
	}
	return f, nil
}
