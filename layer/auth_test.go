package layer

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/oslayer/oslayer/fixtures"
)

// authFile writes a containers/docker auth file granting user:pass for key.
func authFile(t *testing.T, path, key, user, pass string) {
	t.Helper()
	os.MkdirAll(filepath.Dir(path), 0o700)
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	data := fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, key, auth)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// isolateAuth points every credential location at an empty temp dir.
func isolateAuth(t *testing.T) string {
	dir := t.TempDir()
	t.Setenv("HOME", dir)
	t.Setenv("REGISTRY_AUTH_FILE", "")
	t.Setenv("XDG_RUNTIME_DIR", filepath.Join(dir, "run"))
	t.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	t.Setenv("DOCKER_CONFIG", filepath.Join(dir, "docker"))
	return dir
}

func TestKeychainOrderAndScopes(t *testing.T) {
	dir := isolateAuth(t)
	reg, err := name.NewRegistry("registry.example.com")
	if err != nil {
		t.Fatal(err)
	}
	repo := reg.Repo("team", "os")
	resolve := func() string {
		t.Helper()
		a, err := Keychain{}.Resolve(repo)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := a.Authorization()
		if err != nil {
			t.Fatal(err)
		}
		return cfg.Username
	}
	if got := resolve(); got != "" {
		t.Fatalf("no files: user %q, want anonymous", got)
	}
	authFile(t, filepath.Join(dir, "docker", "config.json"), "registry.example.com", "docker", "x")
	if got := resolve(); got != "docker" {
		t.Errorf("docker config only: user %q", got)
	}
	authFile(t, filepath.Join(dir, "config", "containers", "auth.json"), "registry.example.com/team", "xdg-config", "x")
	if got := resolve(); got != "xdg-config" {
		t.Errorf("namespace entry in XDG_CONFIG_HOME: user %q", got)
	}
	authFile(t, filepath.Join(dir, "run", "containers", "auth.json"), "registry.example.com/team/os", "runtime", "x")
	if got := resolve(); got != "runtime" {
		t.Errorf("repository entry in XDG_RUNTIME_DIR: user %q", got)
	}
	authFile(t, filepath.Join(dir, "explicit.json"), "registry.example.com", "explicit", "x")
	t.Setenv("REGISTRY_AUTH_FILE", filepath.Join(dir, "explicit.json"))
	if got := resolve(); got != "explicit" {
		t.Errorf("REGISTRY_AUTH_FILE: user %q", got)
	}
	authFile(t, filepath.Join(dir, "explicit.json"), "other.example.com", "other", "x")
	if got := resolve(); got != "runtime" {
		t.Errorf("REGISTRY_AUTH_FILE without an entry falls through: user %q", got)
	}
}

// basicAuth guards a handler with one user.
func basicAuth(h http.Handler, user, pass string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != user || p != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func TestOpenUsesRegistryCredentials(t *testing.T) {
	dir := isolateAuth(t)
	host := startRegistry(t, basicAuth(registry.New(registry.Logger(log.New(io.Discard, "", 0))), "builder", "s3cret"))
	ref := host + "/os/base:1"
	authFile(t, filepath.Join(dir, "auth.json"), host, "builder", "s3cret")
	t.Setenv("REGISTRY_AUTH_FILE", filepath.Join(dir, "auth.json"))

	r, _ := name.ParseReference(ref)
	if err := remote.Write(r, fixtures.BaseImage(t), remote.WithAuthFromKeychain(authn.NewMultiKeychain(Keychain{}))); err != nil {
		t.Fatal(err)
	}
	img, err := Open(context.Background(), ref, Options{Insecure: true})
	if err != nil {
		t.Fatalf("with credentials: %v", err)
	}
	if len(img.Layers) != 2 {
		t.Errorf("%d layers", len(img.Layers))
	}
	// Wrong credentials: the error names the file and entry, never the
	// secret.
	authFile(t, filepath.Join(dir, "wrong.json"), host, "builder", "wrong-s3cret")
	t.Setenv("REGISTRY_AUTH_FILE", filepath.Join(dir, "wrong.json"))
	_, err = Open(context.Background(), ref, Options{Insecure: true})
	if err == nil || !strings.Contains(err.Error(), "refused the credentials for "+host+" from "+filepath.Join(dir, "wrong.json")) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("wrong credentials: err = %v", err)
	}
	t.Setenv("REGISTRY_AUTH_FILE", "")
	_, err = Open(context.Background(), ref, Options{Insecure: true})
	if err == nil || !strings.Contains(err.Error(), "401") && !strings.Contains(err.Error(), "UNAUTHORIZED") || !strings.Contains(err.Error(), "no credentials for "+host) {
		t.Errorf("without credentials: err = %v, want a 401 saying no file has credentials", err)
	}
}

func TestKeychainFindsPodmansDockerHubEntries(t *testing.T) {
	dir := isolateAuth(t)
	repo, err := name.NewRepository("fedora/fedora")
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"docker.io", "docker.io/fedora", "docker.io/fedora/fedora"} {
		authFile(t, filepath.Join(dir, "run", "containers", "auth.json"), key, "hub-"+key, "x")
		a, err := Keychain{}.Resolve(repo)
		if err != nil {
			t.Fatal(err)
		}
		cfg, _ := a.Authorization()
		if cfg.Username != "hub-"+key {
			t.Errorf("podman key %q: user %q", key, cfg.Username)
		}
	}
}
