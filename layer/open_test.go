package layer

import (
	"bytes"
	"context"
	"encoding/gob"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/oslayer/oslayer/fixtures"
)

// wantTree merges the fixture file lists directly, as the reference every
// transport must reproduce.
func wantTree(t *testing.T, layers ...[][]fixtures.File) []string {
	t.Helper()
	var all [][]fixtures.File
	for _, l := range layers {
		all = append(all, l...)
	}
	tree, err := treeOf(t, all...)
	if err != nil {
		t.Fatal(err)
	}
	return dump(tree)
}

// testKey authenticates the tests' caches.
var testKey = []byte("the key of oslayer's test caches")

func newLoader(t *testing.T, cache *Cache) *Loader {
	t.Helper()
	l, err := NewLoader(cache)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func startRegistry(t *testing.T, h http.Handler) string {
	t.Helper()
	if h == nil {
		h = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return u.Host
}

func pushImage(t *testing.T, ref string, img v1.Image) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, remote.WithAuthFromKeychain(Keychain{})); err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
}

func TestOpenEveryTransport(t *testing.T) {
	ctx := context.Background()
	base := fixtures.BaseImage(t)
	derived := fixtures.DerivedImage(t, nil, nil)
	dir := t.TempDir()
	images := []fixtures.Named{{Name: "base", Image: base}, {Name: "derived", Image: derived}}
	fixtures.WriteOCILayout(t, filepath.Join(dir, "layout"), images...)
	fixtures.WriteOCIArchive(t, filepath.Join(dir, "oci.tar"), images...)
	fixtures.WriteDockerArchive(t, filepath.Join(dir, "docker.tar"),
		fixtures.Named{Name: "localhost/base:1", Image: base}, fixtures.Named{Name: "localhost/derived:1", Image: derived})
	host := startRegistry(t, nil)
	pushImage(t, host+"/os/derived:1", derived)

	refs := []string{
		"oci:" + filepath.Join(dir, "layout") + ":derived",
		"oci-archive:" + filepath.Join(dir, "oci.tar") + ":derived",
		"docker-archive:" + filepath.Join(dir, "docker.tar") + ":localhost/derived:1",
		"docker://" + host + "/os/derived:1",
		host + "/os/derived:1",
	}
	want := wantTree(t, fixtures.BaseFiles(), fixtures.DerivedFiles())
	wantDigest, _ := derived.Digest()
	for _, ref := range refs {
		t.Run(strings.SplitN(ref, ":", 2)[0], func(t *testing.T) {
			// The test registry speaks plain HTTP.
			img, err := Open(ctx, ref, Options{Insecure: true})
			if err != nil {
				t.Fatal(err)
			}
			defer img.Close()
			if len(img.Layers) != 4 {
				t.Fatalf("%d layers, want 4", len(img.Layers))
			}
			if !strings.HasPrefix(ref, "docker-archive:") && img.Digest != wantDigest {
				t.Errorf("digest %s, want %s", img.Digest, wantDigest)
			}
			if img.Labels()["containers.bootc"] != "1" {
				t.Errorf("labels = %v", img.Labels())
			}
			tree, err := newLoader(t, nil).Tree(ctx, img, len(img.Layers), ContentKept)
			if err != nil {
				t.Fatal(err)
			}
			sameLines(t, want, dump(tree))
		})
	}
}

