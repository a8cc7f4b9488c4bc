package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer"
)

// TestContainersStorage: images podman and buildah keep in
// containers-storage, read in place and written there, with real buildah
// (vfs, its own graph root). A base built locally (FROM localhost/base:1)
// is found from buildah's annotations in the same store, or in the default
// store for an image exported to an OCI layout; chunk and butane write new
// images that buildah then uses.
func TestContainersStorage(t *testing.T) {
	bh := fixtures.NewBuildah(t)
	work := t.TempDir()
	layout, err := os.MkdirTemp("", "oslayer-cs-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(layout) })
	base := fixtures.Image(t, fixtures.BaseLabels, nil, fixtures.Layers(t, fixtures.BusyboxBaseFiles(t))...)
	fixtures.WriteOCILayout(t, layout, fixtures.Named{Name: "base", Image: base})
	// The base enters the store as podman pull would put it there, then a
	// build FROM it by its local name.
	ctxDir := filepath.Join(work, "context")
	os.MkdirAll(ctxDir, 0o755)
	os.WriteFile(filepath.Join(ctxDir, "Containerfile"), []byte(strings.ReplaceAll(containerfile, "%BASE%", "localhost/base:1")), 0o644)
	os.WriteFile(filepath.Join(ctxDir, "motd"), []byte("welcome\n"), 0o644)
	bh.Bud(ctxDir, "localhost/base:1", "-f", writeFile(t, work, "Base.Containerfile", "FROM oci:"+layout+":base\n"))
	bh.Bud(ctxDir, "localhost/derived:1")
	bh.Push("localhost/derived:1", "oci:"+layout+":derived")

	cs := "containers-storage:" + bh.Store()
	defaultStore := "CONTAINERS_STORAGE_CONF=" + bh.StorageConf()
	noStore := "CONTAINERS_STORAGE_CONF=" + writeFile(t, work, "empty.conf", "[storage]\ndriver = \"vfs\"\ngraphroot = \""+filepath.Join(work, "none")+"\"\nrunroot = \""+filepath.Join(work, "none-run")+"\"\n")
	cases := []struct {
		name string
		env  []string
		args []string
	}{
		{"both in the store", []string{noStore}, []string{cs + "localhost/base:1", cs + "localhost/derived:1"}},
		{"base from annotations, same store", []string{noStore}, []string{cs + "localhost/derived:1"}},
		{"default store, base from annotations", []string{defaultStore}, []string{"containers-storage:localhost/derived:1"}},
		{"OCI layout, base from annotations in the default store", []string{defaultStore}, []string{"oci:" + layout + ":derived"}},
		{"image ID", []string{defaultStore}, []string{"containers-storage:localhost/base:1", "containers-storage:" + imageID(t, bh, "localhost/derived:1")[:12]}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, code := runEnv(t, tc.env, append([]string{"diff", "--format", "json", "--exit-code"}, tc.args...)...)
			if code != 1 {
				t.Fatalf("exit code %d, want 1 (changes found):\n%s", code, out)
			}
			var res diff.Result
			if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &res); err != nil {
				t.Fatalf("parsing output: %v\n%s", err, out)
			}
			var got []string
			for _, c := range res.Changes {
				got = append(got, c.Path+" "+c.Kind.String())
			}
			if !slices.Equal(got, buildahChanges) {
				t.Errorf("changes (-want +got):\n-%s\n+%s", strings.Join(buildahChanges, "\n-"), strings.Join(got, "\n+"))
			}
			if res.Comparison != diff.ComparedLayers || res.Summary.DerivedLayers != 4 {
				t.Errorf("comparison %q with %d derived layers, want %q and 4", res.Comparison, res.Summary.DerivedLayers, diff.ComparedLayers)
			}
		})
	}

	t.Run("base nowhere", func(t *testing.T) {
		out, code := runEnv(t, []string{noStore}, "lint", "oci:"+layout+":derived")
		for _, want := range []string{"cannot find its base localhost/base:1", "no default store at " + filepath.Join(work, "none"), "docker://localhost/base@sha256:", "--base BASE"} {
			if code != 2 || !strings.Contains(out, want) {
				t.Errorf("exit %d, want 2 and %q in:\n%s", code, want, out)
			}
		}
	})

	t.Run("base not in the store", func(t *testing.T) {
		out, code := runEnv(t, []string{defaultStore}, "diff", "oci:"+layout+":derived")
		if code != 0 {
			t.Fatalf("exit %d:\n%s", code, out)
		}
		bh.Rmi("localhost/base:1")
		out, code = runEnv(t, []string{defaultStore}, "diff", "oci:"+layout+":derived")
		if code != 2 || !strings.Contains(out, "no image localhost/base:1@sha256:") || !strings.Contains(out, "no image localhost/base:1 in the store") {
			t.Errorf("exit %d, want 2 naming the store lookups:\n%s", code, out)
		}
	})

	t.Run("completion of the default store's names", func(t *testing.T) {
		for _, tc := range []struct {
			env  string
			want string
		}{
			{defaultStore, "containers-storage:localhost/derived:1\n:4\n"},
			{noStore, ":4\n"},
		} {
			out, code := runEnv(t, []string{tc.env}, "__complete", "diff", "containers-storage:localhost/d")
			if out, _, _ = strings.Cut(out, "Completion ended"); code != 0 || out != tc.want {
				t.Errorf("with %s: exit %d, %q, want %q", tc.env, code, out, tc.want)
			}
		}
	})

	t.Run("chunk and butane write into the store", func(t *testing.T) {
		if out, code := runEnv(t, []string{noStore}, "chunk", cs+"localhost/derived:1", cs+"localhost/chunked:1"); code != 0 {
			t.Fatalf("chunk: exit %d\n%s", code, out)
		}
		bu := writeFile(t, work, "c.bu", "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/butane.conf\n      contents: {inline: from butane}\n")
		digestFile := filepath.Join(work, "butane.digest")
		out, code := runEnv(t, []string{noStore}, "butane", bu, "--base", cs+"localhost/chunked:1", "--dest", cs+"localhost/butane:1", "--format", "json", "--digestfile", digestFile)
		if code != 0 {
			t.Fatalf("butane: exit %d\n%s", code, out)
		}
		var rep struct {
			Output, Target, Digest string
			Layer                  struct {
				DiffID string `json:"diff_id"`
			}
			Rendered map[string]int
		}
		if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &rep); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		written, _ := os.ReadFile(digestFile)
		stored := strings.TrimSpace(bh.Inspect("localhost/butane:1", "{{.FromImageDigest}}"))
		if rep.Output != "image" || rep.Digest != string(written) || rep.Digest != stored || rep.Rendered["files"] != 1 || !strings.HasPrefix(rep.Layer.DiffID, "sha256:") {
			t.Errorf("butane JSON %+v, digest file %q, stored %q", rep, written, stored)
		}
		if imgs := bh.Images(); !slices.Contains(imgs, "localhost/chunked:1") || !slices.Contains(imgs, "localhost/butane:1") {
			t.Errorf("buildah images: %q", imgs)
		}
		out, code = runEnv(t, []string{noStore}, "diff", "--format", "json", cs+"localhost/derived:1", cs+"localhost/chunked:1")
		if code != 0 || !strings.Contains(out, `"changes": []`) && !strings.Contains(out, `"changes":[]`) {
			t.Errorf("derived and chunked differ (exit %d):\n%s", code, out)
		}
		root := bh.Mount(bh.From("localhost/butane:1"))
		for p, want := range map[string]string{"etc/butane.conf": "from butane", "etc/motd": "welcome\n", "usr/bin/yes": "yes 9.5, patched\n"} {
			if data, err := os.ReadFile(filepath.Join(root, p)); err != nil || string(data) != want {
				t.Errorf("/%s in buildah's container: %q, %v", p, data, err)
			}
		}
	})
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func imageID(t *testing.T, bh *fixtures.Buildah, name string) string {
	t.Helper()
	return strings.TrimSpace(bh.Inspect(name, "{{.FromImageID}}"))
}

