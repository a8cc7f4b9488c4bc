package main

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/compression"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/lint"
)

// chunkSource is a clean bootable base with a real dpkg database of two
// packages (one source package with two binaries), and a layer that
// replaces a file, adds a hardlink group, a user.component directory and
// a capability xattr.
func chunkSource(t *testing.T) v1.Image {
	t.Helper()
	fixtures.RequireRoot(t)
	pkgs, root := t.TempDir(), t.TempDir()
	fixtures.InstallDebs(t, root,
		fixtures.BuildDeb(t, pkgs, fixtures.DebSpec{Name: "hello", Version: "1.0-1", Arch: "amd64", Source: "hello-src", Files: []fixtures.DebFile{
			{Path: "/usr/bin/hello", Content: "hello 1.0\n", Mode: 0o755},
			{Path: "/usr/share/doc/hello/README", Content: "hello\n"},
		}}),
		fixtures.BuildDeb(t, pkgs, fixtures.DebSpec{Name: "libhello1", Version: "1.0-1", Arch: "amd64", Source: "hello-src", Files: []fixtures.DebFile{
			{Path: "/usr/lib/x86_64-linux-gnu/libhello.so.1", Content: strings.Repeat("ELF", 1<<19)},
		}}),
	)
	os.RemoveAll(filepath.Join(root, "var/lib/dpkg/lock")) // runtime state, not content
	changes := fixtures.Layer(t,
		fixtures.Dir("usr", 0o755), fixtures.Dir("usr/bin", 0o755),
		fixtures.Reg("usr/bin/hello", "hello 1.0, rebuilt\n", 0o755),
		fixtures.Reg("usr/bin/tool", "tool\n", 0o755),
		fixtures.Hardlink("usr/bin/tool-alias", "usr/bin/tool", 0o755),
		fixtures.File{Path: "usr/bin/pinger", Type: tar.TypeReg, Mode: 0o755, Content: "ping\n",
			Xattrs: map[string]string{"security.capability": "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"}},
		fixtures.Dir("usr/lib", 0o755),
		fixtures.File{Path: "usr/lib/myapp/", Type: tar.TypeDir, Mode: 0o755, Xattrs: map[string]string{"user.component": "myapp"}},
		fixtures.Reg("usr/lib/myapp/app", "app\n", 0o755),
		fixtures.Reg("usr/lib/myapp/data", strings.Repeat("d", 4096), 0o644),
	)
	return fixtures.Image(t, fixtures.CleanBaseLabels, nil,
		fixtures.Layer(t, fixtures.CleanBaseFiles()...), fixtures.LayerFromDir(t, root), changes)
}

// runEnv runs the binary with extra environment.
func runEnv(t *testing.T, env []string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(oslayerBin, args...)
	cmd.Env = append(append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir()), env...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return string(out), ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), 0
}

func layoutDigest(t *testing.T, dir, tag string) string {
	t.Helper()
	img, err := layer.Open(context.Background(), "oci:"+dir+":"+tag, layer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	return img.Digest.String()
}

func lintFindings(t *testing.T, cache, ref string) (int, []string) {
	t.Helper()
	out, stderr, code := oslayer(t, cache, "lint", "--format", "json", "--tls-verify=false", ref)
	var res lint.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("lint %s: %v\n%s", ref, err, stderr)
	}
	var lines []string
	for _, f := range res.Findings {
		lines = append(lines, f.Rule+" "+f.Path)
	}
	slices.Sort(lines)
	return code, lines
}

