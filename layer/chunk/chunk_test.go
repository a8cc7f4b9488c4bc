package chunk_test

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/layer/chunk"
	"github.com/oslayer/oslayer/layer/pkgdb"
)

// run chunks img and returns the result, removed at the end of the test.
func run(t *testing.T, img v1.Image, opts chunk.Options) *chunk.Result {
	t.Helper()
	res, err := try(t, img, opts)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func try(t *testing.T, img v1.Image, opts chunk.Options) (*chunk.Result, error) {
	t.Helper()
	ctx := context.Background()
	src, err := layer.FromV1(layer.Reference{Transport: "oci", Name: "src"}, img)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := layer.OpenSource(ctx, layer.Request{Image: src, Content: layer.ContentSpool, Packages: true,
		TmpDir: t.TempDir(), Loader: loader(t)})
	if err != nil {
		return nil, err
	}
	defer sp.Close()
	if opts.Write.Files == nil {
		opts.Write.Files = layer.TempBlobFiles(t.TempDir())
	}
	res, err := chunk.Build(ctx, sp, opts)
	if err != nil {
		return nil, err
	}
	t.Cleanup(res.Close)
	return res, nil
}

func loader(t *testing.T) *layer.Loader {
	t.Helper()
	l, err := layer.NewLoader(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

// tree reads an image's merged tree afresh, hashing every file.
func tree(t *testing.T, img v1.Image) *layer.Tree {
	t.Helper()
	li, err := layer.FromV1(layer.Reference{Transport: "oci", Name: "x"}, img)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := loader(t).Tree(context.Background(), li, len(li.Layers), layer.ContentKept)
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// sameContent fails the test when the chunked image differs from the
// source in any path, type, mode, owner, xattr, link or content.
func sameContent(t *testing.T, src, out v1.Image, ignore ...string) {
	t.Helper()
	changes := diff.Compare(tree(t, src), tree(t, out), diff.CompareOptions{})
	for _, c := range changes {
		if !slices.ContainsFunc(ignore, func(p string) bool { return c.Path == p || strings.HasPrefix(c.Path, p+"/") }) {
			t.Errorf("chunked image differs: %s %s %v", c.Kind, c.Path, c.Details)
		}
	}
}

func digest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// layerEntries lists every tar entry of every layer of img.
func layerEntries(t *testing.T, img v1.Image) [][]*tar.Header {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var out [][]*tar.Header
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		tr := tar.NewReader(rc)
		var hdrs []*tar.Header
		for {
			h, err := tr.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			hdrs = append(hdrs, h)
		}
		rc.Close()
		out = append(out, hdrs)
	}
	return out
}

func TestChunkPreservesFixtures(t *testing.T) {
	for name, img := range map[string]v1.Image{
		"base":    fixtures.BaseImage(t),
		"derived": fixtures.DerivedImage(t, nil, nil),
		"clean":   fixtures.Image(t, fixtures.CleanBaseLabels, nil, fixtures.Layer(t, fixtures.CleanBaseFiles()...)),
	} {
		t.Run(name, func(t *testing.T) {
			for _, max := range []int{1, 2, 5, 64} {
				res := run(t, img, chunk.Options{MaxLayers: max, Write: chunk.WriteOptions{Compression: layer.Gzip}})
				if len(res.Layers) > max {
					t.Errorf("max %d: %d layers", max, len(res.Layers))
				}
				// The fixtures hold a /sysroot with nothing below it.
				sameContent(t, img, res.Image)
			}
		})
	}
}

func TestChunkImageMetadata(t *testing.T) {
	img := fixtures.Image(t, map[string]string{
		"ostree.commit": "abc", "ostree.final-diffid": "sha256:00", "keep": "me", "drop": "x", "ostree.linux": "old",
	}, nil, fixtures.Layers(t, fixtures.BaseFiles())...)
	v := "set"
	res := run(t, img, chunk.Options{Labels: map[string]*string{"drop": nil, "new": &v}, Write: chunk.WriteOptions{Compression: layer.Zstd}})
	cf, err := res.Image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"containers.bootc": "1", "ostree.bootable": "true", "ostree.linux": "6.8.0", "keep": "me", "new": "set"}
	if !maps.Equal(cf.Config.Labels, want) {
		t.Errorf("labels %v, want %v", cf.Config.Labels, want)
	}
	m, err := res.Image.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(cf.History) != len(m.Layers) || len(cf.RootFS.DiffIDs) != len(m.Layers) {
		t.Errorf("%d history entries and %d diff_ids for %d layers", len(cf.History), len(cf.RootFS.DiffIDs), len(m.Layers))
	}
	seen := map[string]bool{}
	for i, d := range m.Layers {
		if d.MediaType != "application/vnd.oci.image.layer.v1.tar+zstd" {
			t.Errorf("layer %d: media type %s", i, d.MediaType)
		}
		names := strings.Split(d.Annotations[chunk.ComponentsAnnotation], ",")
		if !slices.IsSorted(names) || names[0] == "" {
			t.Errorf("layer %d: components %q not sorted", i, d.Annotations[chunk.ComponentsAnnotation])
		}
		for _, n := range names {
			if seen[n] {
				t.Errorf("component %s in two layers", n)
			}
			seen[n] = true
		}
	}
	for _, n := range []string{":kernel", ":unclaimed"} {
		if !seen[n] {
			t.Errorf("no %s component in %v", n, slices.Sorted(maps.Keys(seen)))
		}
	}
}

func TestChunkLayersAreSelfContained(t *testing.T) {
	img := fixtures.Image(t, nil, nil, fixtures.Layers(t, fixtures.BaseFiles())...)
	res := run(t, img, chunk.Options{Write: chunk.WriteOptions{Compression: layer.Gzip}})
	dirs := map[string]*tar.Header{}
	paths := map[string]int{}
	for i, hdrs := range layerEntries(t, res.Image) {
		names := make([]string, len(hdrs))
		for j, h := range hdrs {
			names[j] = h.Name
			if h.ModTime.Unix() != 0 {
				t.Errorf("layer %d: %s modified at %v, want the epoch", i, h.Name, h.ModTime)
			}
			if h.Typeflag == tar.TypeDir {
				if prev, ok := dirs[h.Name]; ok && (prev.Mode != h.Mode || prev.Uid != h.Uid || !maps.Equal(prev.PAXRecords, h.PAXRecords)) {
					t.Errorf("directory %s differs between layers", h.Name)
				}
				dirs[h.Name] = h
				continue
			}
			if prev, ok := paths[h.Name]; ok {
				t.Errorf("%s in layers %d and %d", h.Name, prev, i)
			}
			paths[h.Name] = i
			// Every parent directory is in the same layer.
			for d := h.Name; strings.Contains(d, "/"); {
				d = d[:strings.LastIndex(d, "/")]
				if !slices.Contains(names[:j], d+"/") {
					t.Errorf("layer %d: %s comes without its parent %s/", i, h.Name, d)
				}
			}
		}
	}
	// The hardlink pair of the fixture stays together.
	if paths["usr/bin/true"] != paths["usr/bin/true-alias"] {
		t.Errorf("hardlink group split across layers %d and %d", paths["usr/bin/true"], paths["usr/bin/true-alias"])
	}
}

func TestChunkDeterministic(t *testing.T) {
	files := fixtures.BaseFiles()
	var all []fixtures.File
	for _, l := range files {
		all = append(all, l...)
	}
	five := [][]fixtures.File{all[:10], all[10:20], all[20:30], all[30:40], all[40:]}
	oneImg := fixtures.Image(t, nil, nil, fixtures.Layer(t, all...))
	fiveImg := fixtures.Image(t, nil, nil, fixtures.Layers(t, five)...)
	for _, c := range []layer.Compression{layer.Gzip, layer.Zstd, layer.None} {
		opts := chunk.Options{Write: chunk.WriteOptions{Compression: c}}
		a := digest(t, run(t, oneImg, opts).Image)
		prev := runtime.GOMAXPROCS(1)
		b := digest(t, run(t, oneImg, opts).Image)
		runtime.GOMAXPROCS(prev)
		five := digest(t, run(t, fiveImg, opts).Image)
		if a != b || a != five {
			t.Errorf("%s: digests %s (default), %s (GOMAXPROCS=1), %s (five layers)", c, a, b, five)
		}
	}
}

func TestChunkSourceDateEpoch(t *testing.T) {
	img := fixtures.Image(t, nil, nil, fixtures.Layers(t, fixtures.BaseFiles())...)
	epoch := fixtures.Epoch.Unix() - 3600 // before the fixture's files
	res := run(t, img, chunk.Options{Write: chunk.WriteOptions{Compression: layer.Gzip, Epoch: &epoch}})
	for _, hdrs := range layerEntries(t, res.Image) {
		for _, h := range hdrs {
			if h.ModTime.Unix() != epoch {
				t.Errorf("%s modified at %d, want it clamped to %d", h.Name, h.ModTime.Unix(), epoch)
			}
		}
	}
	cf, _ := res.Image.ConfigFile()
	if cf.Created.Unix() != epoch {
		t.Errorf("created %v", cf.Created)
	}
}

func TestChunkXattrsAndComponents(t *testing.T) {
	img := fixtures.Image(t, nil, nil, fixtures.Layer(t,
		fixtures.Dir("usr", 0o755), fixtures.Dir("usr/lib", 0o755),
		fixtures.File{Path: "usr/lib/app/", Type: tar.TypeDir, Mode: 0o755, Xattrs: map[string]string{"user.component": "myapp"}},
		fixtures.Reg("usr/lib/app/bin", "app", 0o755),
		fixtures.File{Path: "usr/lib/app/lib.so", Mode: 0o644, Content: "lib", Xattrs: map[string]string{"security.selinux": "system_u:object_r:lib_t:s0"}},
		fixtures.File{Path: "usr/lib/other", Mode: 0o644, Content: "x", Xattrs: map[string]string{"user.component": "other,one"}},
		fixtures.Reg("usr/lib/big", strings.Repeat("b", chunk.BigFile), 0o644),
		fixtures.Dir("sysroot", 0o755), fixtures.Dir("sysroot/ostree", 0o755), fixtures.Reg("sysroot/ostree/repo-object", "obj", 0o644),
	))
	res := run(t, img, chunk.Options{Write: chunk.WriteOptions{Compression: layer.Gzip}})
	byName := map[string]*chunk.Component{}
	for _, c := range res.Components {
		byName[c.Name] = c
	}
	if c := byName["myapp"]; c == nil || !slices.Equal(c.Paths, []string{"usr/lib/app", "usr/lib/app/bin", "usr/lib/app/lib.so"}) {
		t.Errorf("myapp: %+v", c)
	}
	if c := byName["/usr/lib/big"]; c == nil || c.Kind != chunk.KindBig {
		t.Errorf("big file: %+v", c)
	}
	m, _ := res.Image.Manifest()
	found := false
	for _, d := range m.Layers {
		if d.Annotations[chunk.ComponentsAnnotation] == "other%2Cone" {
			found = true
		}
	}
	if !found {
		t.Errorf("no layer annotated other%%2Cone")
	}
	// security.selinux is dropped (bootc relabels) and /sysroot emptied:
	// nothing else changes.
	sameContent(t, img, res.Image, "/sysroot/ostree", "/usr/lib/app/lib.so")
	out := tree(t, res.Image)
	if n := out.Lookup("usr/lib/app/lib.so"); n == nil || n.Xattrs["security.selinux"] != "" {
		t.Errorf("security.selinux kept: %+v", n)
	}
	if n := out.Lookup("sysroot"); n == nil || n.NumChildren() != 0 {
		t.Errorf("/sysroot not an empty directory: %+v", n)
	}
	keep := run(t, img, chunk.Options{Write: chunk.WriteOptions{Compression: layer.Gzip, KeepSELinux: true}})
	sameContent(t, img, keep.Image, "/sysroot/ostree")
	if n := tree(t, keep.Image).Lookup("usr/lib/app/lib.so"); n == nil || n.Xattrs["security.selinux"] == "" {
		t.Errorf("--keep-selinux lost the label")
	}
}

func TestChunkRootMode(t *testing.T) {
	img := fixtures.Image(t, nil, nil, fixtures.Layer(t,
		fixtures.File{Path: "./", Type: tar.TypeDir, Mode: 0o555},
		fixtures.Dir("usr", 0o755), fixtures.Reg("usr/x", "x", 0o644),
	))
	res := run(t, img, chunk.Options{Write: chunk.WriteOptions{Compression: layer.Gzip}})
	if m := tree(t, res.Image).Root.Mode; m != 0o555 {
		t.Errorf("root mode %o, want 555", m)
	}
	sameContent(t, img, res.Image)
}

func TestChunkSparseFile(t *testing.T) {
	// A PAX 1.0 sparse file of 8 MiB holding "data" at 4096, between two
	// plain files: archive/tar cannot write one, so the blocks are raw.
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "usr/", Typeflag: tar.TypeDir, Mode: 0o755})
	tw.WriteHeader(&tar.Header{Name: "usr/before", Typeflag: tar.TypeReg, Mode: 0o644, Size: 3})
	tw.Write([]byte("abc"))
	tw.Flush()
	fixtures.SparseEntry(&buf, "usr/sparse", 8<<20, 4096, "data")
	tw = tar.NewWriter(&buf)
	tw.WriteHeader(&tar.Header{Name: "usr/after", Typeflag: tar.TypeReg, Mode: 0o644, Size: 3})
	tw.Write([]byte("xyz"))
	tw.Close()
	img := fixtures.Image(t, nil, nil, fixtures.LayerFromTar(t, buf.Bytes(), "gzip"))
	res := run(t, img, chunk.Options{Write: chunk.WriteOptions{Compression: layer.Gzip}})
	sameContent(t, img, res.Image)
	// Written out whole (no sparse form is safe in an image layer), the
	// same bytes: the sparse source's hole digest is the output's.
	in, out := tree(t, img), tree(t, res.Image)
	n := out.Lookup("usr/sparse")
	if n == nil || n.Size != 8<<20 || n.Sparse {
		t.Fatalf("sparse file in the output: %+v", n)
	}
	if d, err := out.HoleDigest(n); err != nil || d != in.Lookup("usr/sparse").Digest {
		t.Errorf("output's hole digest %s, %v; want the source's %s", d, err, in.Lookup("usr/sparse").Digest)
	}
}