// TestContainersStorageOverlay: the overlay driver keeps each layer's own
// files, removals as whiteout devices; read back through tar-split, the
// example derived image (removals, an opaque directory, hard links) is
// the image that was pulled, and chunk writes into the same store.
func TestContainersStorageOverlay(t *testing.T) {
	fixtures.RequireRoot(t)
	fixtures.RequireTools(t, "buildah")
	dir, err := os.MkdirTemp("", "oslayer-overlay-")
	if err != nil {
		t.Fatal(err)
	}
	store := "[overlay@" + filepath.Join(dir, "graph") + "+" + filepath.Join(dir, "run") + "]"
	buildah := func(args ...string) string {
		return fixtures.Run(t, "", "buildah", append([]string{"--root", filepath.Join(dir, "graph"), "--runroot", filepath.Join(dir, "run"), "--storage-driver", "overlay"}, args...)...)
	}
	t.Cleanup(func() {
		exec.Command("buildah", "--root", filepath.Join(dir, "graph"), "--runroot", filepath.Join(dir, "run"), "--storage-driver", "overlay", "rmi", "--all", "--force").Run()
		os.RemoveAll(dir)
	})
	// buildah names an oci: image after its path: an absolute one.
	abs, err := filepath.Abs(strings.TrimPrefix(example, "oci:"))
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimSpace(buildah("pull", "-q", "oci:"+abs+"derived"))
	buildah("tag", id, "localhost/oslayer/example:latest")
	cs := "containers-storage:" + store + "localhost/oslayer/example:latest"
	for _, args := range [][]string{
		{"diff", "--exit-code", example + "derived", cs},
		{"chunk", cs, "containers-storage:" + store + "localhost/chunked:1"},
		{"diff", "--exit-code", example + "derived", "containers-storage:" + store + "localhost/chunked:1"},
	} {
		if out, code := runEnv(t, nil, args...); code != 0 {
			t.Fatalf("%s: exit %d\n%s", args[0], code, out)
		}
	}
	if out, code := runEnv(t, nil, "diff", "--exit-code", example+"base", cs); code != 1 || !strings.Contains(out, "removed") {
		t.Errorf("base against the stored derived image: exit %d\n%s", code, out)
	}
}

