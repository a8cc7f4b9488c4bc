package layer

import (
	"errors"
	"fmt"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// SparseFile is the content of a file stored sparse, what Tree.Open
// returns for a node whose Metadata.Sparse is set. Read gives its bytes,
// the holes as zeros that cost no input; Extents says where its data is.
type SparseFile struct {
	exts  []Extent
	size  int64
	data  io.Reader // the extents' bytes, in order
	close func() error
	pos   int64 // logical offset
	i     int   // the extent at or after pos
	check *holeHasher
	want  Digest
}

// Extents returns the file's data runs, in order and none empty.
func (f *SparseFile) Extents() []Extent { return f.exts }

// Size returns the file's logical size.
func (f *SparseFile) Size() int64 { return f.size }

// Read reads the file's bytes, holes as zeros.
func (f *SparseFile) Read(p []byte) (int, error) {
	if f.pos >= f.size {
		return 0, f.end()
	}
	if len(p) == 0 {
		return 0, nil
	}
	if f.i < len(f.exts) && f.pos >= f.exts[f.i].Off {
		return f.readData(p)
	}
	next := f.size
	if f.i < len(f.exts) {
		next = f.exts[f.i].Off
	}
	k := int(min(int64(len(p)), next-f.pos))
	clear(p[:k])
	if f.check != nil {
		f.check.Zero(int64(k))
	}
	f.pos += int64(k)
	return k, nil
}

// readData reads from the extent f.pos is in.
func (f *SparseFile) readData(p []byte) (int, error) {
	x := f.exts[f.i]
	k := int(min(int64(len(p)), x.Off+x.Len-f.pos))
	n, err := io.ReadFull(f.data, p[:k])
	if f.check != nil {
		f.check.Write(p[:n])
	}
	f.pos += int64(n)
	if f.pos == x.Off+x.Len {
		f.i++
	}
	if err != nil {
		return n, fmt.Errorf("reading sparse data: %w", noEOF(err))
	}
	return n, nil
}

// end is the error at the end of the content: io.EOF, or what checking it
// against its digest found.
func (f *SparseFile) end() error {
	if f.check != nil {
		d, whole := f.check.Sum()
		f.check = nil
		if !whole || d != f.want {
			return errors.New("content does not match the indexed digest")
		}
	}
	return io.EOF
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Close releases what the content was read from.
func (f *SparseFile) Close() error {
	if f.close == nil {
		return nil
	}
	return f.close()
}

// fileExtents returns the data runs of an open file, from the
// filesystem's SEEK_DATA and SEEK_HOLE, when it has holes; ok is false
// when the filesystem cannot say.
func fileExtents(f *os.File, size int64) (exts []Extent, ok bool) {
	for off := int64(0); off < size; {
		data, err := f.Seek(off, unix.SEEK_DATA)
		if err != nil {
			if errors.Is(err, unix.ENXIO) {
				break // a hole to the end
			}
			return nil, false
		}
		hole, err := f.Seek(data, unix.SEEK_HOLE)
		if err != nil {
			return nil, false
		}
		hole = min(hole, size)
		if hole <= data {
			return nil, false
		}
		exts = append(exts, Extent{data, hole - data})
		off = hole
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, false
	}
	return exts, true
}

// sparseOfFile is the content of an open file with holes, read through
// its extents.
func sparseOfFile(f *os.File, exts []Extent, size int64) *SparseFile {
	rs := make([]io.Reader, len(exts))
	for i, x := range exts {
		rs[i] = io.NewSectionReader(f, x.Off, x.Len)
	}
	return &SparseFile{exts: exts, size: size, data: io.MultiReader(rs...), close: f.Close}
}
