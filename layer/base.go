package layer

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/oslayer/oslayer/internal/enum"
	"github.com/oslayer/oslayer/layer/pkgdb"
)

// Image annotations and labels that say where a derived image's base ends.
const (
	// BaseNameAnnotation and BaseDigestAnnotation are written on the
	// manifest by buildah and podman build (OCI image spec annotations).
	BaseNameAnnotation   = "org.opencontainers.image.base.name"
	BaseDigestAnnotation = "org.opencontainers.image.base.digest"
	// FinalDiffIDLabel is set by ostree-ext on an encapsulated base: the
	// diff_id of its last layer. Derived images inherit the label.
	FinalDiffIDLabel = "ostree.final-diffid"
)

// ErrNoBase is returned by FindBase when an image says nothing about its
// base.
var ErrNoBase = errors.New("no base marker")

// Base is the base of a derived image: the first Layers layers of Image.
type Base struct {
	Image  *Image
	Layers int
	// From says how the base was found.
	From BaseOrigin
	// Note says what users should know about how the base was found.
	Note string
	// Tree and Packages are the base's merged tree and package databases,
	// once OpenSource has read them.
	Tree     *Tree
	Packages []*pkgdb.DB
}

// BaseOrigin says how a base was found.
type BaseOrigin uint8

// The ways a base is found.
const (
	// BaseFromArgument: the user named it.
	BaseFromArgument BaseOrigin = iota + 1
	// BaseFromFinalDiffID: the ostree.final-diffid label of an
	// encapsulated base, inherited by the derived image, names the last
	// base layer.
	BaseFromFinalDiffID
	// BaseFromAnnotation: the org.opencontainers.image.base.name and
	// .base.digest annotations buildah and podman write.
	BaseFromAnnotation
)

var baseOriginNames = enum.Names[BaseOrigin]{
	BaseFromArgument:    "argument",
	BaseFromFinalDiffID: "label " + FinalDiffIDLabel,
	BaseFromAnnotation:  "annotation " + BaseNameAnnotation,
}

func (o BaseOrigin) String() string { return baseOriginNames.Name(o, "origin") }

// MarshalText spells the origin as String does, for JSON output.
func (o BaseOrigin) MarshalText() ([]byte, error) { return []byte(o.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (o *BaseOrigin) UnmarshalText(b []byte) error { return baseOriginNames.Parse(b, "base origin", o) }

// BaseOf returns img itself as a base: all its layers.
func BaseOf(img *Image) *Base {
	return &Base{Image: img, Layers: len(img.Layers), From: BaseFromArgument}
}

// FindBase works out the base of a derived image without being told: from
// the ostree.final-diffid label of an encapsulated base (no download
// needed: the base is a prefix of the derived image), else from the
// base.name and base.digest annotations buildah writes, opening that image
// with opts.
func FindBase(ctx context.Context, derived *Image, opts Options) (*Base, error) {
	staleLabel := ""
	if id := derived.Labels()[FinalDiffIDLabel]; id != "" {
		for i, l := range derived.Layers {
			if l.DiffID.String() == id {
				return &Base{Image: derived, Layers: i + 1, From: BaseFromFinalDiffID}, nil
			}
		}
		staleLabel = fmt.Sprintf("label %s=%s names no layer of the image", FinalDiffIDLabel, id)
	}
	baseName := derived.Manifest.Annotations[BaseNameAnnotation]
	if baseName == "" && staleLabel != "" {
		return nil, fmt.Errorf("%s: cannot tell its base (%w): %s and it has no %s annotation; name the base image as the first argument",
			derived.Ref, ErrNoBase, staleLabel, BaseNameAnnotation)
	}
	if baseName == "" {
		return nil, fmt.Errorf("%s: cannot tell its base (%w): it has no %s label and no %s annotation; name the base image as the first argument",
			derived.Ref, ErrNoBase, FinalDiffIDLabel, BaseNameAnnotation)
	}
	digest := derived.Manifest.Annotations[BaseDigestAnnotation]
	ref, err := baseRef(baseName, digest)
	if err != nil {
		return nil, fmt.Errorf("%s: annotation %s: %w", derived.Ref, BaseNameAnnotation, err)
	}
	from := BaseFromAnnotation
	img, err := Open(ctx, ref, opts)
	if err != nil && ref != baseName && digest != "" {
		// buildah 1.28 with --layers records the digest of an intermediate
		// image that exists nowhere. The name still says which image it
		// was; accept what it names now only if it is truly a prefix.
		if fallback, ferr := Open(ctx, baseName, opts); ferr == nil {
			b := &Base{Image: fallback, Layers: len(fallback.Layers), From: from,
				Note: fmt.Sprintf("the base digest %s recorded in the image is unknown to the registry; used %s, whose layers the image starts with", digest, fallback.Ref)}
			if b.SharesLayers(derived) {
				return b, nil
			}
			fallback.Close()
			return nil, fmt.Errorf("%s: its base %s is unknown, and %s now names another image (%s): name the base as the first argument",
				derived.Ref, ref, baseName, fallback.Digest)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: opening its base (from annotation %s): %w", derived.Ref, BaseNameAnnotation, err)
	}
	// A registry base is opened by that digest; a local one is checked.
	if digest != "" && img.Ref.Transport != TransportDocker && img.Digest.String() != digest {
		img.Close()
		return nil, fmt.Errorf("%s: its base %s now has digest %s, not the %s it was built from", derived.Ref, ref, img.Digest, digest)
	}
	base := &Base{Image: img, Layers: len(img.Layers), From: from}
	if staleLabel != "" {
		base.Note = staleLabel + "; used the " + BaseNameAnnotation + " annotation"
	}
	return base, nil
}

// baseRef turns the base.name annotation into a reference to open,
// pinned to base.digest when the name is a registry reference.
func baseRef(baseName, digest string) (string, error) {
	ref, err := ParseReference(baseName)
	if err != nil {
		return "", err
	}
	if ref.Transport != TransportDocker || digest == "" {
		return ref.String(), nil
	}
	r, err := name.ParseReference(ref.Name, name.WeakValidation)
	if err != nil {
		return "", err
	}
	return "docker://" + r.Context().Name() + "@" + digest, nil
}

// SharesLayers reports whether the base's layers are the first layers of
// derived (same diff_ids in the same order): then only derived's later
// layers can change anything.
func (b *Base) SharesLayers(derived *Image) bool {
	if b.Layers > len(derived.Layers) {
		return false
	}
	for i := range b.Layers {
		if b.Image.Layers[i].DiffID != derived.Layers[i].DiffID {
			return false
		}
	}
	return true
}

// Prefix returns the base as an image of its own: Image cut to its first
// Layers layers. The manifest and config are Image's.
func (b *Base) Prefix() *Image {
	p := *b.Image
	p.Layers = b.Image.Layers[:b.Layers]
	return &p
}
