package layer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sys/unix"
)

// ociLayoutFile is the content of the oci-layout file Write creates.
const ociLayoutFile = `{"imageLayoutVersion": "1.0.0"}`

// writeOCILayout stores an image in the OCI image layout dir under the name
// tag. Blobs come first, each written to a temporary file, checked and
// renamed into place; index.json is replaced last, atomically, so readers
// and crashes see the layout before or after the write, never between. A
// failed write removes the blobs it added; a successful one removes what
// killed runs left (see collectLayout).
func writeOCILayout(ctx context.Context, dir, tag string, c *imageContent) (err error) {
	// Refuse a directory that is not a layout before writing anything.
	if _, _, err := readLayoutIndex(dir); err != nil {
		return err
	}
	_, statErr := os.Stat(dir)
	w, err := lockWriter(dir)
	if err != nil {
		return err
	}
	var added []string
	defer func() {
		if err != nil {
			for _, p := range added {
				os.Remove(p)
			}
		}
		w.release(err == nil)
		if err != nil && statErr != nil {
			removeEmptyLayout(dir) // a new destination goes as it came
		}
	}()
	var blobDirs []string
	for _, b := range c.blobs() {
		path, isNew, err := writeBlobFile(ctx, dir, b)
		if err != nil {
			return err
		}
		if isNew {
			added = append(added, path)
		}
		if bdir := filepath.Dir(path); len(blobDirs) == 0 || blobDirs[len(blobDirs)-1] != bdir {
			blobDirs = append(blobDirs, bdir)
		}
	}
	for _, bdir := range blobDirs {
		if err := syncDir(bdir); err != nil {
			return err
		}
	}
	desc := c.manifestDesc
	desc.Annotations = map[string]string{RefNameAnnotation: tag}
	return updateLayoutIndex(ctx, dir, func(idx *v1.IndexManifest) {
		idx.Manifests = replaceRef(idx.Manifests, desc, tag)
	})
}

// readLayoutIndex reads the index of the layout dir. A directory without
// oci-layout and index.json (or no directory) is an empty layout, and
// hasLayoutFile reports whether oci-layout must still be written.
func readLayoutIndex(dir string) (idx *v1.IndexManifest, hasLayoutFile bool, err error) {
	fsys := os.DirFS(dir)
	var layout struct {
		Version string `json:"imageLayoutVersion"`
	}
	switch err := readJSON(fsys, "oci-layout", &layout); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, false, fmt.Errorf("%s is not an OCI image layout: %w", dir, err)
	case layout.Version == "":
		return nil, false, fmt.Errorf("%s is not an OCI image layout: oci-layout gives no imageLayoutVersion", dir)
	default:
		hasLayoutFile = true
	}
	idx = &v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex}
	switch err := readJSON(fsys, "index.json", idx); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, false, fmt.Errorf("OCI image layout %s: %w", dir, err)
	}
	return idx, hasLayoutFile, nil
}

// updateLayoutIndex changes the index of the layout dir with update and
// replaces index.json atomically, creating oci-layout first if missing.
// Writers of one layout take turns (an flock on the directory), so two
// images written at once both stay.
func updateLayoutIndex(ctx context.Context, dir string, update func(*v1.IndexManifest)) error {
	unlock, err := lockDir(ctx, dir)
	if err != nil {
		return err
	}
	defer unlock()
	idx, hasLayoutFile, err := readLayoutIndex(dir)
	if err != nil {
		return err
	}
	update(idx)
	if idx.SchemaVersion == 0 {
		idx.SchemaVersion = 2
	}
	data, err := json.Marshal(idx)
	if err != nil {
		return err
	}
	if !hasLayoutFile {
		if err := writeFileAtomic(filepath.Join(dir, "oci-layout"), []byte(ociLayoutFile)); err != nil {
			return err
		}
	}
	return writeFileAtomic(filepath.Join(dir, "index.json"), data)
}

// replaceRef puts desc, named tag, in place of the descriptors named tag,
// or at the end if there is none.
func replaceRef(descs []v1.Descriptor, desc v1.Descriptor, tag string) []v1.Descriptor {
	out := make([]v1.Descriptor, 0, len(descs)+1)
	placed := false
	for _, old := range descs {
		if old.Annotations[RefNameAnnotation] != tag {
			out = append(out, old)
		} else if !placed {
			out = append(out, desc)
			placed = true
		}
	}
	if !placed {
		out = append(out, desc)
	}
	return out
}

