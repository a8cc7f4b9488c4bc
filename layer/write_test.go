package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/oslayer/oslayer/fixtures"
)

func mustWrite(t *testing.T, img v1.Image, ref string) {
	t.Helper()
	if err := Write(context.Background(), img, ref, Options{}); err != nil {
		t.Fatal(err)
	}
}

// openTree opens ref and merges its layers; the image is closed when the
// test ends.
func openTree(t *testing.T, ref string) (*Image, []string) {
	t.Helper()
	return openTreeUntil(t, t, ref)
}

// openTreeUntil is openTree closing the image when owner ends.
func openTreeUntil(t, owner *testing.T, ref string) (*Image, []string) {
	t.Helper()
	ctx := context.Background()
	img, err := Open(ctx, ref, Options{Insecure: true}) // the test registries speak plain HTTP
	if err != nil {
		t.Fatal(err)
	}
	owner.Cleanup(func() { img.Close() })
	tree, err := newLoader(t, nil).Tree(ctx, img, len(img.Layers), ContentKept)
	if err != nil {
		t.Fatal(err)
	}
	return img, dump(tree)
}

func digestOf(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	h, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func layerDigests(t *testing.T, img v1.Image) []v1.Hash {
	t.Helper()
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	var out []v1.Hash
	for _, l := range m.Layers {
		out = append(out, l.Digest)
	}
	return out
}

// TestWriteRoundTrip writes the fixture image to every transport in turn,
// each time writing what the previous step reads back, and checks that every
// step keeps config, layers and tree, and all but docker-archive the
// manifest digest.
func TestWriteRoundTrip(t *testing.T) {
	derived := fixtures.DerivedImage(t, nil, nil)
	dir := t.TempDir()
	host := startRegistry(t, nil)
	want := wantTree(t, fixtures.BaseFiles(), fixtures.DerivedFiles())
	wantConfig, _ := derived.RawConfigFile()
	wantLayers := layerDigests(t, derived)

	steps := []struct {
		name, ref string
		// synthesized: the transport stores no manifest, so the digest is
		// the reader's own.
		synthesized bool
	}{
		{name: "oci", ref: "oci:" + filepath.Join(dir, "layout") + ":os"},
		{name: "oci-archive", ref: "oci-archive:" + filepath.Join(dir, "oci.tar") + ":os"},
		{name: "docker-archive", ref: "docker-archive:" + filepath.Join(dir, "docker.tar") + ":localhost/os:1", synthesized: true},
		{name: "docker", ref: "docker://" + host + "/os/derived:1"},
		{name: "bare registry reference", ref: host + "/os/again:1"},
		{name: "oci default name", ref: "oci:" + filepath.Join(dir, "layout2")},
		{name: "docker-archive untagged", ref: "docker-archive:" + filepath.Join(dir, "untagged.tar"), synthesized: true},
	}
	src := derived
	parent := t
	for _, step := range steps {
		t.Run(step.name, func(t *testing.T) {
			srcDigest := digestOf(t, src)
			if err := Write(context.Background(), src, step.ref, Options{Insecure: true}); err != nil {
				t.Fatal(err)
			}
			// src is read by the next step: close it with the parent test.
			img, tree := openTreeUntil(t, parent, step.ref)
			if !step.synthesized && img.Digest != srcDigest {
				t.Errorf("digest %s, want %s", img.Digest, srcDigest)
			}
			if got, _ := img.V1().RawConfigFile(); !bytes.Equal(got, wantConfig) {
				t.Errorf("config changed:\n%s\nwant\n%s", got, wantConfig)
			}
			wantDiffIDs, _ := derived.ConfigFile()
			if !slices.Equal(img.Config.RootFS.DiffIDs, wantDiffIDs.RootFS.DiffIDs) {
				t.Errorf("diff_ids %v, want %v", img.Config.RootFS.DiffIDs, wantDiffIDs.RootFS.DiffIDs)
			}
			if got := layerDigests(t, img.V1()); !slices.Equal(got, wantLayers) {
				t.Errorf("layer digests %v, want %v", got, wantLayers)
			}
			sameLines(t, want, tree)
			src = img.V1()
		})
	}
}

func readIndex(t *testing.T, dir string) v1.IndexManifest {
	t.Helper()
	var idx v1.IndexManifest
	data, err := os.ReadFile(filepath.Join(dir, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		t.Fatal(err)
	}
	return idx
}

func refNames(idx v1.IndexManifest) []string {
	var out []string
	for _, m := range idx.Manifests {
		out = append(out, m.Annotations[RefNameAnnotation])
	}
	return out
}

func TestWriteOCILayoutReplacesRef(t *testing.T) {
	base := fixtures.BaseImage(t)
	derived := fixtures.DerivedImage(t, nil, nil)
	dir := filepath.Join(t.TempDir(), "layout")
	// A layout another tool wrote, with an image to keep.
	fixtures.WriteOCILayout(t, dir, fixtures.Named{Name: "keep", Image: derived})

	mustWrite(t, base, "oci:"+dir+":os")
	mustWrite(t, derived, "oci:"+dir+":os")
	if got, want := refNames(readIndex(t, dir)), []string{"keep", "os"}; !slices.Equal(got, want) {
		t.Fatalf("after writing os twice the layout names %v, want %v", got, want)
	}
	mustWrite(t, base, "oci:"+dir+":other")
	mustWrite(t, base, "oci:"+dir+":os")
	if got, want := refNames(readIndex(t, dir)), []string{"keep", "os", "other"}; !slices.Equal(got, want) {
		t.Fatalf("the layout names %v, want %v (os replaced in place)", got, want)
	}
	for refName, img := range map[string]v1.Image{"keep": derived, "os": base, "other": base} {
		opened, err := Open(context.Background(), "oci:"+dir+":"+refName, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if want := digestOf(t, img); opened.Digest != want {
			t.Errorf("%s: digest %s, want %s", refName, opened.Digest, want)
		}
	}

	// Writing the same image again changes nothing.
	before, _ := os.ReadFile(filepath.Join(dir, "index.json"))
	mustWrite(t, base, "oci:"+dir+":os")
	if after, _ := os.ReadFile(filepath.Join(dir, "index.json")); !bytes.Equal(before, after) {
		t.Errorf("rewriting the same image changed index.json:\n%s\n%s", before, after)
	}
}

func TestWriteOCILayoutNew(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a", "b")
	base := fixtures.BaseImage(t)
	mustWrite(t, base, "oci:"+dir)
	if got, want := refNames(readIndex(t, dir)), []string{DefaultRefName}; !slices.Equal(got, want) {
		t.Errorf("names %v, want %v", got, want)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "oci-layout")); string(data) != `{"imageLayoutVersion": "1.0.0"}` {
		t.Errorf("oci-layout = %q", data)
	}
	img, tree := openTree(t, "oci:"+dir+":latest")
	if img.Digest != digestOf(t, base) {
		t.Errorf("digest %s, want %s", img.Digest, digestOf(t, base))
	}
	sameLines(t, wantTree(t, fixtures.BaseFiles()), tree)
	// Every blob, and nothing else, is in blobs/sha256 with mode 0644.
	want := append(layerDigests(t, base), digestOf(t, base))
	m, _ := base.Manifest()
	want = append(want, m.Config.Digest)
	var wantNames []string
	for _, h := range want {
		wantNames = append(wantNames, h.Hex)
	}
	slices.Sort(wantNames)
	entries, err := os.ReadDir(filepath.Join(dir, "blobs", "sha256"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		if fi, _ := e.Info(); fi.Mode().Perm() != 0o644 {
			t.Errorf("blob %s has mode %v, want 0644", e.Name(), fi.Mode())
		}
	}
	if !slices.Equal(names, wantNames) {
		t.Errorf("blobs %v, want %v", names, wantNames)
	}
}

// brokenImage is an image whose layers the break function replaces.
type brokenImage struct {
	v1.Image
	brk func(h v1.Hash, l v1.Layer) v1.Layer
}

func (i brokenImage) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	l, err := i.Image.LayerByDigest(h)
	if err != nil {
		return nil, err
	}
	return i.brk(h, l), nil
}

var errInjected = errors.New("injected failure")

// failingLayer's blob breaks off with errInjected half way.
type failingLayer struct{ v1.Layer }

func (l failingLayer) Compressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	size, _ := l.Size()
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(io.LimitReader(rc, size/2), iotestErrReader{errInjected}), rc}, nil
}

