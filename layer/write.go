package layer

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// DefaultRefName names the image written to oci:DIR or oci-archive:FILE
// when the reference names none, as skopeo does.
const DefaultRefName = "latest"

// Write writes img to the reference s (see ParseReference), the inverse of
// Open:
//
//   - docker://NAME (or a bare NAME): pushed to the registry with the
//     credentials of opts.Keychain (Keychain{} when nil); opts.Insecure
//     allows plain HTTP and unverified TLS.
//   - oci:DIR[:REF]: stored in the OCI image layout DIR, created if missing,
//     as the image named REF (DefaultRefName when empty). Other images of an
//     existing layout stay; an image already named REF is replaced.
//   - oci-archive:FILE[:REF]: FILE is replaced by a tar of an OCI image
//     layout holding only img, named REF.
//   - docker-archive:FILE[:TAG]: FILE is replaced by a docker save archive
//     of img, tagged TAG; without a TAG it has no RepoTags, as skopeo
//     writes it. The archive holds no registry manifest, so a reader makes
//     its own: config and layers are kept, the manifest digest is not.
//   - containers-storage:[STORE]NAME: stored as podman pull stores an
//     image (see writeStore), named NAME.
//
// Manifests, configs and layers are written as img stores them (layers
// stay compressed, manifests keep their digest), streamed, and checked
// against their digests on the way. Writes are crash-safe: an OCI layout
// gets its blobs first and index.json last, replaced atomically, and an
// archive is written beside FILE and renamed over it, so an interrupted
// write leaves the destination as it was. Blobs a layout already holds are
// not written again; writers of one layout take turns. opts.Platform is
// not used. Archives are reproducible: the same image gives the
// same bytes (entries sorted, owned by 0:0, modified at the Unix epoch).
func Write(ctx context.Context, img v1.Image, s string, opts Options) error {
	ref, err := ParseReference(s)
	if err != nil {
		return err
	}
	if (ref.Transport == TransportOCI || ref.Transport == TransportOCIArchive) && ref.Tag == "" {
		ref.Tag = DefaultRefName
	}
	if err := writeRef(ctx, img, ref, opts); err != nil {
		return fmt.Errorf("writing %s: %w", ref, err)
	}
	return nil
}

func writeRef(ctx context.Context, img v1.Image, ref Reference, opts Options) error {
	switch ref.Transport {
	case TransportDocker:
		return writeRemote(ctx, img, ref, opts)
	case TransportOCI, TransportOCIArchive:
		if !validRefName(ref.Tag) {
			return fmt.Errorf("%q is not a valid image name in an OCI layout (letters and digits, separated by one of -._:@+ or --, and /)", ref.Tag)
		}
		c, err := readImageContent(img, ref, opts.Progress)
		if err != nil {
			return err
		}
		if ref.Transport == TransportOCI {
			return writeOCILayout(ctx, ref.Name, ref.Tag, c)
		}
		return writeOCIArchive(ctx, ref.Name, ref.Tag, c)
	case TransportDockerArchive:
		var repoTags []string
		if ref.Tag != "" {
			t, err := archiveRepoTag(ref.Tag)
			if err != nil {
				return err
			}
			repoTags = []string{t}
		}
		c, err := readImageContent(img, ref, opts.Progress)
		if err != nil {
			return err
		}
		return writeDockerArchive(ctx, ref.Name, repoTags, c)
	case TransportContainersStorage:
		c, err := readImageContent(img, ref, opts.Progress)
		if err != nil {
			return err
		}
		return writeStore(ctx, ref.Name, c)
	}
	return fmt.Errorf("unknown transport %q", ref.Transport)
}

// refNameRE is the grammar of org.opencontainers.image.ref.name (OCI image
// spec, annotations), which skopeo enforces too.
var refNameRE = regexp.MustCompile(`^[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*(?:/[A-Za-z0-9]+(?:(?:[-._:@+]|--)[A-Za-z0-9]+)*)*$`)

func validRefName(s string) bool { return refNameRE.MatchString(s) }

// archiveRepoTag turns the TAG of docker-archive:FILE:TAG into a RepoTags
// entry: a docker reference with a tag, ":latest" if it has none.
func archiveRepoTag(s string) (string, error) {
	t, err := name.NewTag(s)
	if err != nil {
		return "", fmt.Errorf("docker-archive tag %q: %w", s, err)
	}
	out := t.String()
	if t.Identifier() == name.DefaultTag && !strings.HasSuffix(out, ":"+name.DefaultTag) {
		out += ":" + name.DefaultTag
	}
	return out, nil
}