// TestPodmanBuildPipeline: the pipeline of the README with podman itself
// (vfs, its own store, chroot isolation): podman build, then diff finds the
// base in podman's store, chunk writes back there, and podman sees the
// image with the digest --digestfile names.
func TestPodmanBuildPipeline(t *testing.T) {
	fixtures.RequireRoot(t)
	fixtures.RequireTools(t, "podman")
	dir, err := os.MkdirTemp("", "oslayer-podman-")
	if err != nil {
		t.Fatal(err)
	}
	graph, run := filepath.Join(dir, "graph"), filepath.Join(dir, "run")
	podman := func(args ...string) string {
		t.Helper()
		return fixtures.Run(t, dir, "podman", append([]string{"--root", graph, "--runroot", run, "--storage-driver", "vfs"}, args...)...)
	}
	t.Cleanup(func() {
		exec.Command("podman", "--root", graph, "--runroot", run, "--storage-driver", "vfs", "rmi", "--all", "--force").Run()
		os.RemoveAll(dir)
	})
	fixtures.WriteOCILayout(t, filepath.Join(dir, "layout"), fixtures.Named{Name: "base",
		Image: fixtures.Image(t, fixtures.BaseLabels, nil, fixtures.Layers(t, fixtures.BusyboxBaseFiles(t))...)})
	id := strings.TrimSpace(podman("pull", "-q", "oci:"+filepath.Join(dir, "layout")+":base"))
	podman("tag", id, "localhost/base:1")
	ctxDir := filepath.Join(dir, "context")
	os.MkdirAll(ctxDir, 0o755)
	os.WriteFile(filepath.Join(ctxDir, "Containerfile"), []byte(strings.ReplaceAll(containerfile, "%BASE%", "localhost/base:1")), 0o644)
	os.WriteFile(filepath.Join(ctxDir, "motd"), []byte("welcome\n"), 0o644)
	podman("build", "--isolation", "chroot", "--network", "host", "-t", "localhost/myos:candidate", ctxDir)

	cs := "containers-storage:[vfs@" + graph + "+" + run + "]"
	out, code := runEnv(t, nil, "diff", "--format", "json", "--exit-code", cs+"localhost/myos:candidate")
	if code != 1 {
		t.Fatalf("diff: exit %d\n%s", code, out)
	}
	var res diff.Result
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &res); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range res.Changes {
		got = append(got, c.Path+" "+c.Kind.String())
	}
	if !slices.Equal(got, buildahChanges) || !strings.Contains(res.Base, "]localhost/base:1") || res.BaseFrom != layer.BaseFromAnnotation {
		t.Errorf("podman build against %s: changes (-want +got):\n-%s\n+%s", res.Base, strings.Join(buildahChanges, "\n-"), strings.Join(got, "\n+"))
	}
	digestFile := filepath.Join(dir, "digest")
	if out, code := runEnv(t, nil, "chunk", cs+"localhost/myos:candidate", cs+"localhost/myos:chunked", "--digestfile", digestFile); code != 0 {
		t.Fatalf("chunk: exit %d\n%s", code, out)
	}
	written, _ := os.ReadFile(digestFile)
	if seen := strings.TrimSpace(podman("image", "inspect", "--format", "{{.Digest}}", "localhost/myos:chunked")); seen != string(written) {
		t.Errorf("podman sees localhost/myos:chunked with digest %q, --digestfile says %q", seen, written)
	}
}