type iotestErrReader struct{ err error }

func (r iotestErrReader) Read([]byte) (int, error) { return 0, r.err }

// corruptLayer's blob has one byte flipped.
type corruptLayer struct{ v1.Layer }

func (l corruptLayer) Compressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, err
	}
	data[len(data)/2] ^= 0xff
	return io.NopCloser(bytes.NewReader(data)), nil
}

// lastLayer breaks the last layer of img with brk.
func lastLayer(t *testing.T, img v1.Image, brk func(v1.Layer) v1.Layer) (v1.Image, v1.Hash) {
	layers := layerDigests(t, img)
	last := layers[len(layers)-1]
	return brokenImage{Image: img, brk: func(h v1.Hash, l v1.Layer) v1.Layer {
		if h == last {
			return brk(l)
		}
		return l
	}}, last
}

// tempFiles lists the temporary files writes left under dir.
func tempFiles(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(filepath.Base(p), tempPrefix) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// snapshot reads every file under root.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		out[strings.TrimPrefix(p, root)] = string(data)
		return err
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

// TestWriteLeavesDestinationOnFailure interrupts writes over an image and
// to a new destination and checks the old image is intact and nothing
// half-written is left.
func TestWriteLeavesDestinationOnFailure(t *testing.T) {
	base := fixtures.BaseImage(t)
	derived := fixtures.DerivedImage(t, nil, nil)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	failures := []struct {
		name string
		ctx  context.Context
		brk  func(v1.Layer) v1.Layer
		want string
	}{
		{"broken stream", context.Background(), func(l v1.Layer) v1.Layer { return failingLayer{l} }, errInjected.Error()},
		{"digest mismatch", context.Background(), func(l v1.Layer) v1.Layer { return corruptLayer{l} }, "digest mismatch"},
		{"cancelled", cancelled, func(l v1.Layer) v1.Layer { return l }, context.Canceled.Error()},
	}
	transports := []struct {
		name string
		ref  func(dir string) string
	}{
		{"oci", func(dir string) string { return "oci:" + filepath.Join(dir, "layout") + ":os" }},
		{"oci-archive", func(dir string) string { return "oci-archive:" + filepath.Join(dir, "oci.tar") + ":os" }},
		{"docker-archive", func(dir string) string {
			return "docker-archive:" + filepath.Join(dir, "docker.tar") + ":localhost/os:1"
		}},
	}
	wantBase := wantTree(t, fixtures.BaseFiles())
	for _, f := range failures {
		for _, tr := range transports {
			t.Run(f.name+"/"+tr.name, func(t *testing.T) {
				broken, _ := lastLayer(t, derived, f.brk)
				dir := t.TempDir()
				ref := tr.ref(dir)

				// A new destination stays empty.
				err := Write(f.ctx, broken, ref, Options{})
				if err == nil || !strings.Contains(err.Error(), f.want) || !strings.HasPrefix(err.Error(), "writing "+ref+": ") {
					t.Fatalf("error %v, want one starting %q and containing %q", err, "writing "+ref+": ", f.want)
				}
				if got := snapshot(t, dir); len(got) != 0 {
					t.Errorf("a failed write to a new destination left %v", slices.Sorted(maps.Keys(got)))
				}
				if _, err := os.Stat(filepath.Join(dir, "layout")); tr.name == "oci" && err == nil {
					t.Error("a failed write to a new layout left its directory")
				}

				// An existing image stays.
				mustWrite(t, base, ref)
				before := snapshot(t, dir)
				err = Write(f.ctx, broken, ref, Options{})
				if err == nil || !strings.Contains(err.Error(), f.want) {
					t.Fatalf("error %v, want one containing %q", err, f.want)
				}
				// Nothing of the failed write stays: not even the blobs it
				// stored before it failed.
				if after := snapshot(t, dir); !maps.Equal(before, after) {
					t.Errorf("files changed: %v -> %v", slices.Sorted(maps.Keys(before)), slices.Sorted(maps.Keys(after)))
				}
				if tmp := tempFiles(t, dir); len(tmp) != 0 {
					t.Errorf("temporary files left: %v", tmp)
				}
				img, tree := openTree(t, ref)
				if tr.name != "docker-archive" && img.Digest != digestOf(t, base) {
					t.Errorf("digest %s, want the old image's %s", img.Digest, digestOf(t, base))
				}
				sameLines(t, wantBase, tree)
			})
		}
	}
}

func TestWriteSkipsStoredBlobs(t *testing.T) {
	derived := fixtures.DerivedImage(t, nil, nil)
	dir := t.TempDir()
	mustWrite(t, derived, "oci:"+dir+":a")
	// Every layer of this image fails to read, but the layout has them all.
	unreadable := brokenImage{Image: derived, brk: func(_ v1.Hash, l v1.Layer) v1.Layer { return failingLayer{l} }}
	mustWrite(t, unreadable, "oci:"+dir+":b")
	if got := refNames(readIndex(t, dir)); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("names %v", got)
	}

	// A blob of the wrong size (another tool's interrupted write) is
	// written again.
	last := layerDigests(t, derived)[3]
	p := filepath.Join(dir, filepath.FromSlash(blobPath(last)))
	data, _ := os.ReadFile(p)
	if err := os.WriteFile(p, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, derived, "oci:"+dir+":c")
	if got, _ := os.ReadFile(p); !bytes.Equal(got, data) {
		t.Error("the truncated blob was not written again")
	}
	_, tree := openTree(t, "oci:"+dir+":c")
	sameLines(t, wantTree(t, fixtures.BaseFiles(), fixtures.DerivedFiles()), tree)
}