func TestChunkThroughARegistry(t *testing.T) {
	fixtures.RequireTools(t, "skopeo", "umoci", "ostree")
	reg := fixtures.StartRegistry(t)
	ctx := context.Background()
	srcImg := chunkSource(t)
	src, dest := "docker://"+reg+"/os/src:1", "docker://"+reg+"/os/chunked:1"
	if err := layer.Write(ctx, srcImg, src, layer.Options{Insecure: true}); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	_, stderr, code := oslayer(t, cache, "chunk", src, dest, "--tls-verify=false", "--label", "org.example.release=2")
	if code != 0 || !strings.Contains(stderr, "oslayer chunk: ") {
		t.Fatalf("chunk: exit %d\n%s", code, stderr)
	}

	// Content: oslayer's own comparison of the two images.
	res := diffJSON(t, "--no-cache", "--tls-verify=false", src, dest)
	if len(res.Changes) != 0 || len(res.Packages) != 0 {
		t.Errorf("chunked image differs from its source: %+v %+v", res.Changes, res.Packages)
	}

	// Lint: the same verdict and findings as the source.
	srcCode, srcFindings := lintFindings(t, cache, src)
	outCode, outFindings := lintFindings(t, cache, dest)
	if srcCode != 0 || outCode != 0 || !slices.Equal(srcFindings, outFindings) {
		t.Errorf("lint: source exit %d %v, chunked exit %d %v", srcCode, srcFindings, outCode, outFindings)
	}

	// skopeo sees the labels and the per-layer annotations.
	var inspect struct {
		Digest string
		Labels map[string]string
		Layers []string
	}
	if err := json.Unmarshal([]byte(fixtures.Run(t, "", "skopeo", "inspect", "--tls-verify=false", dest)), &inspect); err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{"containers.bootc": "1", "ostree.bootable": "true", "ostree.linux": "6.8.0", "org.example.release": "2"} {
		if inspect.Labels[k] != v {
			t.Errorf("label %s=%q, want %q (labels %v)", k, inspect.Labels[k], v, inspect.Labels)
		}
	}
	var manifest v1.Manifest
	if err := json.Unmarshal([]byte(fixtures.Run(t, "", "skopeo", "inspect", "--raw", "--tls-verify=false", dest)), &manifest); err != nil {
		t.Fatal(err)
	}
	var components []string
	for i, l := range manifest.Layers {
		a := l.Annotations["ostree.components"]
		if a == "" {
			t.Errorf("layer %d has no ostree.components annotation", i)
		}
		components = append(components, strings.Split(a, ",")...)
	}
	for _, c := range []string{"hello-src", "myapp", ":kernel", ":pkgdb", ":unclaimed"} {
		if !slices.Contains(components, c) {
			t.Errorf("no layer holds component %s (%v)", c, components)
		}
	}

	// Determinism: the registry's digest again from an oci: layout, on one
	// core, and from a one-layer copy of the same content.
	layout := t.TempDir()
	flat := mutate.Extract(srcImg)
	defer flat.Close()
	flatTar, err := io.ReadAll(flat)
	if err != nil {
		t.Fatal(err)
	}
	oneLayer := fixtures.Image(t, fixtures.CleanBaseLabels, nil, fixtures.LayerFromTar(t, flatTar, "zstd"))
	fixtures.WriteOCILayout(t, layout, fixtures.Named{Name: "flat", Image: oneLayer})
	for _, run := range []struct {
		env  []string
		src  string
		dest string
	}{
		{nil, src, "a"},
		{[]string{"GOMAXPROCS=1"}, src, "b"},
		{nil, "oci:" + layout + ":flat", "c"},
	} {
		if out, code := runEnv(t, run.env, "chunk", "--tls-verify=false", "--label", "org.example.release=2", run.src, "oci:"+layout+":"+run.dest); code != 0 {
			t.Fatalf("chunk %s: exit %d\n%s", run.src, code, out)
		}
		if d := layoutDigest(t, layout, run.dest); d != inspect.Digest {
			t.Errorf("chunk %s %v: digest %s, the registry's is %s", run.src, run.env, d, inspect.Digest)
		}
	}

	// umoci unpacks what skopeo copies, and the tree is the source's.
	fixtures.Run(t, "", "skopeo", "copy", "--src-tls-verify=false", dest, "oci:"+layout+":copied")
	bundle := filepath.Join(t.TempDir(), "bundle")
	fixtures.Run(t, "", "umoci", "unpack", "--image", layout+":copied", bundle)
	res = diffJSON(t, "--tls-verify=false", src, "--rootfs", filepath.Join(bundle, "rootfs"))
	if len(res.Changes) != 0 {
		t.Errorf("umoci's unpacking differs from the source: %+v", res.Changes)
	}
	// That root file system chunks to the same content, with the same
	// components in each layer.
	if out, code := runEnv(t, nil, "chunk", "--rootfs", filepath.Join(bundle, "rootfs"), "oci:"+layout+":fromrootfs"); code != 0 {
		t.Fatalf("chunk --rootfs: exit %d\n%s", code, out)
	}
	res = diffJSON(t, "--tls-verify=false", src, "oci:"+layout+":fromrootfs")
	if len(res.Changes) != 0 {
		t.Errorf("the chunked rootfs differs from the source: %+v", res.Changes)
	}
	fromRootfs, err := layer.Open(ctx, "oci:"+layout+":fromrootfs", layer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fromRootfs.Close()
	if len(fromRootfs.Manifest.Layers) != len(manifest.Layers) {
		t.Fatalf("chunk --rootfs: %d layers, from the image %d", len(fromRootfs.Manifest.Layers), len(manifest.Layers))
	}
	for i, l := range fromRootfs.Manifest.Layers {
		if got, want := l.Annotations["ostree.components"], manifest.Layers[i].Annotations["ostree.components"]; got != want {
			t.Errorf("chunk --rootfs: layer %d holds %s, from the image %s", i, got, want)
		}
	}

	// ostree, independently: the flattened source and the chunked layers
	// stacked give the same root tree.
	repo := filepath.Join(t.TempDir(), "repo")
	fixtures.Run(t, "", "ostree", "init", "--repo="+repo, "--mode=archive")
	work := t.TempDir()
	os.WriteFile(filepath.Join(work, "flat.tar"), withRoot(t, flatTar), 0o644)
	fixtures.Run(t, "", "ostree", "commit", "--repo="+repo, "-b", "source", "--tree=tar="+filepath.Join(work, "flat.tar"))
	args := []string{"commit", "--repo=" + repo, "-b", "chunked"}
	chunked, err := layer.Open(ctx, "oci:"+layout+":copied", layer.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer chunked.Close()
	layers, err := chunked.V1().Layers()
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		io.Copy(&buf, rc)
		rc.Close()
		p := filepath.Join(work, fmt.Sprintf("layer%02d.tar", i))
		os.WriteFile(p, withRoot(t, buf.Bytes()), 0o644)
		args = append(args, "--tree=tar="+p)
	}
	fixtures.Run(t, "", "ostree", args...)
	root := func(ref string) string {
		return strings.Fields(fixtures.Run(t, "", "ostree", "ls", "--repo="+repo, "-d", "-C", ref, "/"))[4]
	}
	// A control: the chunked layers but the last give another tree.
	fixtures.Run(t, "", "ostree", append(slices.Clone(args[:len(args)-1]), "-b", "partial")...)
	if root("partial") == root("source") {
		t.Error("ostree gives the same root without a layer: the comparison proves nothing")
	}
	if a, b := root("source"), root("chunked"); a != b {
		t.Errorf("ostree root trees differ: source %s, chunked %s\n%s", a, b,
			fixtures.Run(t, "", "ostree", "diff", "--repo="+repo, "source", "chunked"))
	}
}

// withRoot returns the tar data with a "./" entry first: ostree 2022.7
// commits a tar without one as an empty tree.
func withRoot(t *testing.T, data []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	if err := tw.WriteHeader(&tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755}); err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(bytes.NewReader(data))
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(tw, tr); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestChunkCLIErrors(t *testing.T) {
	layout := t.TempDir()
	fixtures.WriteOCILayout(t, layout, fixtures.Named{Name: "base", Image: fixtures.BaseImage(t)})
	src := "oci:" + layout + ":base"
	notLayout := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notLayout, []byte("x"), 0o644)
	for _, tc := range []struct {
		env  []string
		args []string
		want string
	}{
		{nil, []string{"chunk", src}, "usage: oslayer chunk SRC DEST"},
		{nil, []string{"chunk", src, "oci:" + layout + ":out", "--compression", "lz4"}, `--compression "lz4"`},
		{nil, []string{"chunk", src, "oci:" + layout + ":out", "--max-layers", "0"}, "--max-layers 0"},
		{nil, []string{"chunk", src, "oci:" + layout + ":out", "--label", "novalue"}, `--label "novalue"`},
		{[]string{"SOURCE_DATE_EPOCH=yesterday"}, []string{"chunk", src, "oci:" + layout + ":out"}, `SOURCE_DATE_EPOCH="yesterday"`},
		{nil, []string{"chunk", "oci:" + layout + ":missing", "oci:" + layout + ":out"}, "missing"},
		{nil, []string{"chunk", src, "oci:" + notLayout}, notLayout},
	} {
		out, code := runEnv(t, tc.env, tc.args...)
		if code != 2 || !strings.Contains(out, tc.want) {
			t.Errorf("%v %v: exit %d, want 2 and %q:\n%s", tc.env, tc.args, code, tc.want, out)
		}
	}
	// Nothing was written for the failed runs.
	if out, code := runEnv(t, nil, "chunk", src, "oci:"+layout+":out"); code != 0 || !strings.Contains(out, "kernel 6.8.0") {
		t.Fatalf("chunk: exit %d\n%s", code, out)
	}
	idx, _ := os.ReadFile(filepath.Join(layout, "index.json"))
	if n := strings.Count(string(idx), `"org.opencontainers.image.ref.name"`); n != 2 {
		t.Errorf("layout names %d images, want base and out:\n%s", n, idx)
	}
}

