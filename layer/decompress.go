package layer

import (
	"bufio"
	"bytes"
	"fmt"
	"io"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

type compressionKind int

const (
	compressionNone compressionKind = iota
	compressionGzip
	compressionZstd
)

const zstdMaxWindow = 128 << 20

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

func detectCompression(head []byte) compressionKind {
	switch {
	case bytes.HasPrefix(head, gzipMagic):
		return compressionGzip
	case bytes.HasPrefix(head, zstdMagic):
		return compressionZstd
	}
	return compressionNone
}

// decompress returns the uncompressed stream of a layer blob, recognising
// gzip and zstd by their magic numbers (media types lie more often than
// magic numbers do) and passing plain tar through.
func decompress(r io.Reader) (io.ReadCloser, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, _ := br.Peek(4)
	switch detectCompression(head) {
	case compressionGzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		zr.Multistream(true)
		return zr, nil
	case compressionZstd:
		// The window is allocated up front: bound it, or a few hundred
		// hostile bytes cost 512 MB. 128 MiB covers zstd --long=27.
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxWindow(zstdMaxWindow), zstd.WithDecoderLowmem(true))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return zr.IOReadCloser(), nil
	}
	return io.NopCloser(br), nil
}