func TestWriteIsReproducible(t *testing.T) {
	derived := fixtures.DerivedImage(t, nil, nil)
	for _, transport := range []string{"oci-archive", "docker-archive"} {
		t.Run(transport, func(t *testing.T) {
			a := filepath.Join(t.TempDir(), "a.tar")
			b := filepath.Join(t.TempDir(), "b.tar")
			mustWrite(t, derived, transport+":"+a)
			// Again, over an existing file, from the image read back.
			mustWrite(t, derived, transport+":"+b)
			opened, err := Open(context.Background(), transport+":"+a, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer opened.Close()
			mustWrite(t, opened.V1(), transport+":"+b)
			da, _ := os.ReadFile(a)
			db, _ := os.ReadFile(b)
			if !bytes.Equal(da, db) {
				t.Fatalf("two writes of one image differ (%d and %d bytes)", len(da), len(db))
			}
			hdrs := tarHeaders(t, a)
			var names []string
			for _, h := range hdrs {
				names = append(names, h.Name)
				if h.ModTime.Unix() != 0 || h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
					t.Errorf("%s: mtime %v, owner %d:%d (%q:%q); want the epoch and 0:0", h.Name, h.ModTime, h.Uid, h.Gid, h.Uname, h.Gname)
				}
			}
			if !slices.IsSorted(names) {
				t.Errorf("entries not sorted: %v", names)
			}
			want := []string{"blobs/", "blobs/sha256/"}
			var blobNames []string
			m, _ := derived.Manifest()
			for _, h := range append(layerDigests(t, derived), m.Config.Digest) {
				blobNames = append(blobNames, blobPath(h))
			}
			if transport == "oci-archive" {
				blobNames = append(blobNames, blobPath(digestOf(t, derived)))
			}
			slices.Sort(blobNames)
			want = append(want, blobNames...)
			if transport == "oci-archive" {
				want = append(want, "index.json", "oci-layout")
			} else {
				want = append(want, "manifest.json")
			}
			if !slices.Equal(names, want) {
				t.Errorf("entries\n%s\nwant\n%s", strings.Join(names, "\n"), strings.Join(want, "\n"))
			}
		})
	}
	t.Run("oci", func(t *testing.T) {
		a, b := t.TempDir(), t.TempDir()
		mustWrite(t, derived, "oci:"+a+":os")
		mustWrite(t, derived, "oci:"+b+":os")
		if sa, sb := snapshot(t, a), snapshot(t, b); !maps.Equal(sa, sb) {
			t.Errorf("two layouts of one image differ: %v, %v", slices.Sorted(maps.Keys(sa)), slices.Sorted(maps.Keys(sb)))
		}
	})
}

