package layer

import (
	"bytes"
	"context"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	digest "github.com/opencontainers/go-digest"
	"go.podman.io/image/v5/pkg/blobinfocache/none"
	"go.podman.io/image/v5/types"
)

// writeStore stores c in containers-storage as podman pull would, through
// the storage transport's image destination: layers the store already
// holds are reused, the others applied, then the image is created with its
// manifest and config and given the reference's name (taken from any
// image that had it). A failed write leaves no image behind; layers it
// applied stay, as they do after a failed podman pull.
func writeStore(ctx context.Context, s string, c *imageContent) error {
	sr, err := parseStoreRef(s)
	if err != nil {
		return err
	}
	defer releaseStore(sr.store)
	dest, err := sr.ref.NewImageDestination(ctx, &types.SystemContext{})
	if err != nil {
		return err
	}
	defer dest.Close()
	info := func(d v1.Descriptor) types.BlobInfo {
		return types.BlobInfo{Digest: digest.Digest(d.Digest.String()), Size: d.Size, MediaType: string(d.MediaType)}
	}
	if _, err := dest.PutBlob(ctx, bytes.NewReader(c.config), info(c.configDesc), none.NoCache, true); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	for _, b := range c.blobs() {
		if b.desc.Digest == c.configDesc.Digest || b.desc.Digest == c.manifestDesc.Digest {
			continue
		}
		if reused, _, err := dest.TryReusingBlob(ctx, info(b.desc), none.NoCache, false); err != nil {
			return fmt.Errorf("layer %s: %w", b.desc.Digest, err)
		} else if reused {
			continue
		}
		if err := putLayer(ctx, dest, b, info(b.desc)); err != nil {
			return fmt.Errorf("layer %s: %w", b.desc.Digest, err)
		}
	}
	if err := dest.PutManifest(ctx, c.manifest, nil); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	return dest.Commit(ctx, unparsed{ref: sr.ref, manifest: c.manifest, mediaType: string(c.manifestDesc.MediaType)})
}

// putLayer stores one layer blob, checked against its descriptor on the
// way in.
func putLayer(ctx context.Context, dest types.ImageDestination, b blob, info types.BlobInfo) error {
	rc, err := b.open()
	if err != nil {
		return err
	}
	defer rc.Close()
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := copyBlob(ctx, pw, rc, b.desc)
		pw.CloseWithError(err)
		done <- err
	}()
	_, err = dest.PutBlob(ctx, pr, info, none.NoCache, false)
	pr.CloseWithError(err)
	if cerr := <-done; cerr != nil && err != nil {
		return cerr // what was wrong with the blob, not that the store saw it end early
	}
	return err
}

// unparsed is the image being committed, as the destination asks for it.
type unparsed struct {
	ref       types.ImageReference
	manifest  []byte
	mediaType string
}

func (u unparsed) Reference() types.ImageReference { return u.ref }
func (u unparsed) Manifest(context.Context) ([]byte, string, error) {
	return u.manifest, u.mediaType, nil
}
func (u unparsed) Signatures(context.Context) ([][]byte, error) { return nil, nil }
