package layer

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sys/unix"
)

// A run killed while writing into an OCI layout leaves temporary files
// and blobs no index names. Writers hold a shared lock on the layout's
// writers file while they write blobs; after a successful write, a writer
// that finds no other (it gets the lock exclusive) removes the temporary
// files and the blobs no image of index.json references.
const writersFile = ".oslayer-writers"

// layoutWriter is one writer's shared lock on a layout.
type layoutWriter struct {
	dir string
	f   *os.File
}

// lockWriter takes a shared writer lock on the layout dir (creating dir).
// On a file system without locks it goes on unlocked and never collects.
func lockWriter(dir string) (*layoutWriter, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, writersFile), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_SH)
		if err == nil || !errors.Is(err, unix.EINTR) {
			break
		}
	}
	return &layoutWriter{dir: dir, f: f}, nil
}

// release ends the writer's turn; with collect, it then removes the
// layout's leftovers if no other writer is at work.
func (w *layoutWriter) release(collect bool) {
	if w == nil {
		return
	}
	defer w.f.Close()
	if !collect || unix.Flock(int(w.f.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		return
	}
	collectLayout(w.dir)
}

// collectLayout removes oslayer's temporary files and the blobs of the
// layout dir that no image of its index references. It gives up at the
// first thing it cannot read: a blob it does not know to be garbage stays.
func collectLayout(dir string) {
	idx, _, err := readLayoutIndex(dir)
	if err != nil {
		return
	}
	keep := map[string]bool{}
	var mark func(d v1.Descriptor) bool
	mark = func(d v1.Descriptor) bool {
		if !validHash(d.Digest) {
			return false
		}
		keep[d.Digest.Hex] = true
		switch d.MediaType {
		case types.OCIImageIndex, types.DockerManifestList:
			var sub v1.IndexManifest
			if !readBlobJSON(dir, d.Digest, &sub) {
				return false
			}
			for _, m := range sub.Manifests {
				if !mark(m) {
					return false
				}
			}
		case types.OCIManifestSchema1, types.DockerManifestSchema2:
			var m v1.Manifest
			if !readBlobJSON(dir, d.Digest, &m) {
				return false
			}
			keep[m.Config.Digest.Hex] = true
			for _, l := range m.Layers {
				keep[l.Digest.Hex] = true
			}
		default:
			return false // something oslayer does not know how to walk: collect nothing
		}
		return true
	}
	for _, d := range idx.Manifests {
		if !mark(d) {
			return
		}
	}
	for _, d := range []string{dir, filepath.Join(dir, "blobs", "sha256")} {
		entries, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range entries {
			name := e.Name()
			temp := strings.HasPrefix(name, tempPrefix)
			blob := d != dir && len(name) == 64 && !keep[name]
			if (temp || blob) && e.Type().IsRegular() {
				os.Remove(filepath.Join(d, name))
			}
		}
	}
}

func readBlobJSON(dir string, h v1.Hash, v any) bool {
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(blobPath(h))))
	return err == nil && json.Unmarshal(data, v) == nil
}