func tarHeaders(t *testing.T, file string) []*tar.Header {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []*tar.Header
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, h)
	}
}

func TestWriteDockerArchiveTags(t *testing.T) {
	base := fixtures.BaseImage(t)
	dir := t.TempDir()
	tests := []struct {
		tag  string
		want []string
	}{
		{"", nil},
		{"localhost/os:1", []string{"localhost/os:1"}},
		{"localhost/os", []string{"localhost/os:latest"}},
		{"quay.io/org/os:41", []string{"quay.io/org/os:41"}},
	}
	for _, tc := range tests {
		file := filepath.Join(dir, "a.tar")
		ref := "docker-archive:" + file
		if tc.tag != "" {
			ref += ":" + tc.tag
		}
		mustWrite(t, base, ref)
		fsys, err := openTarFS(file)
		if err != nil {
			t.Fatal(err)
		}
		var entries []dockerArchiveEntry
		err = readJSON(fsys, "manifest.json", &entries)
		fsys.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || !slices.Equal(entries[0].RepoTags, tc.want) {
			t.Errorf("%s: manifest.json %+v, want RepoTags %v", ref, entries, tc.want)
		}
		img, err := Open(context.Background(), ref, Options{})
		if err != nil {
			t.Fatal(err)
		}
		img.Close()
	}
}

