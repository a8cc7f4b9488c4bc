package butane

import (
	"bytes"
	"fmt"
	"io"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/oslayer/oslayer/layer"
)

// Image returns base with the result as one more layer, created at
// created (the layer's files carry the same time). The manifest names the
// base in org.opencontainers.image.base.name and .base.digest, as buildah
// does, so oslayer diff and lint find it. The same config and base give
// the same digest.
func (res *Result) Image(base *layer.Image, t *Target, configName string, c layer.Compression, created time.Time) (v1.Image, error) {
	var blob bytes.Buffer
	if err := res.WriteLayer(&blob, t, c, created); err != nil {
		return nil, err
	}
	data := blob.Bytes()
	mt := types.OCILayer
	switch c {
	case layer.Zstd:
		mt = types.OCILayerZStd
	case layer.None:
		mt = types.OCIUncompressedLayer
	}
	lyr, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }, tarball.WithMediaType(mt))
	if err != nil {
		return nil, err
	}
	img, err := mutate.Append(base.V1(), mutate.Addendum{Layer: lyr, MediaType: mt, History: v1.History{
		Created:   v1.Time{Time: created},
		CreatedBy: "oslayer butane " + configName,
		Comment:   "rendered from a Butane config",
	}})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Created = v1.Time{Time: created}
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		return nil, err
	}
	name := base.Ref.String()
	if base.Ref.Transport == layer.TransportDocker {
		name = base.Ref.Name
	}
	out, ok := mutate.Annotations(img, map[string]string{
		layer.BaseNameAnnotation:   name,
		layer.BaseDigestAnnotation: base.Digest.String(),
	}).(v1.Image)
	if !ok {
		return nil, fmt.Errorf("annotating the image")
	}
	return out, nil
}
