package layer

import (
	"archive/tar"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// archiveModTime is the modification time of every archive entry: the Unix
// epoch, so that the same image always gives the same archive.
var archiveModTime = time.Unix(0, 0)

// archiveEntry is a file of an archive being written.
type archiveEntry struct {
	name string
	// desc gives the size, and the digest to check unless it is zero.
	desc v1.Descriptor
	open func() (io.ReadCloser, error)
}

func fileEntry(name string, data []byte) archiveEntry {
	return archiveEntry{name: name, desc: v1.Descriptor{Size: int64(len(data))}, open: bytesOpener(data)}
}

func blobEntries(bs []blob) []archiveEntry {
	var out []archiveEntry
	for _, b := range bs {
		out = append(out, archiveEntry{name: blobPath(b.desc.Digest), desc: b.desc, open: b.open})
	}
	return out
}

// writeOCIArchive replaces file by a tar of an OCI image layout holding
// the image, named tag.
func writeOCIArchive(ctx context.Context, file, tag string, c *imageContent) error {
	desc := c.manifestDesc
	desc.Annotations = map[string]string{RefNameAnnotation: tag}
	index, err := json.Marshal(v1.IndexManifest{
		SchemaVersion: 2,
		MediaType:     types.OCIImageIndex,
		Manifests:     []v1.Descriptor{desc},
	})
	if err != nil {
		return err
	}
	entries := append(blobEntries(c.blobs()),
		fileEntry("oci-layout", []byte(ociLayoutFile)),
		fileEntry("index.json", index))
	return writeArchive(ctx, file, entries)
}

// writeDockerArchive replaces file by a docker save archive of the image,
// in the layout Docker 25 and later use: config and layers as
// blobs/sha256/HEX, named by manifest.json. Layers are stored as they are
// (compressed), which docker load and skopeo read.
func writeDockerArchive(ctx context.Context, file string, repoTags []string, c *imageContent) error {
	e := dockerArchiveEntry{Config: blobPath(c.configDesc.Digest), RepoTags: repoTags, Layers: []string{}}
	var blobs []blob
	for _, b := range c.blobs() {
		if b.desc.Digest != c.manifestDesc.Digest {
			blobs = append(blobs, b)
		}
	}
	for _, l := range c.layers {
		e.Layers = append(e.Layers, blobPath(l.Digest))
	}
	manifest, err := json.Marshal([]dockerArchiveEntry{e})
	if err != nil {
		return err
	}
	return writeArchive(ctx, file, append(blobEntries(blobs), fileEntry("manifest.json", manifest)))
}

// writeArchive replaces file by a tar of entries, written beside it and
// renamed over it once complete and durable. Entries are sorted by name,
// each preceded by its directories, all owned by 0:0 and modified at
// archiveModTime, in the PAX format.
func writeArchive(ctx context.Context, file string, entries []archiveEntry) error {
	// Replace what a symlink points at, as writing through it would.
	if p, err := filepath.EvalSymlinks(file); err == nil {
		file = p
	}
	f, err := createTemp(filepath.Dir(file), filepath.Base(file))
	if err != nil {
		return err
	}
	if err := writeArchiveTar(ctx, f, entries); err != nil {
		discardTemp(f)
		return err
	}
	if err := commitTemp(f, file); err != nil {
		os.Remove(f.Name())
		return err
	}
	return syncDir(filepath.Dir(file))
}

func writeArchiveTar(ctx context.Context, w io.Writer, entries []archiveEntry) error {
	entries = slices.Clone(entries)
	slices.SortFunc(entries, func(a, b archiveEntry) int { return strings.Compare(a.name, b.name) })
	tw := tar.NewWriter(w)
	dirs := map[string]bool{}
	for _, e := range entries {
		for i := range len(e.name) {
			if e.name[i] != '/' || dirs[e.name[:i+1]] {
				continue
			}
			dirs[e.name[:i+1]] = true
			if err := tw.WriteHeader(archiveHeader(e.name[:i+1], tar.TypeDir, 0o755, 0)); err != nil {
				return err
			}
		}
		if err := tw.WriteHeader(archiveHeader(e.name, tar.TypeReg, 0o644, e.desc.Size)); err != nil {
			return fmt.Errorf("%s: %w", e.name, err)
		}
		rc, err := e.open()
		if err != nil {
			if e.desc.Digest != (v1.Hash{}) {
				return fmt.Errorf("blob %s: %w", e.desc.Digest, err)
			}
			return fmt.Errorf("%s: %w", e.name, err)
		}
		_, err = copyBlob(ctx, tw, rc, e.desc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return tw.Close()
}

func archiveHeader(name string, typ byte, mode, size int64) *tar.Header {
	return &tar.Header{
		Typeflag: typ,
		Name:     name,
		Mode:     mode,
		Size:     size,
		ModTime:  archiveModTime,
		Format:   tar.FormatPAX,
	}
}
