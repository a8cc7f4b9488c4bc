package layer

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
)

// MaxContent bounds what Content reads into memory.
const MaxContent = 64 << 20

// Content returns the bytes of a regular file node of a tree the loader
// built from img: from the content store when the index kept them, else by
// reading the node's layer again up to the file.
func (l *Loader) Content(ctx context.Context, img *Image, n *Node) ([]byte, error) {
	if n.Type != TypeRegular {
		return nil, fmt.Errorf("/%s is a %s, not a file", n.Path(), n.Type)
	}
	if n.Size > MaxContent {
		return nil, fmt.Errorf("/%s is %d bytes, more than the %d oslayer reads into memory", n.Path(), n.Size, MaxContent)
	}
	if l.store.Has(n.Digest) {
		f, err := l.store.Open(n.Digest)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return io.ReadAll(f)
	}
	if n.DataLayer < 0 || n.DataLayer >= len(img.Layers) || n.Offset < 0 {
		return nil, fmt.Errorf("/%s: its bytes cannot be found in a layer", n.Path())
	}
	rc, err := img.Layers[n.DataLayer].layer.Compressed()
	if err != nil {
		return nil, layerError(img, n.DataLayer, err)
	}
	defer rc.Close()
	zr, err := decompress(ctxReader{ctx, rc})
	if err != nil {
		return nil, layerError(img, n.DataLayer, err)
	}
	defer zr.Close()
	if _, err := io.CopyN(io.Discard, zr, n.Offset); err != nil {
		return nil, layerError(img, n.DataLayer, fmt.Errorf("seeking to /%s: %w", n.Path(), err))
	}
	data := make([]byte, n.Size)
	if _, err := io.ReadFull(zr, data); err != nil {
		return nil, layerError(img, n.DataLayer, fmt.Errorf("reading /%s: %w", n.Path(), err))
	}
	if Digest(sha256.Sum256(data)) != n.Digest {
		return nil, layerError(img, n.DataLayer, fmt.Errorf("/%s: content does not match the indexed digest", n.Path()))
	}
	return data, nil
}
