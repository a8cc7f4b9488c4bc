package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/oslayer/oslayer/fixtures"
)

// layoutEntries returns every tar entry of every layer of image tag in
// the OCI layout dir, as "LAYER PATH" (1-based layer position), and the
// image's config entrypoint.
func layoutEntries(t *testing.T, dir, tag string) (entries map[string][]int, contents map[string][]byte, entrypoint []string) {
	t.Helper()
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, desc := range im.Manifests {
		if desc.Annotations["org.opencontainers.image.ref.name"] != tag {
			continue
		}
		img, err := idx.Image(desc.Digest)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		lyrs, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		entries, contents = map[string][]int{}, map[string][]byte{}
		for i, l := range lyrs {
			rc, err := l.Uncompressed()
			if err != nil {
				t.Fatal(err)
			}
			tr := tar.NewReader(rc)
			for {
				hdr, err := tr.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("layer %d of %s: %v", i+1, tag, err)
				}
				name := strings.TrimSuffix(strings.TrimPrefix(hdr.Name, "./"), "/")
				entries[name] = append(entries[name], i+1)
				if hdr.Typeflag == tar.TypeReg {
					contents[name], _ = io.ReadAll(tr)
				}
			}
			rc.Close()
		}
		return entries, contents, cf.Config.Entrypoint
	}
	t.Fatalf("no image %s in %s", tag, dir)
	return nil, nil, nil
}

// TestContainerfileImageInARealBuild builds oslayer's image from the
// repository's Containerfile with buildah, then uses it in a bootable
// image's build the two ways the README gives: bound for the last RUN
// step only (finalize runs, nothing of oslayer is left in any layer), and
// copied in (the binary ships, which the same check sees).
func TestContainerfileImageInARealBuild(t *testing.T) {
	bh := fixtures.NewBuildah(t)
	bin, err := os.ReadFile(oslayerBin)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	// The build context the README describes: the binary beside the
	// repository's .containerignore.
	imgCtx := t.TempDir()
	os.WriteFile(filepath.Join(imgCtx, "oslayer"), bin, 0o755)
	ignore, err := os.ReadFile(filepath.Join(repo, ".containerignore"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(imgCtx, ".containerignore"), ignore, 0o644)
	bh.Bud(imgCtx, "localhost/oslayer:test", "-f", filepath.Join(repo, "Containerfile"), "--build-arg", "VERSION=v0.0.0-test")

	// buildah names an oci: base after its path, which must be lowercase.
	out, err := os.MkdirTemp("", "oslayer-image-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(out) })
	bh.Push("localhost/oslayer:test", "oci:"+out+":oslayer")
	entries, contents, entrypoint := layoutEntries(t, out, "oslayer")
	if len(entries) != 1 || len(entries["oslayer"]) != 1 || !bytes.Equal(contents["oslayer"], bin) {
		t.Errorf("oslayer's image holds %v, want the binary at /oslayer alone", entries)
	}
	if strings.Join(entrypoint, " ") != "/oslayer" {
		t.Errorf("entrypoint %q, want /oslayer", entrypoint)
	}

	base := fixtures.Image(t, fixtures.BaseLabels, nil, fixtures.Layers(t, fixtures.BusyboxBaseFiles(t))...)
	fixtures.WriteOCILayout(t, out, fixtures.Named{Name: "base", Image: base})
	build := func(t *testing.T, containerfile, tag string) string {
		t.Helper()
		ctx := t.TempDir()
		os.WriteFile(filepath.Join(ctx, "Containerfile"), []byte(strings.ReplaceAll(containerfile, "%LAYOUT%", out)), 0o644)
		log, err := bh.TryBud(ctx, "localhost/"+tag+":1")
		if err != nil {
			t.Fatalf("build failed: %v\n%s", err, log)
		}
		bh.Push("localhost/"+tag+":1", "oci:"+out+":"+tag)
		return log
	}

	t.Run("bind-mounted for the last RUN step: finalize runs, nothing ships", func(t *testing.T) {
		log := build(t, `FROM oci:%LAYOUT%:base
RUN mkdir -p /var/cache/dnf && echo metadata > /var/cache/dnf/repomd.xml && echo scratch > /tmp/scratch
RUN --mount=type=bind,from=localhost/oslayer:test,source=/oslayer,target=/usr/bin/oslayer oslayer finalize
`, "mounted")
		for _, want := range []string{"/tmp: removed 1 files", "/var/cache: removed 1 files and 1 directories", "PASS"} {
			if !strings.Contains(log, want) {
				t.Errorf("build output lacks %q:\n%s", want, log)
			}
		}
		mnt := bh.Mount(bh.From("localhost/mounted:1"))
		for _, p := range []string{"tmp/scratch", "var/cache/dnf", "usr/bin/oslayer"} {
			if _, err := os.Lstat(filepath.Join(mnt, p)); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the image has /%s (%v)", p, err)
			}
		}
		entries, _, _ := layoutEntries(t, out, "mounted")
		for name, layers := range entries {
			if strings.Contains(name, "oslayer") {
				t.Errorf("layers %v hold %s", layers, name)
			}
		}
		// The RUN step before finalize committed its own layer: finalize's
		// layer hides those files with whiteouts.
		for _, wh := range []string{"tmp/.wh.scratch", "var/cache/.wh.dnf"} {
			if len(entries[wh]) != 1 {
				t.Errorf("%s in layers %v, want it in the last one", wh, entries[wh])
			}
		}
	})

	t.Run("copied in: the binary ships", func(t *testing.T) {
		log := build(t, `FROM oci:%LAYOUT%:base
COPY --from=localhost/oslayer:test /oslayer /usr/bin/oslayer
RUN oslayer version
`, "copied")
		if !strings.Contains(log, "oslayer devel") {
			t.Errorf("oslayer version did not run in the build:\n%s", log)
		}
		entries, contents, _ := layoutEntries(t, out, "copied")
		if len(entries["usr/bin/oslayer"]) != 1 || !bytes.Equal(contents["usr/bin/oslayer"], bin) {
			t.Errorf("usr/bin/oslayer in layers %v, want the binary in one", entries["usr/bin/oslayer"])
		}
	})
}
