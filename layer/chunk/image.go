package chunk

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/oslayer/oslayer/layer"
)

// Labels of a bootable image.
const (
	LabelBootc       = "containers.bootc"
	LabelBootable    = "ostree.bootable"
	LabelLinux       = "ostree.linux"
	LabelCommit      = "ostree.commit"
	LabelFinalDiffID = "ostree.final-diffid"
)

// ImageOptions describe the output image beyond its layers.
type ImageOptions struct {
	// Config is the source image's config (nil for a rootfs): its runtime
	// settings and labels are kept.
	Config *v1.ConfigFile
	// Created is the image's and every history entry's creation time.
	Created time.Time
	// Kernel is the kernel version for ostree.linux ("" leaves it unset).
	Kernel string
	// Labels are set (value non-nil) or removed (nil) last.
	Labels map[string]*string
	// Compression is the blobs' compression (for their media type).
	Compression layer.Compression
}

// Image assembles the chunked image: an OCI manifest of the blobs, each
// layer annotated with its components and given a history entry, and the
// config with bootc's labels. The same blobs and options give the same
// manifest digest.
func Image(layers []*Layer, blobs []*Blob, opts ImageOptions) (v1.Image, error) {
	cf := &v1.ConfigFile{OS: "linux", Architecture: runtime.GOARCH}
	if opts.Config != nil {
		cf = opts.Config.DeepCopy()
	}
	cf.Created = v1.Time{Time: opts.Created}
	cf.RootFS = v1.RootFS{Type: "layers"}
	cf.History = nil
	labels := cf.Config.Labels // cf is a copy: changed in place
	if labels == nil {
		labels = map[string]string{}
	}
	delete(labels, LabelCommit)
	delete(labels, LabelFinalDiffID)
	labels[LabelBootc] = "1"
	labels[LabelBootable] = "true"
	if opts.Kernel != "" {
		labels[LabelLinux] = opts.Kernel
	}
	for k, v := range opts.Labels {
		if v == nil {
			delete(labels, k)
		} else {
			labels[k] = *v
		}
	}
	cf.Config.Labels = labels
	mt := mediaType(opts.Compression)
	m := &v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1}
	byDigest := map[v1.Hash]*blobLayer{}
	for i, b := range blobs {
		cf.RootFS.DiffIDs = append(cf.RootFS.DiffIDs, b.DiffID)
		cf.History = append(cf.History, v1.History{
			Created:   v1.Time{Time: opts.Created},
			CreatedBy: "oslayer chunk",
			Comment:   fmt.Sprintf("%d components: %s", len(layers[i].Components), shortNames(layers[i])),
		})
		m.Layers = append(m.Layers, v1.Descriptor{
			MediaType:   mt,
			Size:        b.Size,
			Digest:      b.Digest,
			Annotations: map[string]string{ComponentsAnnotation: layers[i].Annotation()},
		})
		byDigest[b.Digest] = &blobLayer{b: b, mt: mt}
	}
	config, err := json.Marshal(cf)
	if err != nil {
		return nil, err
	}
	m.Config = v1.Descriptor{MediaType: types.OCIConfigJSON, Size: int64(len(config)), Digest: sha256Hash(config)}
	manifest, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(&image{config: config, manifest: manifest, layers: byDigest})
}

func mediaType(c layer.Compression) types.MediaType {
	switch c {
	case layer.Zstd:
		return types.OCILayerZStd
	case layer.None:
		return types.OCIUncompressedLayer
	}
	return types.OCILayer
}

func sha256Hash(b []byte) v1.Hash {
	return v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", sha256.Sum256(b))}
}

type image struct {
	config, manifest []byte
	layers           map[v1.Hash]*blobLayer
}

func (i *image) RawConfigFile() ([]byte, error)      { return i.config, nil }
func (i *image) RawManifest() ([]byte, error)        { return i.manifest, nil }
func (i *image) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

func (i *image) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if l, ok := i.layers[h]; ok {
		return l, nil
	}
	return nil, fmt.Errorf("no layer %s in the chunked image", h)
}

// blobLayer is a written blob as a v1.Layer.
type blobLayer struct {
	b  *Blob
	mt types.MediaType
}

func (l *blobLayer) Digest() (v1.Hash, error)            { return l.b.Digest, nil }
func (l *blobLayer) DiffID() (v1.Hash, error)            { return l.b.DiffID, nil }
func (l *blobLayer) Size() (int64, error)                { return l.b.Size, nil }
func (l *blobLayer) MediaType() (types.MediaType, error) { return l.mt, nil }
func (l *blobLayer) Compressed() (io.ReadCloser, error)  { return os.Open(l.b.Path) }

func (l *blobLayer) Uncompressed() (io.ReadCloser, error) {
	f, err := os.Open(l.b.Path)
	if err != nil {
		return nil, err
	}
	switch l.mt {
	case types.OCILayerZStd:
		zr, err := zstd.NewReader(f)
		if err != nil {
			f.Close()
			return nil, err
		}
		return readCloser{zr.IOReadCloser(), f}, nil
	case types.OCIUncompressedLayer:
		return f, nil
	}
	zr, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return readCloser{zr, f}, nil
}

type readCloser struct {
	io.ReadCloser
	f *os.File
}

func (r readCloser) Close() error {
	r.ReadCloser.Close()
	return r.f.Close()
}
