package layer

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
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

// TestInsecureRegistriesFromRegistriesConf: both formats of
// registries.conf, and a registry marked insecure there is reached over
// plain HTTP without --tls-verify=false (only that one).
func TestInsecureRegistriesFromRegistriesConf(t *testing.T) {
	dir := t.TempDir()
	v2 := filepath.Join(dir, "v2.conf")
	os.WriteFile(v2, []byte("unqualified-search-registries = [\"quay.io\"]\n[[registry]]\nlocation = \"localhost:5000\"\ninsecure = true\n[[registry]]\nprefix = \"mirror.example:8443/team\"\ninsecure = true\n[[registry]]\nlocation = \"quay.io\"\n"), 0o644)
	v1 := filepath.Join(dir, "v1.conf")
	os.WriteFile(v1, []byte("[registries.insecure]\nregistries = [\"10.0.0.5:5000\"]\n"), 0o644)
	got, err := InsecureRegistries([]string{v2, v1, filepath.Join(dir, "missing.conf")})
	if want := []string{"localhost:5000", "mirror.example:8443/team", "10.0.0.5:5000"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("insecure = %q, %v; want %q", got, err, want)
	}
	for host, want := range map[string]bool{"localhost:5000": true, "mirror.example:8443": true, "10.0.0.5:5000": true, "quay.io": false, "localhost:5001": false} {
		if insecureHost(got, host) != want {
			t.Errorf("insecureHost(%s) = %v", host, !want)
		}
	}
	bad := filepath.Join(dir, "bad.conf")
	os.WriteFile(bad, []byte("[[registry]\n"), 0o644)
	if _, err := InsecureRegistries([]string{bad}); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("a broken file: %v", err)
	}

	host := startRegistry(t, nil)
	pushImage(t, host+"/os/derived:1", fixtures.DerivedImage(t, nil, nil))
	if _, err := Open(context.Background(), "docker://"+host+"/os/derived:1", Options{InsecureRegistries: []string{host}}); err != nil {
		t.Errorf("a registry marked insecure: %v", err)
	}
	if _, err := Open(context.Background(), "docker://"+host+"/os/derived:1", Options{InsecureRegistries: []string{"localhost:1"}}); !errors.Is(err, ErrPlainHTTP) {
		t.Errorf("another registry marked insecure: %v, want a refusal", err)
	}
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