// TestChunkSparseFileIntoContainersStorage: a layer holding a sparse file
// (as GNU tar -S writes it) chunks into layers that containers-storage
// applies (it refuses sparse entries), with the file's bytes intact.
func TestChunkSparseFileIntoContainersStorage(t *testing.T) {
	fixtures.RequireTools(t, "tar")
	bh := fixtures.NewBuildah(t)
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	os.MkdirAll(filepath.Join(root, "usr"), 0o755)
	want := make([]byte, 8<<20)
	copy(want[3<<20:], "data in the middle")
	f, err := os.Create(filepath.Join(root, "usr", "big"))
	if err != nil {
		t.Fatal(err)
	}
	f.Truncate(int64(len(want)))
	f.WriteAt([]byte("data in the middle"), 3<<20)
	f.Close()
	archive := filepath.Join(dir, "layer.tar")
	fixtures.Run(t, root, "tar", "--format=gnu", "-S", "-cf", archive, "usr")
	data, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	layout, err := os.MkdirTemp("", "oslayer-sparse-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(layout) })
	fixtures.WriteOCILayout(t, layout, fixtures.Named{Name: "src", Image: fixtures.Image(t, nil, nil, fixtures.LayerFromTar(t, data, compression.GZip))})
	if _, stderr, code := oslayer(t, t.TempDir(), "chunk", "oci:"+layout+":src", "oci:"+layout+":chunked"); code != 0 {
		t.Fatalf("chunk: exit %d\n%s", code, stderr)
	}
	got, err := os.ReadFile(filepath.Join(bh.Mount(bh.From("oci:"+layout+":chunked")), "usr", "big"))
	if err != nil || !bytes.Equal(got, want) {
		t.Errorf("containers-storage holds %d bytes (equal: %v), %v", len(got), bytes.Equal(got, want), err)
	}
}

// TestChunkChecksSpoolSpace: a --tmpdir too small for the image's
// uncompressed layers is refused before anything is read or written, with
// the numbers.
func TestChunkChecksSpoolSpace(t *testing.T) {
	fixtures.RequireRoot(t)
	dir := t.TempDir()
	small := filepath.Join(dir, "small")
	os.MkdirAll(small, 0o755)
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", small).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", small).Run() })
	layout := filepath.Join(dir, "layout")
	big := strings.Repeat("zeros compress well\n", 200_000) // 4 MB, a few KB of gzip
	fixtures.WriteOCILayout(t, layout, fixtures.Named{Name: "x", Image: fixtures.Image(t, nil, nil,
		fixtures.Layer(t, fixtures.Dir("usr", 0o755), fixtures.Reg("usr/big", big, 0o644)))})
	out, code := runEnv(t, nil, "chunk", "--tmpdir", small, "oci:"+layout+":x", "oci:"+filepath.Join(dir, "out")+":x")
	if code != 2 || !strings.Contains(out, "--tmpdir "+small+" has ") || !strings.Contains(out, "at least 3.8 MiB") {
		t.Errorf("exit %d, want 2 with the numbers:\n%s", code, out)
	}
	if ents, _ := os.ReadDir(small); len(ents) != 0 {
		t.Errorf("--tmpdir holds %d entries after the refusal", len(ents))
	}
	if out, code := runEnv(t, nil, "chunk", "--tmpdir", dir, "oci:"+layout+":x", "oci:"+filepath.Join(dir, "out")+":x"); code != 0 {
		t.Errorf("with room: exit %d\n%s", code, out)
	}
}
