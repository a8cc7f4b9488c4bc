package layer

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

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
	base, err := openAnnotatedBase(ctx, derived, baseName, digest, opts)
	if err != nil {
		return nil, err
	}
	if staleLabel != "" {
		base.Note = strings.TrimPrefix(base.Note+"; ", "; ") + staleLabel + "; used the " + BaseNameAnnotation + " annotation"
	}
	return base, nil
}

// baseCandidate is one place a base named by annotation may be: a
// reference, and whether what it names is the base (pinned to the recorded
// digest, or no digest was recorded) or only if the derived image starts
// with its layers.
type baseCandidate struct {
	ref    string
	pinned bool
}

// baseCandidates lists where to look for the base baseName, in order. A
// registry name is looked for in local containers-storage first, pinned to
// digest and then by name alone: in the derived image's own store when it
// comes from one, then in the default store when it exists; then in the
// registry. buildah records local bases by name ("localhost/base:1"), and
// a base pulled for a build is in the store that built it.
func baseCandidates(derived *Image, baseName, digest string) (_ []baseCandidate, skipped string, _ error) {
	ref, err := ParseReference(baseName)
	if err != nil {
		return nil, "", err
	}
	if ref.Transport != TransportDocker {
		return []baseCandidate{{ref.String(), digest != ""}}, "", nil
	}
	var stores []string
	if derived.Ref.Transport == TransportContainersStorage {
		spec := ""
		if strings.HasPrefix(derived.Ref.Name, "[") {
			spec = derived.Ref.Name[:strings.IndexByte(derived.Ref.Name, ']')+1]
		}
		stores = append(stores, spec)
	}
	if root, ok := defaultStore(); ok && !slices.Contains(stores, "") {
		stores = append(stores, "")
	} else if !ok {
		skipped = "containers-storage: no default store at " + root
	}
	var out []baseCandidate
	for _, spec := range stores {
		prefix := TransportContainersStorage + ":" + spec
		if digest != "" && !strings.Contains(ref.Name, "@") {
			out = append(out, baseCandidate{prefix + ref.Name + "@" + digest, true})
		}
		out = append(out, baseCandidate{prefix + ref.Name, digest == ""})
	}
	r, err := name.ParseReference(ref.Name, name.WeakValidation)
	if err != nil {
		return nil, "", err
	}
	if digest != "" {
		out = append(out, baseCandidate{"docker://" + r.Context().Name() + "@" + digest, true})
	}
	return append(out, baseCandidate{ref.String(), digest == ""}), skipped, nil
}

// openAnnotatedBase opens the first candidate for the base that is there
// and fits: pinned to the recorded digest, or, by name alone (buildah 1.28
// with --layers records the digest of an intermediate image that exists
// nowhere), an image whose layers the derived image starts with.
func openAnnotatedBase(ctx context.Context, derived *Image, baseName, digest string, opts Options) (*Base, error) {
	cands, skipped, err := baseCandidates(derived, baseName, digest)
	if err != nil {
		return nil, fmt.Errorf("%s: annotation %s: %w", derived.Ref, BaseNameAnnotation, err)
	}
	var tried []string
	if skipped != "" {
		tried = append(tried, skipped)
	}
	for _, c := range cands {
		img, err := Open(ctx, c.ref, opts)
		if err != nil {
			tried = append(tried, err.Error())
			continue
		}
		b := &Base{Image: img, Layers: len(img.Layers), From: BaseFromAnnotation}
		local := img.Ref.Transport != TransportDocker && img.Ref.Transport != TransportContainersStorage
		switch {
		case c.pinned && local && img.Digest.String() != digest:
			// A layout or archive is not addressed by digest: check it.
			tried = append(tried, fmt.Sprintf("%s has digest %s, not the %s it was built from", img.Ref, img.Digest, digest))
		case c.pinned:
			return b, nil
		case b.SharesLayers(derived):
			b.Note = fmt.Sprintf("the base digest %s recorded in the image was not found; used %s, whose layers the image starts with", digest, img.Ref)
			return b, nil
		default:
			tried = append(tried, fmt.Sprintf("%s (%s) is another image: the derived image does not start with its layers", img.Ref, img.Digest))
		}
		img.Close()
	}
	return nil, fmt.Errorf("%s: cannot find its base %s (annotation %s); tried:\n  %s\nname the base image: oslayer diff BASE IMAGE, or --base BASE",
		derived.Ref, baseName, BaseNameAnnotation, strings.Join(tried, "\n  "))
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
