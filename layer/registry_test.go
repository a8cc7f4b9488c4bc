package layer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/oslayer/oslayer/fixtures"
)

// blobRegistry is an in-process registry holding the derived fixture, with
// hook in front of its blob downloads.
func blobRegistry(t *testing.T, hook func(w http.ResponseWriter, r *http.Request) bool) string {
	t.Helper()
	reg := registry.New()
	host := startRegistry(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") && hook(w, r) {
			return
		}
		reg.ServeHTTP(w, r)
	}))
	pushImage(t, host+"/os/derived:1", fixtures.DerivedImage(t, nil, nil))
	return host
}

// TestRegistryStallEnds: a registry that stops sending mid-blob fails the
// read after the timeout, naming the blob, instead of hanging.
func TestRegistryStallEnds(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var armed, stalled atomic.Bool
	host := blobRegistry(t, func(w http.ResponseWriter, r *http.Request) bool {
		if !armed.Load() || !stalled.CompareAndSwap(false, true) {
			return false // the config blob, and all but one layer
		}
		w.WriteHeader(http.StatusOK)
		w.Write(make([]byte, 10))
		w.(http.Flusher).Flush()
		<-release
		return true
	})
	img, err := Open(context.Background(), "docker://"+host+"/os/derived:1", Options{Insecure: true, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	armed.Store(true)
	_, err = newLoader(t, nil).Tree(context.Background(), img, len(img.Layers), ContentKept)
	if !errors.Is(err, ErrStalled) || !strings.Contains(err.Error(), "/blobs/sha256:") {
		t.Fatalf("err = %v, want a stall naming the blob", err)
	}
}

// TestRegistryRetries: a blob answered with 503 twice is fetched on the
// third try with --retry-times 2 or more, and fails with 0.
func TestRegistryRetries(t *testing.T) {
	saved := retryWait
	retryWait = time.Millisecond
	defer func() { retryWait = saved }()
	for _, tc := range []struct {
		retries int
		ok      bool
	}{{0, false}, {2, true}, {3, true}} {
		var mu sync.Mutex
		failed := map[string]int{}
		host := blobRegistry(t, func(w http.ResponseWriter, r *http.Request) bool {
			mu.Lock()
			defer mu.Unlock()
			if failed[r.URL.Path] < 2 {
				failed[r.URL.Path]++
				w.WriteHeader(http.StatusServiceUnavailable)
				return true
			}
			return false
		})
		img, err := Open(context.Background(), "docker://"+host+"/os/derived:1", Options{Insecure: true, Retries: tc.retries})
		if err == nil {
			_, err = newLoader(t, nil).Tree(context.Background(), img, len(img.Layers), ContentKept)
		}
		if (err == nil) != tc.ok {
			t.Errorf("--retry-times %d: err = %v, want success %v", tc.retries, err, tc.ok)
		}
	}
}

type staticKeychain struct{ authn.Authenticator }

func (k staticKeychain) Resolve(authn.Resource) (authn.Authenticator, error) {
	return k.Authenticator, nil
}

// TestNoPlainHTTPWithTLSVerify: with TLS verification on, a plain-HTTP
// registry on 127.0.0.1 is refused before any credential is sent; only
// Insecure (--tls-verify=false) talks to it.
func TestNoPlainHTTPWithTLSVerify(t *testing.T) {
	var withAuth atomic.Int32
	reg := registry.New()
	host := startRegistry(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			withAuth.Add(1)
		}
		reg.ServeHTTP(w, r)
	}))
	pushImage(t, host+"/os/derived:1", fixtures.DerivedImage(t, nil, nil))
	withAuth.Store(0)
	creds := staticKeychain{authn.FromConfig(authn.AuthConfig{Username: "user", Password: "secret"})}
	_, err := Open(context.Background(), "docker://"+host+"/os/derived:1", Options{Keychain: creds})
	if !errors.Is(err, ErrPlainHTTP) || strings.Contains(err.Error(), "secret") {
		t.Errorf("err = %v, want a refusal of plain HTTP", err)
	}
	if n := withAuth.Load(); n != 0 {
		t.Errorf("%d requests carried credentials over plain HTTP", n)
	}
	if _, err := Open(context.Background(), "docker://"+host+"/os/derived:1", Options{Keychain: creds, Insecure: true}); err != nil {
		t.Errorf("with --tls-verify=false: %v", err)
	}
}

