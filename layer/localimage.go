package layer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// localImage is an image whose blobs are files in an fs.FS (an OCI layout
// directory or archive, a docker archive). It implements
// partial.CompressedImageCore; layer blobs are verified by whoever reads
// them (see Loader), manifest and config here.
type localImage struct {
	manifest  []byte
	mediaType types.MediaType
	config    []byte
	// blob opens the blob with the given digest.
	blob func(v1.Hash) (io.ReadCloser, error)
	// layers describes each layer blob by digest.
	layers map[v1.Hash]v1.Descriptor
}

var _ partial.CompressedImageCore = (*localImage)(nil)

func (i *localImage) RawManifest() ([]byte, error)        { return i.manifest, nil }
func (i *localImage) RawConfigFile() ([]byte, error)      { return i.config, nil }
func (i *localImage) MediaType() (types.MediaType, error) { return i.mediaType, nil }
func (i *localImage) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	d, ok := i.layers[h]
	if !ok {
		return nil, fmt.Errorf("blob %s is not a layer of this image", h)
	}
	return &localLayer{desc: d, open: i.blob}, nil
}

type localLayer struct {
	desc v1.Descriptor
	open func(v1.Hash) (io.ReadCloser, error)
}

func (l *localLayer) Digest() (v1.Hash, error)            { return l.desc.Digest, nil }
func (l *localLayer) Size() (int64, error)                { return l.desc.Size, nil }
func (l *localLayer) MediaType() (types.MediaType, error) { return l.desc.MediaType, nil }
func (l *localLayer) Compressed() (io.ReadCloser, error)  { return l.open(l.desc.Digest) }

// newLocalImage builds an image from a manifest whose blobs blob opens. The
// manifest's own digest was checked by the caller; the config is checked
// here.
func newLocalImage(manifest []byte, mt types.MediaType, blob func(v1.Hash) (io.ReadCloser, error)) (v1.Image, error) {
	m, err := v1.ParseManifest(bytes.NewReader(manifest))
	if err != nil {
		return nil, fmt.Errorf("parsing manifest: %w", err)
	}
	config, err := readVerified(blob, m.Config.Digest, 16<<20)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	li := &localImage{manifest: manifest, mediaType: mt, config: config, blob: blob, layers: map[v1.Hash]v1.Descriptor{}}
	for _, l := range m.Layers {
		li.layers[l.Digest] = l
	}
	return partial.CompressedToImage(li)
}

// readVerified reads a small blob whole and checks its sha256 digest.
func readVerified(blob func(v1.Hash) (io.ReadCloser, error), h v1.Hash, limit int64) ([]byte, error) {
	if h.Algorithm != "sha256" {
		return nil, fmt.Errorf("blob %s: unsupported digest algorithm", h)
	}
	rc, err := blob(h)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", h, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("blob %s: larger than %d bytes", h, limit)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != h.Hex {
		return nil, fmt.Errorf("blob %s: digest mismatch, content hashes to sha256:%x", h, sum)
	}
	return data, nil
}

// fsBlobs opens blobs stored as blobs/ALG/HEX in fsys, the OCI layout.
func fsBlobs(fsys fs.FS) func(v1.Hash) (io.ReadCloser, error) {
	return func(h v1.Hash) (io.ReadCloser, error) {
		if !validHash(h) {
			return nil, fmt.Errorf("invalid digest %q", h)
		}
		f, err := fsys.Open("blobs/" + h.Algorithm + "/" + h.Hex)
		if err != nil {
			return nil, fmt.Errorf("blob %s: %w", h, err)
		}
		return f, nil
	}
}

// validHash accepts only digests that are safe to use as file names.
func validHash(h v1.Hash) bool {
	want := map[string]int{"sha256": 64, "sha512": 128}[h.Algorithm]
	if want == 0 || len(h.Hex) != want {
		return false
	}
	_, err := hex.DecodeString(h.Hex)
	return err == nil
}

// maxJSON bounds the small JSON files of layouts and archives.
const maxJSON = 16 << 20

// readJSON decodes a small JSON file of fsys.
func readJSON(fsys fs.FS, name string, v any) error {
	data, err := readSmall(fsys, name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("parsing %s: %w", name, err)
	}
	return nil
}

// readSmall reads a file of at most maxJSON bytes.
func readSmall(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxJSON+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(data) > maxJSON {
		return nil, fmt.Errorf("%s is larger than %d bytes", name, maxJSON)
	}
	return data, nil
}