func writeRemote(ctx context.Context, img v1.Image, ref Reference, opts Options) error {
	r, remoteOpts, err := remoteRef(ctx, ref.Name, opts)
	if err != nil {
		return err
	}
	if want, ok := r.(name.Digest); ok {
		got, err := img.Digest()
		if err != nil {
			return fmt.Errorf("manifest digest: %w", err)
		}
		if got.String() != want.DigestStr() {
			return fmt.Errorf("the image's digest is %s, not the %s the reference names", got, want.DigestStr())
		}
	}
	if opts.Progress != nil {
		updates, done, err := pushProgress(img, ref, opts.Progress)
		if err != nil {
			return err
		}
		defer done()
		remoteOpts = append(remoteOpts, remote.WithProgress(updates))
	}
	return explainAuth(remote.Write(r, img, remoteOpts...), opts.Keychain, r.Context())
}

// pushProgress returns a channel for go-containerregistry's push updates
// that one meter of p hears, the image's manifest and blobs its total (as
// go-containerregistry counts them); call done once
// the push has returned.
func pushProgress(img v1.Image, ref Reference, p Progress) (updates chan<- v1.Update, done func(), err error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, nil, fmt.Errorf("manifest: %w", err)
	}
	total, err := img.Size() // the manifest's
	if err != nil {
		return nil, nil, fmt.Errorf("manifest: %w", err)
	}
	total += m.Config.Size
	seen := map[v1.Hash]bool{}
	for _, l := range m.Layers {
		if !seen[l.Digest] {
			seen[l.Digest] = true
			total += l.Size
		}
	}
	meter := p.Start("writing "+ref.String(), total)
	ch := make(chan v1.Update, 64)
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		defer meter.Done()
		// A retried upload starts its count again: only new highs are
		// progress.
		var high int64
		for u := range ch {
			if u.Complete > high {
				meter.Add(u.Complete - high)
				high = u.Complete
			}
		}
	}()
	// remote.Write closes the channel when it returns.
	return ch, func() { <-finished }, nil
}

// imageContent is what writing an image stores: its manifest and config,
// read and checked, and its layer blobs, still unread.
type imageContent struct {
	manifest     []byte
	manifestDesc v1.Descriptor // MediaType, Size, Digest of manifest
	config       []byte
	configDesc   v1.Descriptor
	layers       []v1.Descriptor // in manifest order, repeats included
	img          v1.Image
	// dest names where the image goes, progress hears its layers'
	// bytes as they are read to be stored (nil: nothing).
	dest     Reference
	progress Progress
}

func readImageContent(img v1.Image, dest Reference, progress Progress) (*imageContent, error) {
	raw, err := img.RawManifest()
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	mt, err := img.MediaType()
	if err != nil {
		return nil, fmt.Errorf("manifest media type: %w", err)
	}
	if mt != types.OCIManifestSchema1 && mt != types.DockerManifestSchema2 {
		return nil, fmt.Errorf("manifest media type %q is not an OCI or Docker v2 image manifest", mt)
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parsing manifest: %w", err)
	}
	sum := sha256.Sum256(raw)
	c := &imageContent{
		manifest: raw,
		manifestDesc: v1.Descriptor{
			MediaType: mt,
			Size:      int64(len(raw)),
			Digest:    v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])},
		},
		configDesc: m.Config,
		layers:     m.Layers,
		img:        img,
		dest:       dest,
		progress:   progress,
	}
	if d, err := img.Digest(); err != nil {
		return nil, fmt.Errorf("manifest digest: %w", err)
	} else if d != c.manifestDesc.Digest {
		return nil, fmt.Errorf("manifest digest %s does not match its content, which hashes to %s", d, c.manifestDesc.Digest)
	}
	if c.config, err = img.RawConfigFile(); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	if err := checkBytes(c.config, m.Config); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	for i, l := range m.Layers {
		if !validHash(l.Digest) {
			return nil, fmt.Errorf("layer %d: invalid digest %q", i+1, l.Digest)
		}
		if l.Size < 0 {
			return nil, fmt.Errorf("layer %d (%s): negative size %d", i+1, l.Digest, l.Size)
		}
	}
	return c, nil
}

// blob is one blob to store: what it must be and how to read it.
type blob struct {
	desc v1.Descriptor
	open func() (io.ReadCloser, error)
}

// blobs lists the distinct blobs of the image: layers, config, manifest.
func (c *imageContent) blobs() []blob {
	seen := map[v1.Hash]bool{}
	var out []blob
	add := func(b blob) {
		if !seen[b.desc.Digest] {
			seen[b.desc.Digest] = true
			out = append(out, b)
		}
	}
	for i, l := range c.layers {
		add(blob{desc: l, open: c.layerOpener(i)})
	}
	add(blob{desc: c.configDesc, open: bytesOpener(c.config)})
	add(blob{desc: c.manifestDesc, open: bytesOpener(c.manifest)})
	return out
}

