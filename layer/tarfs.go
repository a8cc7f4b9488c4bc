package layer

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	pathpkg "path"
	"strings"
	"time"
)

// tarFS serves the regular files of an uncompressed tar archive (an
// oci-archive or docker-archive) straight from the archive file: one pass
// over the headers records where each file's bytes are, and opening a file
// reads that section. Nothing is extracted.
type tarFS struct {
	f     *os.File
	name  string
	files map[string]tarFile
	// links maps a symlink or hardlink entry to the clean name it points
	// at: docker save before Docker 25 links repeated layers this way.
	links map[string]string
}

type tarFile struct {
	off, size int64
}

func openTarFS(path string) (*tarFS, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	t := &tarFS{f: f, name: path, files: make(map[string]tarFile), links: make(map[string]string)}
	// archive/tar skips content with Seek, so this reads only headers, and
	// the file position after Next is where the entry's content starts.
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("reading archive %s: %w", path, err)
		}
		if hdr.Typeflag != tar.TypeReg && hdr.Typeflag != tar.TypeSymlink && hdr.Typeflag != tar.TypeLink {
			continue
		}
		p, err := CleanPath(hdr.Name)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("reading archive %s: %w", path, err)
		}
		switch {
		case hdr.Typeflag == tar.TypeSymlink:
			if target, err := CleanPath(pathpkg.Join(pathpkg.Dir(p), hdr.Linkname)); err == nil && !strings.HasPrefix(hdr.Linkname, "/") {
				t.links[p] = target
			}
			continue
		case hdr.Typeflag == tar.TypeLink:
			if target, err := CleanPath(hdr.Linkname); err == nil {
				t.links[p] = target
			}
			continue
		case isSparse(hdr):
			continue // archives of images hold no sparse files; their offsets would lie
		}
		off, err := f.Seek(0, io.SeekCurrent)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("reading archive %s: %w", path, err)
		}
		if hdr.Size < 0 || off+hdr.Size > fi.Size() {
			f.Close()
			return nil, fmt.Errorf("reading archive %s: %s: %d bytes at offset %d run past the end of the file: truncated archive", path, hdr.Name, hdr.Size, off)
		}
		t.files[p] = tarFile{off: off, size: hdr.Size}
	}
	return t, nil
}

func (t *tarFS) Close() error { return t.f.Close() }

func (t *tarFS) Open(name string) (fs.File, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrInvalid}
	}
	target := name
	for hops := 0; hops < maxSymlinkHops; hops++ {
		next, ok := t.links[target]
		if !ok {
			break
		}
		target = next
	}
	tf, ok := t.files[target]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &tarFSFile{SectionReader: io.NewSectionReader(t.f, tf.off, tf.size), name: name}, nil
}

type tarFSFile struct {
	*io.SectionReader
	name string
}

func (f *tarFSFile) Stat() (fs.FileInfo, error) { return tarFSInfo{f}, nil }
func (f *tarFSFile) Close() error               { return nil }

type tarFSInfo struct{ f *tarFSFile }

func (i tarFSInfo) Name() string       { return i.f.name }
func (i tarFSInfo) Size() int64        { return i.f.Size() }
func (i tarFSInfo) Mode() fs.FileMode  { return 0o444 }
func (i tarFSInfo) ModTime() time.Time { return time.Time{} }
func (i tarFSInfo) IsDir() bool        { return false }
func (i tarFSInfo) Sys() any           { return nil }
