package sysext

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Media types of an extension image pushed as an OCI artifact (image
// manifest 1.1: artifactType, the empty config, one layer that is the
// image file itself, not a tar). No standard one exists: systemd's
// importctl pull-oci reads ordinary container images (tar layers) into
// directory trees, fedora-sysexts and Flatcar's sysext-bakery publish .raw
// files over HTTP for systemd-sysupdate, OCI image-spec pull request 1191
// (EROFS and squashfs layers) is not merged, and containerd's
// application/vnd.erofs.layer.v1 is a container's root file system layer.
// These are oslayer's own; `oras pull` saves the layer under its title
// annotation, NAME.raw, ready for /var/lib/extensions.
const (
	ArtifactTypeSysext  = "application/vnd.oslayer.sysext.v1"
	ArtifactTypeConfext = "application/vnd.oslayer.confext.v1"
	LayerTypeSquashfs   = "application/vnd.oslayer.extension.layer.v1.squashfs"
	LayerTypeEROFS      = "application/vnd.oslayer.extension.layer.v1.erofs"
)

// Annotations of an extension artifact's manifest, beside
// org.opencontainers.image.title (NAME.raw) and .created.
const (
	AnnotationName         = "org.oslayer.extension.name"
	AnnotationKind         = "org.oslayer.extension.kind"
	AnnotationID           = "org.oslayer.extension.id"
	AnnotationVersionID    = "org.oslayer.extension.version-id"
	AnnotationLevel        = "org.oslayer.extension.level"
	AnnotationArchitecture = "org.oslayer.extension.architecture"
)

// emptyConfig is the OCI empty descriptor's content, the config of an
// artifact.
var emptyConfig = []byte("{}")

// Artifact returns the image file at p, img written as f, as an OCI
// artifact of one layer, labelled with the extension's name, kind and
// release, created at created (seconds since 1970).
func Artifact(img *Image, f Format, p string, created int64) (v1.Image, error) {
	layerType := types.MediaType(LayerTypeSquashfs)
	switch f {
	case Squashfs:
	case EROFS:
		layerType = LayerTypeEROFS
	default:
		return nil, fmt.Errorf("a %s is not an image file: only .raw images are pushed", f)
	}
	file, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	size, err := io.Copy(h, file)
	file.Close()
	if err != nil {
		return nil, err
	}
	l := &fileLayer{path: p, size: size, mt: layerType,
		digest: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}}
	cs := sha256.Sum256(emptyConfig)
	artifactType := ArtifactTypeSysext
	if img.Kind == Config {
		artifactType = ArtifactTypeConfext
	}
	annotations := map[string]string{
		"org.opencontainers.image.title":   img.Name + ImageSuffix,
		"org.opencontainers.image.created": time.Unix(created, 0).UTC().Format(time.RFC3339),
		AnnotationName:                     img.Name,
		AnnotationKind:                     img.Kind.String(),
		AnnotationID:                       img.Release.ID,
	}
	for k, v := range map[string]string{AnnotationVersionID: img.Release.VersionID, AnnotationLevel: img.Release.Level, AnnotationArchitecture: img.Release.Architecture} {
		if v != "" {
			annotations[k] = v
		}
	}
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  artifactType,
		Config: v1.Descriptor{MediaType: types.OCIEmptyJSON, Size: int64(len(emptyConfig)), Data: emptyConfig,
			Digest: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(cs[:])}},
		Layers: []v1.Descriptor{{MediaType: layerType, Size: size, Digest: l.digest,
			Annotations: map[string]string{"org.opencontainers.image.title": img.Name + ImageSuffix}}},
		Annotations: annotations,
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	return partial.CompressedToImage(&artifact{manifest: raw, layer: l})
}

// artifact is the manifest, config and layer of an extension artifact.
type artifact struct {
	manifest []byte
	layer    *fileLayer
}

func (a *artifact) RawConfigFile() ([]byte, error)      { return emptyConfig, nil }
func (a *artifact) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }
func (a *artifact) RawManifest() ([]byte, error)        { return a.manifest, nil }

func (a *artifact) LayerByDigest(h v1.Hash) (partial.CompressedLayer, error) {
	if h != a.layer.digest {
		return nil, fmt.Errorf("the artifact has no blob %s", h)
	}
	return a.layer, nil
}

// fileLayer is an image file as a layer blob, stored as it is.
type fileLayer struct {
	path   string
	size   int64
	digest v1.Hash
	mt     types.MediaType
}

func (l *fileLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *fileLayer) Compressed() (io.ReadCloser, error)  { return os.Open(l.path) }
func (l *fileLayer) Size() (int64, error)                { return l.size, nil }
func (l *fileLayer) MediaType() (types.MediaType, error) { return l.mt, nil }