func TestWriteRefusals(t *testing.T) {
	base := fixtures.BaseImage(t)
	notLayout := t.TempDir()
	os.WriteFile(filepath.Join(notLayout, "oci-layout"), []byte("hello"), 0o644)
	brokenIndex := t.TempDir()
	mustWrite(t, base, "oci:"+brokenIndex+":os")
	os.WriteFile(filepath.Join(brokenIndex, "index.json"), []byte("{"), 0o644)
	host := startRegistry(t, nil)
	tests := []struct {
		ref, want string
	}{
		{"oci:" + notLayout + ":os", "is not an OCI image layout"},
		{"oci:" + brokenIndex + ":os", "parsing index.json"},
		{"oci:" + t.TempDir() + ":-bad", `"-bad" is not a valid image name`},
		{"oci-archive:" + filepath.Join(t.TempDir(), "x.tar") + ":a b", `"a b" is not a valid image name`},
		{"docker-archive:" + filepath.Join(t.TempDir(), "x.tar") + ":@0", `docker-archive tag "@0"`},
		{"docker://" + host + "/os@sha256:" + strings.Repeat("0", 64), "not the sha256:0000"},
		{"containers-storage:[vfs@relative]os", `"relative" is not an absolute path`},
		{"containers-storage:[vfs@" + t.TempDir() + "]not//a/name", "parsing named reference"},
	}
	for _, tc := range tests {
		err := Write(context.Background(), base, tc.ref, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Write(%q) error = %v, want one containing %q", tc.ref, err, tc.want)
		}
	}
	if _, err := os.Stat(filepath.Join(notLayout, "blobs")); err == nil {
		t.Error("blobs were written to a directory that is not a layout")
	}
}