func TestOpenSelectsImages(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fixtures.WriteOCILayout(t, dir,
		fixtures.Named{Name: "base", Image: fixtures.BaseImage(t)},
		fixtures.Named{Name: "derived", Image: fixtures.DerivedImage(t, nil, nil)})
	tests := []struct {
		ref, want string
	}{
		{"oci:" + dir, "holds 2 images (base, derived): name one as oci:DIR:REF"},
		{"oci:" + dir + ":nope", `no image named "nope" in the OCI layout (it has: base, derived)`},
		{"oci:" + t.TempDir() + ":x", "not an OCI image layout"},
		{"containers-storage:[vfs@relative/root]foo", `"relative/root" is not an absolute path`},
		{"containers-storage:foo", "no image foo in the store at "},
		{"oci-archive:/nonexistent.tar", "/nonexistent.tar: no such file"},
	}
	for _, tc := range tests {
		_, err := Open(ctx, tc.ref, Options{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Open(%q) error = %v, want one containing %q", tc.ref, err, tc.want)
		}
	}
}

// brokenLayout writes the fixture derived image to an OCI layout and lets
// breakBlob damage the blob of its last layer.
func brokenLayout(t *testing.T, img v1.Image, breakBlob func(path string)) string {
	t.Helper()
	dir := t.TempDir()
	fixtures.WriteOCILayout(t, dir, fixtures.Named{Name: "x", Image: img})
	layers, _ := img.Layers()
	d, _ := layers[len(layers)-1].Digest()
	if breakBlob != nil {
		breakBlob(filepath.Join(dir, "blobs", "sha256", d.Hex))
	}
	return "oci:" + dir + ":x"
}

func TestLoaderRejectsDamagedLayers(t *testing.T) {
	ctx := context.Background()
	derived := fixtures.DerivedImage(t, nil, nil)
	layers, _ := derived.Layers()
	lastDigest, _ := layers[len(layers)-1].Digest()

	badDiffID, _ := derived.ConfigFile()
	badDiffID = badDiffID.DeepCopy()
	badDiffID.RootFS.DiffIDs[3] = v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("0", 64)}
	wrongConfig, _ := mutate.ConfigFile(derived, badDiffID)

	notTar := fixtures.Image(t, nil, nil, fixtures.LayerFromTar(t, []byte(strings.Repeat("not a tar! ", 100)), "gzip"))
	notTarLayers, _ := notTar.Layers()
	notTarDigest, _ := notTarLayers[0].Digest()

	tests := []struct {
		name string
		ref  string
		want []string
	}{
		{"missing blob", brokenLayout(t, derived, func(p string) { os.Remove(p) }),
			[]string{"layer 4/4 " + lastDigest.String(), "no such file"}},
		{"truncated blob", brokenLayout(t, derived, func(p string) {
			data, _ := os.ReadFile(p)
			os.WriteFile(p, data[:len(data)/2], 0o644)
		}), []string{"layer 4/4 " + lastDigest.String(), "unexpected EOF"}},
		{"corrupt blob", brokenLayout(t, derived, func(p string) {
			data, _ := os.ReadFile(p)
			data[len(data)-5] ^= 0xff
			os.WriteFile(p, data, 0o644)
		}), []string{"layer 4/4 " + lastDigest.String(), "blob digest mismatch"}},
		{"appended garbage", brokenLayout(t, derived, func(p string) {
			f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
			f.WriteString("garbage")
			f.Close()
		}), []string{"layer 4/4 " + lastDigest.String(), "blob digest mismatch"}},
		{"diff_id mismatch", brokenLayout(t, wrongConfig, nil),
			[]string{"layer 4/4", "diff_id mismatch: expected sha256:0000"}},
		{"not a tar", brokenLayout(t, notTar, nil),
			[]string{"layer 1/1 " + notTarDigest.String(), "reading tar header"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			img, err := Open(ctx, tc.ref, Options{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = newLoader(t, nil).Tree(ctx, img, len(img.Layers), ContentKept)
			if err == nil {
				t.Fatal("damaged layer accepted")
			}
			for _, w := range append(tc.want, tc.ref) {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestLoaderCachesIndexesByDiffID(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	fixtures.WriteOCILayout(t, dir,
		fixtures.Named{Name: "base", Image: fixtures.BaseImage(t)},
		fixtures.Named{Name: "derived", Image: fixtures.DerivedImage(t, nil, nil)})
	cache, err := OpenCache(t.TempDir(), testKey)
	if err != nil {
		t.Fatal(err)
	}
	run := func(ref string) (reads []int, tree []string) {
		img, err := Open(ctx, "oci:"+dir+":"+ref, Options{})
		if err != nil {
			t.Fatal(err)
		}
		l := newLoader(t, cache)
		var mu sync.Mutex
		l.Progress = progressFunc(func(name string, _ int64) {
			mu.Lock()
			defer mu.Unlock()
			for i := range img.Layers {
				if name == readingName(img, i) {
					reads = append(reads, i)
				}
			}
		})
		tr, err := l.Tree(ctx, img, len(img.Layers), ContentKept)
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(reads)
		return reads, dump(tr)
	}
	if reads, _ := run("base"); !slices.Equal(reads, []int{0, 1}) {
		t.Errorf("first run read layers %v, want [0 1]", reads)
	}
	reads, tree := run("derived")
	if !slices.Equal(reads, []int{2, 3}) {
		t.Errorf("derived run read layers %v, want only the derived ones [2 3]", reads)
	}
	sameLines(t, wantTree(t, fixtures.BaseFiles(), fixtures.DerivedFiles()), tree)
	if reads, _ := run("derived"); len(reads) != 0 {
		t.Errorf("warm run read layers %v, want none", reads)
	}
	// A cache entry whose header claims more entries than its file could
	// hold is a miss, without allocating what it claims.
	entries, _ := filepath.Glob(filepath.Join(cache.dir, "sha256-*"))
	for _, e := range entries {
		id := v1.Hash{Algorithm: "sha256", Hex: strings.TrimPrefix(filepath.Base(e), "sha256-")}
		var buf bytes.Buffer
		buf.Write(make([]byte, 32)) // where the MAC goes
		enc := gob.NewEncoder(&buf)
		enc.Encode(cacheHeader{DiffID: id.String(), Size: 1 << 40, Entries: 1 << 25})
		enc.Encode([]Entry{{Path: "x"}})
		os.WriteFile(e, buf.Bytes(), 0o644)
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		if cache.Get(id) != nil {
			t.Errorf("a header claiming 2^25 entries in %d bytes was accepted", buf.Len())
		}
		runtime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
			t.Errorf("reading a %d-byte cache entry allocated %d bytes", buf.Len(), grew)
		}
	}
	// A damaged cache entry is a miss, not an error.
	for _, e := range entries {
		os.WriteFile(e, []byte("garbage"), 0o644)
	}
	reads, tree = run("derived")
	if len(reads) != 4 {
		t.Errorf("after damaging the cache, read layers %v, want all 4", reads)
	}
	sameLines(t, wantTree(t, fixtures.BaseFiles(), fixtures.DerivedFiles()), tree)
}

func TestParseReference(t *testing.T) {
	tests := []struct {
		in   string
		want Reference
	}{
		{"quay.io/fedora/fedora-bootc:41", Reference{Transport: "docker", Name: "quay.io/fedora/fedora-bootc:41"}},
		{"localhost:5000/os:1", Reference{Transport: "docker", Name: "localhost:5000/os:1"}},
		{"docker://localhost:5000/os@sha256:abc", Reference{Transport: "docker", Name: "localhost:5000/os@sha256:abc"}},
		{"oci:/tmp/layout", Reference{Transport: "oci", Name: "/tmp/layout"}},
		{"oci:/tmp/layout:latest", Reference{Transport: "oci", Name: "/tmp/layout", Tag: "latest"}},
		{"oci-archive:img.tar:v1", Reference{Transport: "oci-archive", Name: "img.tar", Tag: "v1"}},
		{"docker-archive:img.tar:localhost/os:1", Reference{Transport: "docker-archive", Name: "img.tar", Tag: "localhost/os:1"}},
		{"containers-storage:localhost/os:1", Reference{Transport: "containers-storage", Name: "localhost/os:1"}},
		{"containers-storage:[overlay@/var/lib/x+/run/x:o=1]quay.io/a/b@sha256:abc", Reference{Transport: "containers-storage", Name: "[overlay@/var/lib/x+/run/x:o=1]quay.io/a/b@sha256:abc"}},
	}
	for _, tc := range tests {
		got, err := ParseReference(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("ParseReference(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
		if tc.want.Transport != "docker" && got.String() != tc.in {
			t.Errorf("String() = %q, want %q", got.String(), tc.in)
		}
	}
	for _, bad := range []string{"", "docker://", "oci:", "docker:foo", "containers-storage:"} {
		if _, err := ParseReference(bad); err == nil {
			t.Errorf("ParseReference(%q) accepted", bad)
		}
	}
	// A path is never sent to Docker Hub.
	dir := t.TempDir()
	file := filepath.Join(dir, "image")
	os.WriteFile(file, nil, 0o644)
	for in, want := range map[string]string{
		"/nonexistent-oslayer/x": "oci-archive:/nonexistent-oslayer/x",
		"./build":                "oci:./build for an OCI layout",
		"../out/os.tar":          "docker-archive:../out/os.tar",
		"os.tar":                 "looks like a file",
		"localhost:5000/os.tar":  "looks like a file",
		"~/images/os":            "looks like a file",
		dir:                      "is a directory, not a registry image: for an OCI layout write oci:" + dir,
		file:                     "oci-archive:" + file,
	} {
		if _, err := ParseReference(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseReference(%q) = %v, want an error containing %q", in, err, want)
		}
	}
}