// TestChunkKernelPackageNamedKernel chunks a Fedora-like image whose
// kernel comes from the source package "kernel": the package's files and
// the initramfs no package owns are two components (the package, and the
// kernel rule's), in two layers, told apart in the annotations and kept
// apart by a rebuild with the first build as --prior.
func TestChunkKernelPackageNamedKernel(t *testing.T) {
	fixtures.RequireTools(t, "rpmbuild", "rpm")
	fixtures.RequireRoot(t)
	root := t.TempDir()
	rpms := t.TempDir()
	kernel := fixtures.BuildRPM(t, rpms, fixtures.RPMSpec{Name: "kernel", Version: "6.8.0", Release: "1", Files: []fixtures.RPMFile{
		{Path: "/usr/lib/modules/6.8.0", Dir: true},
		{Path: "/usr/lib/modules/6.8.0/vmlinuz", Content: "vmlinuz 6.8.0"},
		{Path: "/usr/lib/modules/6.8.0/kernel/fs/ext4.ko", Content: "ext4"},
	}})
	bash := fixtures.BuildRPM(t, rpms, fixtures.RPMSpec{Name: "bash", Version: "5.2", Release: "1", Files: []fixtures.RPMFile{
		{Path: "/usr/bin/bash", Content: "bash", Mode: 0o755},
	}})
	fixtures.InstallRPMs(t, root, "/usr/lib/sysimage/rpm", "sqlite", kernel, bash)
	if err := os.WriteFile(filepath.Join(root, "usr/lib/modules/6.8.0/initramfs.img"), []byte("initramfs"), 0o644); err != nil {
		t.Fatal(err)
	}
	img := fixtures.Image(t, nil, nil, fixtures.LayerFromDir(t, root))
	res := run(t, img, chunk.Options{Write: chunk.WriteOptions{Compression: layer.Gzip}})
	layerOf := func(res *chunk.Result, kind chunk.Kind, name string) int {
		t.Helper()
		for i, l := range res.Layers {
			for _, c := range l.Components {
				if c.Kind == kind && c.Name == name {
					return i
				}
			}
		}
		t.Fatalf("no %s component %s", kind, name)
		return -1
	}
	pkg, gen := layerOf(res, chunk.KindPackage, "kernel"), layerOf(res, chunk.KindKernel, "kernel")
	if pkg == gen {
		t.Fatalf("the kernel package and the kernel component share layer %d", pkg)
	}
	for _, c := range res.Layers[gen].Components {
		if c.Kind == chunk.KindKernel && !slices.Equal(c.Paths, []string{"usr/lib/modules/6.8.0/initramfs.img"}) {
			t.Errorf("kernel component holds %v, want the initramfs", c.Paths)
		}
	}
	m, err := res.Image.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if a := m.Layers[pkg].Annotations[chunk.ComponentsAnnotation]; a != "kernel" {
		t.Errorf("package layer annotated %q, want kernel", a)
	}
	if a := m.Layers[gen].Annotations[chunk.ComponentsAnnotation]; a != ":kernel" {
		t.Errorf("kernel layer annotated %q, want :kernel", a)
	}
	again := run(t, img, chunk.Options{Prior: chunk.PriorFromManifest(m), Write: chunk.WriteOptions{Compression: layer.Gzip}})
	if p, g := layerOf(again, chunk.KindPackage, "kernel"), layerOf(again, chunk.KindKernel, "kernel"); p != pkg || g != gen {
		t.Errorf("with the first build as prior: package in layer %d, kernel in %d; want %d, %d", p, g, pkg, gen)
	}
}