// layerOpener opens layer i's blob, its reads counted by a meter of
// c.progress until it is closed.
func (c *imageContent) layerOpener(i int) func() (io.ReadCloser, error) {
	desc := c.layers[i]
	return func() (io.ReadCloser, error) {
		l, err := c.img.LayerByDigest(desc.Digest)
		if err != nil {
			return nil, err
		}
		rc, err := l.Compressed()
		if err != nil || c.progress == nil {
			return rc, err
		}
		m := c.progress.Start(fmt.Sprintf("writing %s layer %d/%d", c.dest, i+1, len(c.layers)), desc.Size)
		return meteredCloser{Reader: MeterReader(rc, m), rc: rc, m: m}, nil
	}
}

// meteredCloser is a blob whose meter is done when it is closed.
type meteredCloser struct {
	io.Reader
	rc io.ReadCloser
	m  Meter
}

func (r meteredCloser) Close() error {
	err := r.rc.Close()
	r.m.Done()
	return err
}

func bytesOpener(data []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
}

// blobPath is where a layout or archive stores a blob: blobs/ALG/HEX.
func blobPath(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }

func newHash(alg string) (hash.Hash, error) {
	switch alg {
	case "sha256":
		return sha256.New(), nil
	case "sha512":
		return sha512.New(), nil
	}
	return nil, fmt.Errorf("unsupported digest algorithm %q", alg)
}

// checkBytes checks that data is the blob desc describes.
func checkBytes(data []byte, desc v1.Descriptor) error {
	_, err := copyBlob(context.Background(), io.Discard, bytes.NewReader(data), desc)
	return err
}

// copyBlob copies the blob desc describes from r to w, and fails unless r
// holds exactly desc.Size bytes that hash to desc.Digest. A descriptor
// without a digest checks the size only.
func copyBlob(ctx context.Context, w io.Writer, r io.Reader, desc v1.Descriptor) (int64, error) {
	var h hash.Hash
	if desc.Digest != (v1.Hash{}) {
		if !validHash(desc.Digest) {
			return 0, fmt.Errorf("invalid digest %q", desc.Digest)
		}
		var err error
		if h, err = newHash(desc.Digest.Algorithm); err != nil {
			return 0, err
		}
		w = io.MultiWriter(w, h)
	}
	r = ctxReader{ctx, r}
	n, err := io.CopyN(w, r, desc.Size)
	if errors.Is(err, io.EOF) {
		return n, fmt.Errorf("blob %s: %d bytes, shorter than the %d its descriptor gives", desc.Digest, n, desc.Size)
	}
	if err != nil {
		return n, fmt.Errorf("blob %s: %w", desc.Digest, err)
	}
	var extra [1]byte
	switch m, err := io.ReadFull(r, extra[:]); {
	case m > 0:
		return n, fmt.Errorf("blob %s: longer than the %d bytes its descriptor gives", desc.Digest, desc.Size)
	case err != io.EOF:
		return n, fmt.Errorf("blob %s: %w", desc.Digest, err)
	}
	if h != nil {
		if got := hex.EncodeToString(h.Sum(nil)); got != desc.Digest.Hex {
			return n, fmt.Errorf("blob %s: digest mismatch, content hashes to %s:%s", desc.Digest, desc.Digest.Algorithm, got)
		}
	}
	return n, nil
}

// tempPrefix starts the names of the temporary files writes leave behind
// only when killed.
const tempPrefix = ".oslayer-tmp-"

// createTemp creates a temporary file in dir for the file called base.
func createTemp(dir, base string) (*os.File, error) {
	f, err := os.CreateTemp(dir, tempPrefix+base+"-*")
	if err == nil {
		temporaries.Store(f.Name(), true)
	}
	return f, err
}

// temporaries are the temporary files and directories this process made
// and may not have removed yet.
var temporaries sync.Map

// RemoveTemporaries removes the temporary files and directories this
// process made that are still there: for a process about to end before
// its deferred clean-ups run (an interrupt that work did not heed).
func RemoveTemporaries() {
	temporaries.Range(func(p, _ any) bool {
		os.RemoveAll(p.(string))
		temporaries.Delete(p)
		return true
	})
}

// commitTemp makes the temporary file f, fully written, durable and
// renames it to path; f is closed either way.
func commitTemp(f *os.File, path string) error {
	err := f.Chmod(0o644)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err == nil {
		temporaries.Delete(f.Name())
	}
	return err
}

// discardTemp removes a temporary file that will not be committed.
func discardTemp(f *os.File) {
	f.Close()
	os.Remove(f.Name())
	temporaries.Delete(f.Name())
}

// writeFileAtomic replaces path by a file holding data: readers see the old
// file or the new one, and after a crash there is one of them.
func writeFileAtomic(path string, data []byte) error {
	f, err := createTemp(filepath.Dir(path), filepath.Base(path))
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		discardTemp(f)
		return err
	}
	if err := commitTemp(f, path); err != nil {
		os.Remove(f.Name())
		return err
	}
	return syncDir(filepath.Dir(path))
}

// syncDir makes renames and new files in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", dir, err)
	}
	return nil
}
