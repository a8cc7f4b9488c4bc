package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/lint"
)

// byTopDirectory chunks an encapsulated fixture as a package chunker would,
// roughly: the package database, binaries, the kernel and the rest in
// layers of their own.
func byTopDirectory(p string) string {
	switch {
	case strings.HasPrefix(p, "usr/lib/sysimage/rpm/"), strings.HasPrefix(p, "var/lib/dpkg/"):
		return "pkgdb"
	case strings.HasPrefix(p, "usr/bin/"):
		return "bin"
	case strings.HasPrefix(p, "usr/lib/modules/"):
		return "kernel"
	}
	return "rest"
}

// encapsulatedImages builds an ostree-encapsulated base from root (as
// rpm-ostree compose image would), then a derived image whose one layer
// buildah computes, on the vfs driver, after change has modified a mounted
// container of the base: what changes a file in place (rpm's sqlite
// database) changes its object, and the layer carries both the object and
// the checkout path as a hardlink to it. It returns the OCI layout holding
// both as base and derived.
func encapsulatedImages(t *testing.T, root string, change func(mnt string)) string {
	t.Helper()
	bh := fixtures.NewBuildah(t)
	layout, err := os.MkdirTemp("", "oslayer-ostree-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(layout) })
	files := append(fixtures.OstreeFilesFromDir(t, root), fixtures.Dir("sysroot", 0o755), fixtures.Symlink("ostree", "sysroot/ostree"))
	base := fixtures.OstreeImage(t, files, fixtures.OstreeOptions{Chunk: byTopDirectory})
	fixtures.WriteOCILayout(t, layout, fixtures.Named{Name: "base", Image: base})
	ctr := bh.From("oci:" + layout + ":base")
	change(bh.Mount(ctr))
	bh.Commit(ctr, "localhost/derived:1")
	bh.Push("localhost/derived:1", "oci:"+layout+":derived")
	return layout
}

// diffEverywhere diffs base and derived with a cold cache, a warm one,
// without a cache and with the base found from the image's
// ostree.final-diffid label, checks that all four say the same and that no
// path of the object store shows, and returns the result.
func diffEverywhere(t *testing.T, layout string) diff.Result {
	t.Helper()
	base, derived := "oci:"+layout+":base", "oci:"+layout+":derived"
	cache := t.TempDir()
	run := func(args ...string) (diff.Result, string) {
		t.Helper()
		out, stderr, code := oslayer(t, cache, append([]string{"diff", "--format", "json"}, args...)...)
		if code != 0 {
			t.Fatalf("oslayer diff %s: exit code %d\n%s", strings.Join(args, " "), code, stderr)
		}
		if strings.Contains(out, "sysroot/ostree") {
			t.Errorf("oslayer diff %s shows the object store:\n%s", strings.Join(args, " "), out)
		}
		var res diff.Result
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		return res, out
	}
	res, cold := run(base, derived)
	if _, warm := run(base, derived); warm != cold {
		t.Errorf("a warm cache changed the output:\ncold:\n%s\nwarm:\n%s", cold, warm)
	}
	if _, none := run("--no-cache", base, derived); none != cold {
		t.Errorf("--no-cache changed the output:\ncold:\n%s\n--no-cache:\n%s", cold, none)
	}
	found, _ := run(derived)
	if found.BaseFrom.String() != "label ostree.final-diffid" {
		t.Errorf("base found from %v, want the ostree.final-diffid label", found.BaseFrom)
	}
	sameList(t, "changes with the base found", changeLines(res), changeLines(found))
	sameList(t, "packages with the base found", packageLines(res), packageLines(found))
	return res
}

func TestDiffOfAnEncapsulatedRPMUpgrade(t *testing.T) {
	fixtures.RequireRoot(t)
	pkgs := t.TempDir()
	hello1 := fixtures.BuildRPM(t, pkgs, fixtures.RPMSpec{Name: "hello", Version: "1.0", Release: "1", Files: []fixtures.RPMFile{
		{Path: "/usr/bin/hello", Content: "hello 1.0\n", Mode: 0o755},
		{Path: "/usr/share/doc/hello/README", Content: "hello\n"},
	}})
	hello2 := fixtures.BuildRPM(t, pkgs, fixtures.RPMSpec{Name: "hello", Version: "1.1", Release: "1", Files: []fixtures.RPMFile{
		{Path: "/usr/bin/hello", Content: "hello 1.1, faster\n", Mode: 0o755},
		{Path: "/usr/share/doc/hello/README", Content: "hello\n"},
	}})
	tool := fixtures.BuildRPM(t, pkgs, fixtures.RPMSpec{Name: "tool", Version: "3", Release: "2", Files: []fixtures.RPMFile{
		{Path: "/usr/bin/tool", Content: "tool\n", Mode: 0o755},
	}})
	root := t.TempDir()
	fixtures.InstallRPMs(t, root, "/usr/lib/sysimage/rpm", "sqlite", hello1)
	layout := encapsulatedImages(t, root, func(mnt string) {
		fixtures.InstallRPMs(t, mnt, "/usr/lib/sysimage/rpm", "sqlite", hello2, tool)
	})
	res := diffEverywhere(t, layout)
	sameList(t, "packages", []string{
		"rpm hello upgraded 1.0-1 1.1-1",
		"rpm tool added  3-2",
	}, packageLines(res))
	sameList(t, "changes", []string{
		"/usr/bin/hello modified hello",
		"/usr/bin/tool added tool",
		"/usr/lib/sysimage/rpm/rpmdb.sqlite modified",
		"/usr/lib/sysimage/rpm/rpmdb.sqlite-shm modified",
	}, changeLines(res))
}

func TestDiffOfAnEncapsulatedDpkgUpgrade(t *testing.T) {
	fixtures.RequireRoot(t)
	pkgs := t.TempDir()
	hello1 := fixtures.BuildDeb(t, pkgs, fixtures.DebSpec{Name: "hello", Version: "1.0-1", Arch: "amd64", Files: []fixtures.DebFile{
		{Path: "/usr/bin/hello", Content: "hello 1.0\n", Mode: 0o755},
	}})
	hello2 := fixtures.BuildDeb(t, pkgs, fixtures.DebSpec{Name: "hello", Version: "1.1-1", Arch: "amd64", Files: []fixtures.DebFile{
		{Path: "/usr/bin/hello", Content: "hello 1.1\n", Mode: 0o755},
	}})
	root := t.TempDir()
	fixtures.InstallDebs(t, root, hello1)
	layout := encapsulatedImages(t, root, func(mnt string) { fixtures.InstallDebs(t, mnt, hello2) })
	res := diffEverywhere(t, layout)
	sameList(t, "packages", []string{"dpkg hello upgraded 1.0-1 1.1-1"}, packageLines(res))
	got := changeLines(res)
	if !slices.Contains(got, "/usr/bin/hello modified hello") || !slices.Contains(got, "/var/lib/dpkg/status modified") {
		t.Errorf("changes lack the upgrade:\n%s", strings.Join(got, "\n"))
	}
	for _, c := range got {
		if !strings.HasPrefix(c, "/var/lib/dpkg/") && c != "/usr/bin/hello modified hello" {
			t.Errorf("unexpected change %q", c)
		}
	}
}

const encapsulatedContainerfile = `FROM %BASE%
RUN chmod 4755 /usr/bin/true
COPY yes /usr/bin/yes
COPY hello /usr/bin/hello
`

// encapsulatedChanges is what encapsulatedContainerfile changes: the chmod
// changes an object two checkout paths share (they are hardlinks), and
// the RUN step leaves buildah's /etc/hosts and /etc/resolv.conf behind.
var encapsulatedChanges = []string{
	"/etc/hosts added",
	"/etc/resolv.conf added",
	"/usr/bin/hello added",
	"/usr/bin/true metadata coreutils",
	"/usr/bin/true-alias metadata",
	"/usr/bin/yes modified coreutils",
}

// TestEncapsulatedBaseThroughEveryCommand builds an image with buildah
// FROM an encapsulated base and checks diff, lint and chunk on it.
func TestEncapsulatedBaseThroughEveryCommand(t *testing.T) {
	bh := fixtures.NewBuildah(t)
	layout, err := os.MkdirTemp("", "oslayer-ostree-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(layout) })
	var files []fixtures.File
	for _, l := range fixtures.BusyboxBaseFiles(t) {
		files = append(files, l...)
	}
	base := fixtures.OstreeImage(t, files, fixtures.OstreeOptions{Chunk: byTopDirectory})
	fixtures.WriteOCILayout(t, layout, fixtures.Named{Name: "base", Image: base})
	ctxDir := t.TempDir()
	os.WriteFile(filepath.Join(ctxDir, "yes"), []byte("yes 9.5, patched\n"), 0o755)
	os.WriteFile(filepath.Join(ctxDir, "hello"), []byte("hello\n"), 0o755)
	for tag, extra := range map[string]string{"derived": "", "override": "LABEL ostree.override=true\n"} {
		cf := strings.ReplaceAll(encapsulatedContainerfile, "%BASE%", "oci:"+layout+":base") + extra
		os.WriteFile(filepath.Join(ctxDir, "Containerfile"), []byte(cf), 0o644)
		bh.Bud(ctxDir, "localhost/"+tag+":1")
		bh.Push("localhost/"+tag+":1", "oci:"+layout+":"+tag)
	}
	ref := func(tag string) string { return "oci:" + layout + ":" + tag }

	res := diffEverywhere(t, layout)
	sameList(t, "changes", encapsulatedChanges, changeLines(res))
	if res.Summary.Total.SizeDelta != int64(len("yes 9.5, patched\n")-len("yes 9.4\n")+len("hello\n")) {
		t.Errorf("size delta %d", res.Summary.Total.SizeDelta)
	}

	lintJSON := func(args ...string) (lint.Result, int) {
		t.Helper()
		out, stderr, code := oslayer(t, t.TempDir(), append([]string{"lint", "--format", "json"}, args...)...)
		if code == 2 {
			t.Fatalf("oslayer lint %s: exit code 2\n%s", strings.Join(args, " "), stderr)
		}
		if strings.Contains(out, "sysroot/ostree") {
			t.Errorf("oslayer lint %s shows the object store:\n%s", strings.Join(args, " "), out)
		}
		var res lint.Result
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatal(err)
		}
		return res, code
	}
	usrOverrides := func(res lint.Result) []string {
		var out []string
		for _, f := range res.Findings {
			if f.Rule == "usr-override" {
				out = append(out, f.Path+" "+f.Package+" "+string(f.Level))
			}
		}
		return out
	}
	if res, code := lintJSON(ref("base")); code != 0 || res.Counts.Fatal != 0 {
		t.Errorf("lint of the base: exit %d, findings %+v", code, res.Findings)
	}
	lres, code := lintJSON(ref("derived"))
	if code != 1 {
		t.Errorf("lint of the derived image: exit %d, want 1", code)
	}
	sameList(t, "usr-override findings", []string{"/usr/bin/true coreutils fatal", "/usr/bin/true-alias  fatal", "/usr/bin/yes coreutils fatal"}, usrOverrides(lres))
	lres, code = lintJSON(ref("override"))
	if code != 0 {
		t.Errorf("lint of the image with LABEL ostree.override=true: exit %d, want 0", code)
	}
	sameList(t, "usr-override findings with the label", []string{"/usr/bin/true coreutils info", "/usr/bin/true-alias  info", "/usr/bin/yes coreutils info"}, usrOverrides(lres))

	// chunk: the output has the derived image's content, in other layers.
	if _, stderr, code := oslayer(t, t.TempDir(), "chunk", ref("derived"), ref("chunked")); code != 0 {
		t.Fatalf("chunk: exit %d\n%s", code, stderr)
	}
	same := diffJSON(t, ref("derived"), ref("chunked"))
	if len(same.Changes) != 0 || len(same.Packages) != 0 {
		t.Errorf("chunked image differs from its source: %v %v", changeLines(same), packageLines(same))
	}
	chunked := diffJSON(t, ref("base"), ref("chunked"))
	sameList(t, "changes of the chunked image", encapsulatedChanges, changeLines(chunked))
	if chunked.Summary.Total != res.Summary.Total {
		t.Errorf("summary of the chunked image %+v, of its source %+v", chunked.Summary.Total, res.Summary.Total)
	}
}