// TestEncapsulatedIdenticalFilesFollowTheirPackages: ostree stores files
// of the same content and metadata as one object, so in an encapsulated
// image two packages' identical files are hardlinks; each still goes to its
// own package's component, as in the plain form of the image.
func TestEncapsulatedIdenticalFilesFollowTheirPackages(t *testing.T) {
	img := fixtures.OstreeImage(t, []fixtures.File{
		fixtures.Dir("usr/share/doc/a", 0o755), fixtures.Dir("usr/share/doc/b", 0o755),
		fixtures.Reg("usr/share/doc/a/copyright", "GPL\n", 0o644),
		fixtures.Reg("usr/share/doc/b/copyright", "GPL\n", 0o644),
		fixtures.Dir("sysroot", 0o755),
	}, fixtures.OstreeOptions{})
	tr := tree(t, img)
	if !tr.Encapsulated || tr.Lookup("usr/share/doc/a/copyright").Inode == 0 {
		t.Fatal("the fixture's identical files are not one ostree object")
	}
	dbs := []*pkgdb.DB{{Kind: pkgdb.KindDpkg, Packages: []pkgdb.Package{
		{Name: "a", Source: "a", Files: []pkgdb.File{{Path: "/usr/share/doc/a/copyright"}}},
		{Name: "b", Source: "b", Files: []pkgdb.File{{Path: "/usr/share/doc/b/copyright"}}},
	}}}
	for _, c := range chunk.Components(tr, dbs) {
		for _, p := range c.Paths {
			if strings.HasSuffix(p, "/copyright") && !strings.HasPrefix(p, "usr/share/doc/"+c.Name+"/") {
				t.Errorf("%s is in component %s", p, c.Name)
			}
		}
	}
}
