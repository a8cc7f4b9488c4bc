package diff

import (
	"context"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/oslayer/oslayer/layer"
)

// TestGraphReadsNoLayer: Graph lists the tags and reads manifests and
// configs, and never asks for a layer blob.
func TestGraphReadsNoLayer(t *testing.T) {
	var mu sync.Mutex
	var gets []string
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			mu.Lock()
			gets = append(gets, r.URL.Path)
			mu.Unlock()
		}
		reg.ServeHTTP(w, r)
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	repo := u.Host + "/os"
	ctx := context.Background()
	opts := layer.Options{Insecure: true}
	cands, _ := candidates(t, []release{{"1.0", version("1.0")}, {"1.1", version("1.1", "barrier=true")}, {"1.2", version("1.2")}, {"dev", nil}})
	layerBlobs := map[string]bool{}
	for _, c := range cands {
		if err := layer.Write(ctx, c.Image.V1(), "docker://"+repo+":"+c.Name, opts); err != nil {
			t.Fatal(err)
		}
		for _, l := range c.Image.Layers {
			layerBlobs[l.Digest.String()] = true
		}
	}
	mu.Lock()
	gets = nil
	mu.Unlock()
	g, err := Graph(ctx, GraphRequest{Repository: repo, Image: opts})
	if err != nil {
		t.Fatal(err)
	}
	sameStrings(t, "edges", []string{"1.0->1.1", "1.1->1.2"}, edgeList(g))
	if len(g.Skipped) != 1 || g.Skipped[0].Name != "dev" {
		t.Errorf("skipped %+v", g.Skipped)
	}
	if !strings.HasPrefix(g.Releases[0].Payload, repo+"@sha256:") {
		t.Errorf("payload %s", g.Releases[0].Payload)
	}
	listed, configs := false, 0
	for _, p := range gets {
		listed = listed || strings.HasSuffix(p, "/tags/list")
		if i := strings.Index(p, "/blobs/"); i >= 0 {
			if layerBlobs[p[i+len("/blobs/"):]] {
				t.Errorf("a layer was read: GET %s", p)
			} else {
				configs++
			}
		}
	}
	if !listed || configs != 4 {
		t.Errorf("want the tags listed and the 4 configs read: %v", gets)
	}
	// A registry that fails is an error, not a skipped tag.
	srv.Close()
	if _, err := Graph(ctx, GraphRequest{Repository: repo, Image: opts}); err == nil {
		t.Error("a closed registry gave a graph")
	}
}