// TestRegistriesConf: both formats of registries.conf, drop-ins replacing
// an entry of the same prefix; a registry marked insecure there is reached
// over plain HTTP without --tls-verify=false (only that one).
func TestRegistriesConf(t *testing.T) {
	dir := t.TempDir()
	v2 := filepath.Join(dir, "v2.conf")
	os.WriteFile(v2, []byte(`unqualified-search-registries = ["quay.io"]
[[registry]]
location = "localhost:5000"
insecure = true
[[registry]]
prefix = "mirror.example:8443/team"
insecure = true
[[registry]]
location = "quay.io"
[[registry]]
prefix = "blocked.example"
blocked = true
[[registry]]
prefix = "*.corp.example"
insecure = true
`), 0o644)
	v1 := filepath.Join(dir, "v1.conf")
	os.WriteFile(v1, []byte("[registries.insecure]\nregistries = [\"10.0.0.5:5000\"]\n[registries.block]\nregistries = [\"evil.example\"]\n"), 0o644)
	dropin := filepath.Join(dir, "dropin.conf")
	os.WriteFile(dropin, []byte("[[registry]]\nlocation = \"quay.io\"\ninsecure = true\n"), 0o644)
	got, err := LoadRegistries([]string{v2, v1, filepath.Join(dir, "missing.conf")})
	if err != nil {
		t.Fatal(err)
	}
	for repo, want := range map[string]bool{"localhost:5000/os": true, "mirror.example:8443/team/os": true, "mirror.example:8443/other": false,
		"10.0.0.5:5000/x": true, "quay.io/fedora/fedora": false, "localhost:5001/os": false, "a.corp.example/os": true, "corp.example/os": false} {
		if got.Insecure(repo) != want {
			t.Errorf("Insecure(%s) = %v", repo, !want)
		}
	}
	for _, ref := range []string{"blocked.example/os:1", "evil.example/x@sha256:" + strings.Repeat("a", 64)} {
		r, err := name.ParseReference(ref)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := got.pullSources(r); err == nil || !strings.Contains(err.Error(), "blocks") {
			t.Errorf("%s: %v, want it blocked", ref, err)
		}
	}
	withDropin, err := LoadRegistries([]string{v2, dropin})
	if err != nil || !withDropin.Insecure("quay.io/fedora/fedora") {
		t.Errorf("a drop-in entry for quay.io: %v", err)
	}
	bad := filepath.Join(dir, "bad.conf")
	os.WriteFile(bad, []byte("[[registry]\n"), 0o644)
	if _, err := LoadRegistries([]string{bad}); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("a broken file: %v", err)
	}

	host := startRegistry(t, nil)
	pushImage(t, host+"/os/derived:1", fixtures.DerivedImage(t, nil, nil))
	insecure := func(h string) *Registries {
		return &Registries{entries: []registryEntry{{prefix: h, location: h, insecure: true}}}
	}
	if _, err := Open(context.Background(), "docker://"+host+"/os/derived:1", Options{Registries: insecure(host)}); err != nil {
		t.Errorf("a registry marked insecure: %v", err)
	}
	if _, err := Open(context.Background(), "docker://"+host+"/os/derived:1", Options{Registries: insecure("localhost:1")}); !errors.Is(err, ErrPlainHTTP) {
		t.Errorf("another registry marked insecure: %v, want a refusal", err)
	}
}

// TestRegistriesConfMirrorsAndLocation: an image is pulled from the first
// mirror that has it (pull-from-mirror respected), else from its location;
// a prefix with a location is rewritten there.
func TestRegistriesConfMirrorsAndLocation(t *testing.T) {
	primary, mirror, empty := startRegistry(t, nil), startRegistry(t, nil), startRegistry(t, nil)
	pushImage(t, mirror+"/os/base:1", fixtures.BaseImage(t))
	pushImage(t, primary+"/team/os/derived:1", fixtures.DerivedImage(t, nil, nil))
	dir := t.TempDir()
	conf := filepath.Join(dir, "registries.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf(`[[registry]]
prefix = "registry.example"
location = %q
insecure = true
[[registry.mirror]]
location = %q
insecure = true
[[registry.mirror]]
location = %q
insecure = true
pull-from-mirror = "digest-only"
`, primary+"/team", empty, mirror)), 0o644)
	regs, err := LoadRegistries([]string{conf})
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Registries: regs}
	// registry.example/os/derived:1 is at PRIMARY/team/os/derived:1.
	img, err := Open(context.Background(), "registry.example/os/derived:1", opts)
	if err != nil {
		t.Fatalf("pulled through the location: %v", err)
	}
	img.Close()
	// A tag is not pulled from a digest-only mirror: the base is on that
	// mirror only, so by tag it is not found; by digest it is.
	if _, err := Open(context.Background(), "registry.example/os/base:1", opts); err == nil || !strings.Contains(err.Error(), "mirrors:") {
		t.Errorf("by tag: %v, want not found, naming the mirror tried", err)
	}
	d, _ := fixtures.BaseImage(t).Digest()
	img, err = Open(context.Background(), "registry.example/os/base@"+d.String(), opts)
	if err != nil {
		t.Fatalf("by digest, from the digest-only mirror: %v", err)
	}
	img.Close()
}

// TestTLSRegistryIsVerified: a registry with a certificate nobody signed
// is refused with TLS verification on, and read with Insecure; its
// credentials go over TLS only.
func TestTLSRegistryIsVerified(t *testing.T) {
	dir := isolateAuth(t)
	reg := registry.New()
	srv := httptest.NewTLSServer(basicAuth(reg, "builder", "s3cret"))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	authFile(t, filepath.Join(dir, "auth.json"), u.Host, "builder", "s3cret")
	t.Setenv("REGISTRY_AUTH_FILE", filepath.Join(dir, "auth.json"))
	if err := Write(context.Background(), fixtures.BaseImage(t), "docker://"+u.Host+"/os/base:1", Options{Insecure: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(context.Background(), "docker://"+u.Host+"/os/base:1", Options{}); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("an unverifiable certificate: %v, want a refusal", err)
	}
	img, err := Open(context.Background(), "docker://"+u.Host+"/os/base:1", Options{Insecure: true})
	if err != nil {
		t.Fatalf("with --tls-verify=false: %v", err)
	}
	if _, err := newLoader(t, nil).Tree(context.Background(), img, len(img.Layers), ContentKept); err != nil {
		t.Error(err)
	}
}
