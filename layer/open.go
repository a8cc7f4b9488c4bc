package layer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Options control how images are opened.
type Options struct {
	// Insecure allows plain HTTP and unverified TLS for docker:// references
	// (--tls-verify=false).
	Insecure bool
	// Registries is registries.conf: insecure and blocked registries,
	// locations and mirrors (nil: none).
	Registries *Registries
	// CertDir holds the CA (*.crt) and client (*.cert, *.key) certificates
	// for every registry (--cert-dir); empty means each registry's
	// directory under certs.d (see containers-certs.d(5)).
	CertDir string
	// Platform selects an image from a multi-platform index; the zero value
	// means linux on the running architecture.
	Platform v1.Platform
	// Keychain finds registry credentials; nil means Keychain{}.
	Keychain authn.Keychain
	// Timeout bounds connecting to a registry, waiting for its answer and
	// each wait for more of it (DefaultTimeout when 0).
	Timeout time.Duration
	// Retries is how many times a registry request that failed with a
	// 5xx, a rate limit or a reset connection is tried again.
	Retries int
	// Progress, when set, hears the bytes of the layers Write stores
	// (blobs a destination holds already are not written, and report
	// nothing); reading layers reports through Loader.Progress.
	Progress Progress
}

// Image is an opened image: its manifest, config and layer list, read and
// verified, with the layers themselves still unread.
type Image struct {
	Ref Reference
	// Digest is the manifest digest as the source keeps it. An image in
	// containers-storage, whose layers the store keeps uncompressed, is
	// read (V1) with a manifest of its own that describes them so.
	Digest   v1.Hash
	Manifest *v1.Manifest
	Config   *v1.ConfigFile
	Layers   []LayerInfo

	img    v1.Image
	closer io.Closer
}

// LayerInfo describes one layer of an Image.
type LayerInfo struct {
	Digest      v1.Hash // the blob as stored (usually compressed)
	DiffID      v1.Hash // the uncompressed tar
	Size        int64   // blob size
	MediaType   types.MediaType
	Annotations map[string]string
	layer       v1.Layer
}

// Open opens the image a reference names (see ParseReference).
func Open(ctx context.Context, s string, opts Options) (*Image, error) {
	ref, err := ParseReference(s)
	if err != nil {
		return nil, err
	}
	img, closer, err := openRef(ctx, ref, opts)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", ref, err)
	}
	out, err := FromV1(ref, img)
	if err != nil {
		if closer != nil {
			closer.Close()
		}
		return nil, fmt.Errorf("opening %s: %w", ref, err)
	}
	if si, ok := img.(storeImage); ok {
		out.Digest = si.sourceDigest()
	}
	out.closer = closer
	return out, nil
}

func openRef(ctx context.Context, ref Reference, opts Options) (v1.Image, io.Closer, error) {
	plat := opts.Platform
	if plat.OS == "" {
		plat = v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	}
	switch ref.Transport {
	case TransportDocker:
		img, err := openRemote(ctx, ref.Name, plat, opts)
		return img, nil, err
	case TransportOCI:
		img, err := openOCILayout(os.DirFS(ref.Name), ref.Tag, plat)
		return img, nil, err
	case TransportOCIArchive, TransportDockerArchive:
		fsys, err := openTarFS(ref.Name)
		if err != nil {
			return nil, nil, err
		}
		var img v1.Image
		if ref.Transport == TransportOCIArchive {
			img, err = openOCILayout(fsys, ref.Tag, plat)
		} else {
			img, err = openDockerArchive(fsys, ref.Tag)
		}
		if err != nil {
			fsys.Close()
			return nil, nil, err
		}
		return img, fsys, nil
	case TransportContainersStorage:
		return openStoreImage(ctx, ref.Name)
	}
	return nil, nil, fmt.Errorf("unknown transport %q", ref.Transport)
}

// openRemote pulls from where registries.conf says: the reference's
// mirrors first, then its location; a mirror that fails is skipped.
func openRemote(ctx context.Context, s string, plat v1.Platform, opts Options) (v1.Image, error) {
	r, err := name.ParseReference(s)
	if err != nil {
		return nil, err
	}
	sources, err := opts.Registries.pullSources(r)
	if err != nil {
		return nil, err
	}
	var mirrorErrs []string
	for _, src := range sources {
		rr, remoteOpts, err := remoteAt(ctx, src.ref, opts.Insecure || src.insecure, opts)
		if err == nil {
			var img v1.Image
			if img, err = remote.Image(rr, append(remoteOpts, remote.WithPlatform(plat))...); err == nil {
				return img, nil
			}
			err = explainAuth(err, opts.Keychain, rr.Context())
		}
		if !src.mirror {
			if len(mirrorErrs) > 0 {
				err = fmt.Errorf("%w (mirrors: %s)", err, strings.Join(mirrorErrs, "; "))
			}
			return nil, err
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		mirrorErrs = append(mirrorErrs, fmt.Sprintf("%s: %v", src.ref, err))
	}
	return nil, errors.New("no source to pull from") // pullSources ends with the location
}

// FromV1 reads the manifest, config and layer list of a v1.Image.
func FromV1(ref Reference, img v1.Image) (*Image, error) {
	digest, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("manifest digest: %w", err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if len(m.Layers) != len(cf.RootFS.DiffIDs) {
		return nil, fmt.Errorf("the manifest lists %d layers but the config %d diff_ids", len(m.Layers), len(cf.RootFS.DiffIDs))
	}
	out := &Image{Ref: ref, Digest: digest, Manifest: m, Config: cf, img: img}
	for i, d := range m.Layers {
		lyr, err := img.LayerByDigest(d.Digest)
		if err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i+1, d.Digest, err)
		}
		out.Layers = append(out.Layers, LayerInfo{
			Digest:      d.Digest,
			DiffID:      cf.RootFS.DiffIDs[i],
			Size:        d.Size,
			MediaType:   d.MediaType,
			Annotations: d.Annotations,
			layer:       lyr,
		})
	}
	return out, nil
}

// V1 returns the image as a go-containerregistry image.
func (i *Image) V1() v1.Image { return i.img }

// Labels returns the image config's labels (never nil).
func (i *Image) Labels() map[string]string {
	if i.Config.Config.Labels == nil {
		return map[string]string{}
	}
	return i.Config.Config.Labels
}

// Close releases files the image holds open (archives).
func (i *Image) Close() error {
	if i.closer != nil {
		return i.closer.Close()
	}
	return nil
}