// writeBlobFile stores a blob as dir/blobs/ALG/HEX unless a file of the
// right size is there already, and returns its path and whether it wrote
// it. The blob is streamed to a temporary file and renamed into place once
// its size and digest are checked.
func writeBlobFile(ctx context.Context, dir string, b blob) (path string, isNew bool, err error) {
	if !validHash(b.desc.Digest) {
		return "", false, fmt.Errorf("invalid digest %q", b.desc.Digest)
	}
	path = filepath.Join(dir, filepath.FromSlash(blobPath(b.desc.Digest)))
	bdir := filepath.Dir(path)
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() && fi.Size() == b.desc.Size {
		return path, false, nil
	}
	if err := ctx.Err(); err != nil {
		return "", false, err
	}
	if err := os.MkdirAll(bdir, 0o755); err != nil {
		return "", false, err
	}
	f, err := createTemp(bdir, b.desc.Digest.Hex)
	if err != nil {
		return "", false, err
	}
	rc, err := b.open()
	if err != nil {
		discardTemp(f)
		return "", false, fmt.Errorf("blob %s: %w", b.desc.Digest, err)
	}
	_, err = copyBlob(ctx, f, rc, b.desc)
	rc.Close()
	if err != nil {
		discardTemp(f)
		return "", false, err
	}
	if err := commitTemp(f, path); err != nil {
		os.Remove(f.Name())
		return "", false, fmt.Errorf("blob %s: %w", b.desc.Digest, err)
	}
	return path, true, nil
}

// lockDir takes an exclusive flock on dir, creating it, until unlock. It
// waits for other writers, or until ctx is done.
func lockDir(ctx context.Context, dir string) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil
		}
		switch err {
		case unix.EWOULDBLOCK, unix.EINTR:
		case unix.ENOLCK, unix.EOPNOTSUPP, unix.ENOSYS:
			// A file system without locks: write unlocked, as skopeo does.
			return func() { f.Close() }, nil
		default:
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", dir, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// BlobFiles makes the files of blobs being written for an image bound for
// a destination: for an oci: layout straight in its blobs/sha256 directory,
// so Write finds them in place instead of copying them; for any other
// destination in a temporary directory. Close it when the image is written
// (or not): blobs it added to a layout stay only if Keep was called.
type BlobFiles struct {
	dir    string
	layout bool
	writer *layoutWriter
	mu     sync.Mutex
	added  map[string]bool
	kept   bool
}

// NewBlobFiles returns the blob files for dest; tmpdir ("" for the
// system's) holds them unless dest is an oci: layout.
func NewBlobFiles(dest, tmpdir string) (*BlobFiles, error) {
	ref, err := ParseReference(dest)
	if err != nil {
		return nil, err
	}
	if ref.Transport != TransportOCI {
		return TempBlobFiles(tmpdir), nil
	}
	// Refuse a directory that is not a layout before writing into it.
	if _, _, err := readLayoutIndex(ref.Name); err != nil {
		return nil, err
	}
	dir := filepath.Join(ref.Name, "blobs", "sha256")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	w, err := lockWriter(ref.Name)
	if err != nil {
		return nil, err
	}
	return &BlobFiles{dir: dir, layout: true, writer: w, added: map[string]bool{}}, nil
}

// TempBlobFiles makes blob files in the directory tmpdir ("" for the
// system's temporary directory).
func TempBlobFiles(tmpdir string) *BlobFiles { return &BlobFiles{dir: tmpdir} }

// Create creates a new, empty blob file.
func (b *BlobFiles) Create() (*os.File, error) { return createTemp(b.dir, "blob") }

// Commit closes the fully written blob file f and returns where it is: in
// a layout, durably renamed to its digest's name (a blob no index names
// yet, which the layout tolerates); elsewhere where it was written.
func (b *BlobFiles) Commit(f *os.File, digest v1.Hash) (string, error) {
	if !b.layout {
		return f.Name(), f.Close()
	}
	path := filepath.Join(b.dir, digest.Hex)
	_, statErr := os.Lstat(path)
	if err := commitTemp(f, path); err != nil {
		os.Remove(f.Name())
		return "", err
	}
	if statErr != nil {
		b.mu.Lock()
		b.added[path] = true
		b.mu.Unlock()
	}
	return path, nil
}

// Discard removes a committed blob file that is not kept: in a layout,
// one this BlobFiles added, until Keep.
func (b *BlobFiles) Discard(path string) {
	if !b.layout {
		os.Remove(path)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.added[path] && !b.kept {
		os.Remove(path)
		delete(b.added, path)
	}
}

// Keep says the image was written: the blobs added to the layout are its
// and stay.
func (b *BlobFiles) Keep() {
	b.mu.Lock()
	b.kept = true
	b.mu.Unlock()
}

// Close removes what a layout got from a run that did not Keep, and, after
// one that did, what killed runs left in it.
func (b *BlobFiles) Close() {
	if !b.layout {
		return
	}
	b.mu.Lock()
	kept := b.kept
	if !kept {
		for p := range b.added {
			os.Remove(p)
		}
		b.added = map[string]bool{}
	}
	b.mu.Unlock()
	b.writer.release(kept)
}

// removeEmptyLayout removes what a failed first write made of a layout
// directory: the writers file and empty directories, never a blob.
func removeEmptyLayout(dir string) {
	os.Remove(filepath.Join(dir, writersFile))
	for _, d := range []string{filepath.Join(dir, "blobs", "sha256"), filepath.Join(dir, "blobs"), dir} {
		os.Remove(d) // only empty ones go
	}
}
