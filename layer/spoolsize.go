package layer

import (
	"encoding/binary"
	"io"

	"github.com/google/go-containerregistry/pkg/v1/types"
)

// SpoolSize returns at least how many bytes spooling img's layers takes
// (ContentSpool keeps each layer's uncompressed stream): the exact size
// where the cache has a layer's index or the layer is stored uncompressed,
// else, for a gzip blob that can be read from its end (a local file), the
// size its trailer records, which is modulo 4 GiB and so only a lower
// bound. known is false when some layer's size could not be told, which
// then counts as its compressed size.
func (l *Loader) SpoolSize(img *Image) (size int64, known bool) {
	known = true
	for _, info := range img.Layers {
		if l.cache != nil {
			if idx := l.cache.Get(info.DiffID); idx != nil {
				size += idx.Size
				continue
			}
		}
		switch info.MediaType {
		case types.OCIUncompressedLayer, types.DockerUncompressedLayer:
			size += info.Size
			continue
		}
		if n, ok := gzipTrailerSize(img, info); ok && n >= info.Size {
			size += n
			continue
		}
		size += info.Size
		known = false
	}
	return size, known
}

// gzipTrailerSize reads ISIZE, the uncompressed size modulo 2^32 at the
// end of a gzip member, from a blob of a layout or archive that can seek
// (a registry's would have to be downloaded).
func gzipTrailerSize(img *Image, info LayerInfo) (int64, bool) {
	switch img.Ref.Transport {
	case TransportOCI, TransportOCIArchive, TransportDockerArchive:
	default:
		return 0, false
	}
	rc, err := info.layer.Compressed()
	if err != nil {
		return 0, false
	}
	defer rc.Close()
	rs, ok := rc.(io.ReadSeeker)
	if !ok {
		return 0, false
	}
	var magic [2]byte
	if _, err := io.ReadFull(rs, magic[:]); err != nil || magic != [2]byte{0x1f, 0x8b} {
		return 0, false
	}
	if _, err := rs.Seek(-4, io.SeekEnd); err != nil {
		return 0, false
	}
	var trailer [4]byte
	if _, err := io.ReadFull(rs, trailer[:]); err != nil {
		return 0, false
	}
	return int64(binary.LittleEndian.Uint32(trailer[:])), true
}
