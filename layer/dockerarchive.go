package layer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// dockerArchiveEntry is one image of a docker save archive's manifest.json.
type dockerArchiveEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// openDockerArchive opens the image tag (a RepoTags entry, "@N" for the
// N-th image, or empty for the only one) of a docker save archive. The
// archive has no registry manifest, so one is made from its config and
// layers; its digest is therefore oslayer's own.
func openDockerArchive(fsys fs.FS, tag string) (v1.Image, error) {
	var entries []dockerArchiveEntry
	if err := readJSON(fsys, "manifest.json", &entries); err != nil {
		return nil, fmt.Errorf("not a docker archive: %w", err)
	}
	e, err := selectArchiveImage(entries, tag)
	if err != nil {
		return nil, err
	}
	config, err := readSmall(fsys, e.Config)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cf, err := v1.ParseConfigFile(bytes.NewReader(config))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", e.Config, err)
	}
	if len(cf.RootFS.DiffIDs) != len(e.Layers) {
		return nil, fmt.Errorf("config %s lists %d diff_ids for %d layers", e.Config, len(cf.RootFS.DiffIDs), len(e.Layers))
	}
	configSum := sha256.Sum256(config)
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.DockerManifestSchema2,
		Config: v1.Descriptor{
			MediaType: types.DockerConfigJSON,
			Size:      int64(len(config)),
			Digest:    v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(configSum[:])},
		},
	}
	paths := map[v1.Hash]string{m.Config.Digest: e.Config}
	for i, p := range e.Layers {
		desc, err := archiveLayerDescriptor(fsys, p, cf.RootFS.DiffIDs[i])
		if err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i+1, p, err)
		}
		paths[desc.Digest] = p
		m.Layers = append(m.Layers, desc)
	}
	manifest, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	blob := func(h v1.Hash) (io.ReadCloser, error) {
		p, ok := paths[h]
		if !ok {
			return nil, fmt.Errorf("blob %s: %w", h, fs.ErrNotExist)
		}
		return fsys.Open(p)
	}
	return newLocalImage(manifest, types.DockerManifestSchema2, blob)
}

func selectArchiveImage(entries []dockerArchiveEntry, tag string) (dockerArchiveEntry, error) {
	if n, ok := strings.CutPrefix(tag, "@"); ok {
		i, err := strconv.Atoi(n)
		if err != nil || i < 0 || i >= len(entries) {
			return dockerArchiveEntry{}, fmt.Errorf("the archive has %d images, %q selects none", len(entries), tag)
		}
		return entries[i], nil
	}
	if tag == "" {
		if len(entries) != 1 {
			return dockerArchiveEntry{}, fmt.Errorf("the archive holds %d images: name one as docker-archive:FILE:TAG or :@N", len(entries))
		}
		return entries[0], nil
	}
	want := normaliseTag(tag)
	var all []string
	for _, e := range entries {
		for _, t := range e.RepoTags {
			if normaliseTag(t) == want {
				return e, nil
			}
			all = append(all, t)
		}
	}
	return dockerArchiveEntry{}, fmt.Errorf("no image tagged %q in the archive (it has: %s)", tag, strings.Join(all, ", "))
}

func normaliseTag(s string) string {
	if t, err := name.NewTag(s); err == nil {
		return t.Name()
	}
	return s
}

// archiveLayerDescriptor describes a layer file of a docker archive. Docker
// 25 and later store them as blobs/sha256/HEX; older archives hold plain
// tars, whose digest is their diff_id. Compressed layers under other names
// are hashed to learn their digest.
func archiveLayerDescriptor(fsys fs.FS, p string, diffID v1.Hash) (v1.Descriptor, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return v1.Descriptor{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return v1.Descriptor{}, err
	}
	head := make([]byte, 4)
	n, _ := io.ReadFull(f, head)
	kind := detectCompression(head[:n])
	desc := v1.Descriptor{Size: fi.Size(), MediaType: map[compressionKind]types.MediaType{
		compressionNone: types.DockerUncompressedLayer,
		compressionGzip: types.DockerLayer,
		compressionZstd: types.OCILayerZStd,
	}[kind]}
	if hexPart, ok := strings.CutPrefix(p, "blobs/sha256/"); ok {
		desc.Digest = v1.Hash{Algorithm: "sha256", Hex: hexPart}
		if validHash(desc.Digest) {
			return desc, nil
		}
	}
	if kind == compressionNone {
		desc.Digest = diffID
		return desc, nil
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.MultiReader(bytes.NewReader(head[:n]), f)); err != nil {
		return v1.Descriptor{}, err
	}
	desc.Digest = v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}
	return desc, nil
}
