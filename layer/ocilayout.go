package layer

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// RefNameAnnotation names an image inside an OCI layout (oci:DIR:REF).
const RefNameAnnotation = "org.opencontainers.image.ref.name"

// openOCILayout opens the image called tag (or the only image) of the OCI
// image layout in fsys, choosing plat from a multi-platform index.
func openOCILayout(fsys fs.FS, tag string, plat v1.Platform) (v1.Image, error) {
	var layout struct {
		Version string `json:"imageLayoutVersion"`
	}
	if err := readJSON(fsys, "oci-layout", &layout); err != nil {
		return nil, fmt.Errorf("not an OCI image layout: %w", err)
	}
	var idx v1.IndexManifest
	if err := readJSON(fsys, "index.json", &idx); err != nil {
		return nil, fmt.Errorf("OCI image layout: %w", err)
	}
	desc, err := selectRef(idx.Manifests, tag)
	if err != nil {
		return nil, err
	}
	return imageFromDescriptor(fsBlobs(fsys), desc, plat, 0)
}

// LayoutNames returns the names of the images in the OCI image layout dir
// (their org.opencontainers.image.ref.name annotations, as oci:DIR:REF
// names them), sorted, without repeats.
func LayoutNames(dir string) ([]string, error) {
	var idx v1.IndexManifest
	if err := readJSON(os.DirFS(dir), "index.json", &idx); err != nil {
		return nil, fmt.Errorf("OCI image layout %s: %w", dir, err)
	}
	var names []string
	for _, d := range idx.Manifests {
		if name := d.Annotations[RefNameAnnotation]; name != "" {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

func selectRef(descs []v1.Descriptor, tag string) (v1.Descriptor, error) {
	var names []string
	var found []v1.Descriptor
	for _, d := range descs {
		name := d.Annotations[RefNameAnnotation]
		names = append(names, name)
		if tag == "" || name == tag {
			found = append(found, d)
		}
	}
	switch {
	case len(found) == 1:
		return found[0], nil
	case len(descs) == 0:
		return v1.Descriptor{}, fmt.Errorf("the OCI layout holds no image")
	case tag == "":
		return v1.Descriptor{}, fmt.Errorf("the OCI layout holds %d images (%s): name one as oci:DIR:REF", len(descs), strings.Join(names, ", "))
	case len(found) == 0:
		return v1.Descriptor{}, fmt.Errorf("no image named %q in the OCI layout (it has: %s)", tag, strings.Join(names, ", "))
	}
	return v1.Descriptor{}, fmt.Errorf("%d images are named %q in the OCI layout", len(found), tag)
}

const maxIndexDepth = 4

// imageFromDescriptor follows a descriptor to an image, through image
// indexes (choosing plat).
func imageFromDescriptor(blob func(v1.Hash) (io.ReadCloser, error), desc v1.Descriptor, plat v1.Platform, depth int) (v1.Image, error) {
	data, err := readVerified(blob, desc.Digest, 4<<20)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	switch desc.MediaType {
	case types.OCIManifestSchema1, types.DockerManifestSchema2:
		return newLocalImage(data, desc.MediaType, blob)
	case types.OCIImageIndex, types.DockerManifestList:
		if depth >= maxIndexDepth {
			return nil, fmt.Errorf("image indexes nested more than %d deep", maxIndexDepth)
		}
		idx, err := v1.ParseIndexManifest(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("image index %s: %w", desc.Digest, err)
		}
		child, err := selectPlatform(idx.Manifests, plat)
		if err != nil {
			return nil, fmt.Errorf("image index %s: %w", desc.Digest, err)
		}
		return imageFromDescriptor(blob, child, plat, depth+1)
	}
	return nil, fmt.Errorf("%s has unsupported media type %q", desc.Digest, desc.MediaType)
}

func selectPlatform(descs []v1.Descriptor, plat v1.Platform) (v1.Descriptor, error) {
	var have []string
	for _, d := range descs {
		if d.Platform == nil {
			continue
		}
		if d.Platform.Satisfies(plat) {
			return d, nil
		}
		have = append(have, d.Platform.String())
	}
	if len(descs) == 1 && descs[0].Platform == nil {
		return descs[0], nil
	}
	return v1.Descriptor{}, fmt.Errorf("no image for platform %s (it has: %s)", plat.String(), strings.Join(have, ", "))
}