// TestWriteConcurrently writes images under different names to one layout
// at once: every one must stay.
func TestWriteConcurrently(t *testing.T) {
	images := []v1.Image{fixtures.BaseImage(t), fixtures.DerivedImage(t, nil, nil)}
	dir := t.TempDir()
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Go(func() {
			errs[i] = Write(context.Background(), images[i%2], fmt.Sprintf("oci:%s:img%d", dir, i), Options{})
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	names := refNames(readIndex(t, dir))
	slices.Sort(names)
	if want := []string{"img0", "img1", "img2", "img3", "img4", "img5", "img6", "img7"}; !slices.Equal(names, want) {
		t.Errorf("names %v, want %v", names, want)
	}
}

func skopeo(t *testing.T, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("skopeo", append([]string{"--insecure-policy"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("skopeo %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

func skopeoInspect(t *testing.T, args ...string) (digest string, layers int) {
	t.Helper()
	var info struct {
		Digest string
		Layers []string
	}
	out := skopeo(t, append([]string{"inspect"}, args...)...)
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatalf("skopeo inspect %v: %v\n%s", args, err, out)
	}
	return info.Digest, len(info.Layers)
}

// TestWriteSkopeoInterop checks that skopeo reads what Write writes, and
// that what skopeo writes from it reads back the same.
func TestWriteSkopeoInterop(t *testing.T) {
	fixtures.RequireTools(t, "skopeo")
	host := fixtures.StartRegistry(t)
	derived := fixtures.DerivedImage(t, nil, nil)
	wantDigest := digestOf(t, derived).String()
	want := wantTree(t, fixtures.BaseFiles(), fixtures.DerivedFiles())
	dir := t.TempDir()
	layout := filepath.Join(dir, "layout")
	ociArchive := filepath.Join(dir, "oci.tar")
	dockerArchive := filepath.Join(dir, "docker.tar")
	untagged := filepath.Join(dir, "untagged.tar")
	mustWrite(t, derived, "oci:"+layout+":os")
	mustWrite(t, derived, "oci-archive:"+ociArchive)
	mustWrite(t, derived, "docker-archive:"+dockerArchive+":localhost/os:1")
	mustWrite(t, derived, "docker-archive:"+untagged)
	if err := Write(context.Background(), derived, "docker://"+host+"/os/written:1", Options{Insecure: true}); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		ref        string
		keepDigest bool
	}{
		{"oci:" + layout + ":os", true},
		{"oci-archive:" + ociArchive, true},
		{"oci-archive:" + ociArchive + ":latest", true},
		{"docker-archive:" + dockerArchive, false},
		{"docker-archive:" + dockerArchive + ":localhost/os:1", false},
		{"docker-archive:" + untagged, false},
		{"docker://" + host + "/os/written:1", true},
	} {
		digest, layers := skopeoInspect(t, "--tls-verify=false", tc.ref)
		if tc.keepDigest && digest != wantDigest {
			t.Errorf("skopeo inspect %s: digest %s, want %s", tc.ref, digest, wantDigest)
		}
		if layers != 4 {
			t.Errorf("skopeo inspect %s: %d layers, want 4", tc.ref, layers)
		}
	}

	// skopeo copies each of them to the registry; they read back the same.
	for i, src := range []string{"oci:" + layout + ":os", "oci-archive:" + ociArchive, "docker-archive:" + dockerArchive} {
		dst := fmt.Sprintf("docker://%s/os/copied%d:1", host, i)
		skopeo(t, "copy", "--quiet", "--preserve-digests", "--dest-tls-verify=false", src, dst)
		img, tree := openTree(t, dst)
		if !strings.HasPrefix(src, "docker-archive:") && img.Digest.String() != wantDigest {
			t.Errorf("%s copied by skopeo: digest %s, want %s", src, img.Digest, wantDigest)
		}
		sameLines(t, want, tree)
	}

	// Write adds to a layout skopeo made, and skopeo still reads both.
	skopeoLayout := filepath.Join(dir, "skopeo-layout")
	skopeo(t, "copy", "--quiet", "oci:"+layout+":os", "oci:"+skopeoLayout+":from-skopeo")
	mustWrite(t, fixtures.BaseImage(t), "oci:"+skopeoLayout+":from-oslayer")
	skopeoInspect(t, "oci:"+skopeoLayout+":from-skopeo")
	if digest, _ := skopeoInspect(t, "oci:"+skopeoLayout+":from-oslayer"); digest != digestOf(t, fixtures.BaseImage(t)).String() {
		t.Errorf("skopeo reads %s for the image Write added", digest)
	}
	_, tree := openTree(t, "oci:"+skopeoLayout+":from-skopeo")
	sameLines(t, want, tree)
}

func ExampleWrite() {
	img, err := random.Image(1024, 2)
	if err != nil {
		panic(err)
	}
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	if err := Write(ctx, img, "oci:"+dir+":v1", Options{}); err != nil {
		panic(err)
	}
	opened, err := Open(ctx, "oci:"+dir+":v1", Options{})
	if err != nil {
		panic(err)
	}
	want, _ := img.Digest()
	fmt.Println(len(opened.Layers), "layers, same digest:", opened.Digest == want)
	// Output: 2 layers, same digest: true
}

// patternLayer is a large uncompressed layer made up on the fly: its blob
// is never held in memory.
type patternLayer struct {
	size   int64
	digest v1.Hash
}

func newPatternLayer(t *testing.T, size int64) *patternLayer {
	t.Helper()
	h := sha256.New()
	if _, err := io.Copy(h, &patternReader{n: size}); err != nil {
		t.Fatal(err)
	}
	return &patternLayer{size: size, digest: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}}
}

func (l *patternLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *patternLayer) DiffID() (v1.Hash, error)            { return l.digest, nil }
func (l *patternLayer) Size() (int64, error)                { return l.size, nil }
func (l *patternLayer) MediaType() (types.MediaType, error) { return types.OCIUncompressedLayer, nil }
func (l *patternLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(&patternReader{n: l.size}), nil
}
func (l *patternLayer) Uncompressed() (io.ReadCloser, error) { return l.Compressed() }

// patternReader reads n bytes of a fixed pattern.
type patternReader struct{ off, n int64 }

func (r *patternReader) Read(p []byte) (int, error) {
	if r.off >= r.n {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.n-r.off)]
	for i := range p {
		x := uint64(r.off + int64(i))
		p[i] = byte(x*2654435761>>13) ^ byte(x>>8)
	}
	r.off += int64(len(p))
	return len(p), nil
}

func TestWriteStreamsLayers(t *testing.T) {
	const size = 64 << 20
	l := newPatternLayer(t, size)
	img, err := mutate.AppendLayers(empty.Image, l)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, ref := range []string{
		"oci:" + filepath.Join(dir, "layout"),
		"oci-archive:" + filepath.Join(dir, "oci.tar"),
		"docker-archive:" + filepath.Join(dir, "docker.tar"),
	} {
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		mustWrite(t, img, ref)
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > size/8 {
			t.Errorf("%s: writing a %d MiB layer allocated %d MiB", ref, size>>20, alloc>>20)
		}
		opened, err := Open(context.Background(), ref, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if opened.Layers[0].Digest != l.digest || opened.Layers[0].Size != size {
			t.Errorf("%s: layer %s of %d bytes, want %s of %d", ref, opened.Layers[0].Digest, opened.Layers[0].Size, l.digest, size)
		}
		opened.Close()
	}
}

// TestWriteTarPutsContentFirst: whichever entry the others link to, the
// first name written holds the content and the later ones link to it,
// through chains of links; a link to a path of a lower layer stays.
func TestWriteTarPutsContentFirst(t *testing.T) {
	content := func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("data")), nil }
	file := Metadata{Type: TypeRegular, Mode: 0o644, Size: 4}
	entries := []TarEntry{
		{Path: "c", Metadata: file, Hardlink: "a"},
		{Path: "a", Metadata: file, Hardlink: "b"},
		{Path: "b", Metadata: file, Content: content},
		{Path: "x", Metadata: file, Hardlink: "lower/file"},
	}
	var buf bytes.Buffer
	if err := WriteTar(context.Background(), &buf, entries); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(buf.Bytes()))
	var got []string
	for {
		hdr, err := tr.Next()
		if err != nil {
			break
		}
		got = append(got, hdr.Name+" "+string(hdr.Typeflag)+" "+hdr.Linkname)
	}
	want := []string{"c 0 ", "a 1 c", "b 1 c", "x 1 lower/file"}
	if !slices.Equal(got, want) {
		t.Errorf("entries %q, want %q", got, want)
	}
	if entries[0].Hardlink != "a" || entries[2].Content == nil {
		t.Error("WriteTar changed the caller's entries")
	}
}
