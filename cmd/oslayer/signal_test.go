package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/oslayer/oslayer/fixtures"
)

// TestSignalsEndCommands: SIGINT or SIGTERM during a chunk whose source
// registry stopped sending ends it promptly with "interrupted", leaving
// the destination layout as it was and no temporary files.
func TestSignalsEndCommands(t *testing.T) {
	reg := registry.New()
	blobAsked := make(chan struct{}, 16)
	release := make(chan struct{})
	var stall atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if stall.Load() && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
			blobAsked <- struct{}{}
			w.WriteHeader(http.StatusOK)
			w.(http.Flusher).Flush()
			<-release
			return
		}
		reg.ServeHTTP(w, r)
	}))
	defer srv.Close()
	defer close(release) // before the server waits for its handlers
	u, _ := url.Parse(srv.URL)
	ref, _ := name.ParseReference(u.Host + "/os/base:1")
	if err := remote.Write(ref, fixtures.BaseImage(t)); err != nil {
		t.Fatal(err)
	}
	stall.Store(true)

	layout := filepath.Join(t.TempDir(), "dest")
	fixtures.WriteOCILayout(t, layout, fixtures.Named{Name: "old", Image: fixtures.BaseImage(t)})
	before := dirState(t, layout)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			tmp := t.TempDir()
			cmd := exec.Command(oslayerBin, "chunk", "--tls-verify=false", "--tmpdir", tmp, "docker://"+u.Host+"/os/base:1", "oci:"+layout+":new")
			cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir(), "XDG_CONFIG_HOME="+t.TempDir())
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			<-blobAsked
			sent := time.Now()
			cmd.Process.Signal(sig)
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("still running 20 s after %s", sig)
			}
			t.Logf("ended %s after %s", time.Since(sent).Round(time.Millisecond), sig)
			if code := cmd.ProcessState.ExitCode(); code != 2 || !strings.Contains(stderr.String(), "oslayer: interrupted") {
				t.Errorf("exit %d, stderr %q", code, stderr.String())
			}
			if after := dirState(t, layout); after != before {
				t.Errorf("the destination changed:\n%s\n->\n%s", before, after)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("--tmpdir holds %d files", len(left))
			}
		})
	}
}

// dirState lists a directory's files with their sizes, the writers lock
// file left out.
func dirState(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && fi.Name() != ".oslayer-writers" {
			b.WriteString(strings.TrimPrefix(p, dir) + " " + fi.ModTime().String() + "\n")
		}
		return nil
	})
	return b.String()
}
