package layer

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	ggcrtypes "github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/vbatts/tar-split/tar/asm"
	tsstorage "github.com/vbatts/tar-split/tar/storage"
	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/storage"
	drivers "go.podman.io/storage/drivers"
	"go.podman.io/storage/pkg/archive"
)

// storeImage is an image in containers-storage, read where the store
// keeps it: manifest and config as stored, each layer as the uncompressed
// diff the store reassembles from the layer's tar-split metadata and its
// files (so its digest is the layer's diff_id), streamed, with no copy on
// disk and no lock held while it is read. Its manifest describes the layers
// as stored, uncompressed; sourceDigest is the digest of the manifest the
// store keeps (what podman shows and buildah records as a base digest).
type storeImage struct {
	v1.Image
	digest v1.Hash
}

func (i storeImage) sourceDigest() v1.Hash { return i.digest }

// openStoreImage opens the image a containers-storage reference names.
func openStoreImage(ctx context.Context, name string) (v1.Image, io.Closer, error) {
	sr, err := parseStoreRef(name)
	if err != nil {
		return nil, nil, err
	}
	img, err := sr.image(ctx)
	if err != nil {
		releaseStore(sr.store)
		return nil, nil, err
	}
	return img, storeCloser{sr.store}, nil
}

func (sr *storeRef) image(ctx context.Context) (v1.Image, error) {
	_, simg, err := istorage.ResolveReference(sr.ref)
	if errors.Is(err, istorage.ErrNoSuchImage) {
		return nil, fmt.Errorf("no image %s in the store at %s (podman images --root %s lists them)", sr.name, sr.store.GraphRoot(), sr.store.GraphRoot())
	}
	if err != nil {
		return nil, err
	}
	src, err := sr.ref.NewImageSource(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	raw, _, err := src.GetManifest(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("reading its manifest: %w", err)
	}
	digest, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil || m.SchemaVersion != 2 || m.MediaType.IsIndex() {
		return nil, fmt.Errorf("image %s: only single-platform schema 2 and OCI manifests are read, not %s", simg.ID, manifestKind(raw))
	}
	config, err := sr.store.ImageBigData(simg.ID, m.Config.Digest.String())
	if err != nil {
		return nil, fmt.Errorf("reading its config %s: %w", m.Config.Digest, err)
	}
	var cf v1.ConfigFile
	if err := json.Unmarshal(config, &cf); err != nil {
		return nil, fmt.Errorf("parsing its config %s: %w", m.Config.Digest, err)
	}
	layers, err := sr.layerChain(simg)
	if err != nil {
		return nil, err
	}
	if len(layers) != len(m.Layers) || len(layers) != len(cf.RootFS.DiffIDs) {
		return nil, fmt.Errorf("image %s: the store holds %d layers, its manifest lists %d and its config %d", simg.ID, len(layers), len(m.Layers), len(cf.RootFS.DiffIDs))
	}
	// The layers as stored: uncompressed tars whose digests are their
	// diff_ids. A manifest that says so already is kept as it is.
	byDigest := map[v1.Hash]*storage.Layer{}
	rewritten := false
	for i, l := range layers {
		diffID := cf.RootFS.DiffIDs[i]
		if l.UncompressedDigest != "" && l.UncompressedDigest.String() != diffID.String() {
			return nil, fmt.Errorf("image %s: layer %d (%s) holds %s, its config says %s", simg.ID, i+1, l.ID, l.UncompressedDigest, diffID)
		}
		d := &m.Layers[i]
		if d.Digest != diffID {
			d.Digest, d.MediaType, d.Size, rewritten = diffID, uncompressedType(m.MediaType), max(l.UncompressedSize, 0), true
		}
		byDigest[diffID] = l
	}
	if rewritten {
		if raw, err = json.Marshal(m); err != nil {
			return nil, err
		}
	}
	blob := func(h v1.Hash) (io.ReadCloser, error) {
		if h == m.Config.Digest {
			return io.NopCloser(bytes.NewReader(config)), nil
		}
		l, ok := byDigest[h]
		if !ok {
			return nil, fmt.Errorf("blob %s is not in image %s", h, simg.ID)
		}
		return sr.openLayer(l)
	}
	img, err := newLocalImage(raw, m.MediaType, blob)
	if err != nil {
		return nil, err
	}
	return storeImage{Image: img, digest: digest}, nil
}

// manifestKind names a manifest's media type for messages.
func manifestKind(raw []byte) string {
	var probe struct {
		SchemaVersion int    `json:"schemaVersion"`
		MediaType     string `json:"mediaType"`
	}
	json.Unmarshal(raw, &probe)
	if probe.MediaType == "" {
		return fmt.Sprintf("schema version %d", probe.SchemaVersion)
	}
	return probe.MediaType
}

func uncompressedType(manifest ggcrtypes.MediaType) ggcrtypes.MediaType {
	if manifest == ggcrtypes.DockerManifestSchema2 {
		return ggcrtypes.DockerUncompressedLayer
	}
	return ggcrtypes.OCIUncompressedLayer
}

// layerChain returns an image's layers, bottom first.
func (sr *storeRef) layerChain(img *storage.Image) ([]*storage.Layer, error) {
	var out []*storage.Layer
	for id := img.TopLayer; id != ""; {
		if len(out) > 4096 {
			return nil, fmt.Errorf("image %s: its layers form a loop", img.ID)
		}
		l, err := sr.store.Layer(id)
		if err != nil {
			return nil, fmt.Errorf("image %s: layer %s: %w", img.ID, id, err)
		}
		out = append(out, l)
		id = l.Parent
	}
	slices.Reverse(out)
	return out, nil
}

// openLayer streams a layer's uncompressed diff: its tar-split metadata
// filled in with its files, read through the graph driver's diff getter
// (no mount). A layer without tar-split metadata is read through the
// store's own Diff, which holds the store's lock until it is closed.
func (sr *storeRef) openLayer(l *storage.Layer) (io.ReadCloser, error) {
	driver, err := sr.store.GraphDriver()
	if err != nil {
		return nil, err
	}
	dg, ok := driver.(drivers.DiffGetterDriver)
	ts, terr := os.Open(filepath.Join(sr.store.GraphRoot(), sr.store.GraphDriverName()+"-layers", l.ID+".tar-split.gz"))
	if !ok || terr != nil {
		if terr == nil {
			ts.Close()
		} else if !errors.Is(terr, os.ErrNotExist) {
			return nil, fmt.Errorf("layer %s: %w", l.ID, terr)
		}
		uncompressed := archive.Uncompressed
		return sr.store.Diff("", l.ID, &storage.DiffOptions{Compression: &uncompressed})
	}
	zr, err := gzip.NewReader(ts)
	if err != nil {
		ts.Close()
		return nil, fmt.Errorf("layer %s: tar-split metadata: %w", l.ID, err)
	}
	getter, err := dg.DiffGetter(l.ID)
	if err != nil {
		ts.Close()
		return nil, fmt.Errorf("layer %s: %w", l.ID, err)
	}
	stream := asm.NewOutputTarStream(getter, tsstorage.NewJSONUnpacker(zr))
	return &layerStream{r: stream, closers: []io.Closer{stream, getter, ts}}, nil
}

type layerStream struct {
	r       io.Reader
	closers []io.Closer
}

func (s *layerStream) Read(p []byte) (int, error) { return s.r.Read(p) }

func (s *layerStream) Close() error {
	var errs []error
	for _, c := range s.closers {
		errs = append(errs, c.Close())
	}
	return errors.Join(errs...)
}
