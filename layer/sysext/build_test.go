package sysext_test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/internal/listing"
	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/layer/sysext"
)

const caps = "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"

// baseFiles is a small OS: merged /usr, os-release, a package's files.
func baseFiles() []fixtures.File {
	return []fixtures.File{
		fixtures.Dir("usr", 0o755), fixtures.Dir("usr/bin", 0o755), fixtures.Dir("usr/lib", 0o755),
		fixtures.Reg("usr/bin/bash", "bash 5.2\n", 0o755),
		fixtures.Reg("usr/lib/os-release", "NAME=\"Fixture OS\"\nID=fixture\nVERSION_ID=1\n", 0o644),
		fixtures.Dir("usr/share", 0o755), fixtures.Dir("usr/share/doc", 0o755), fixtures.Reg("usr/share/doc/README", "read me\n", 0o644),
		fixtures.Dir("etc", 0o755), fixtures.Symlink("etc/os-release", "../usr/lib/os-release"),
		fixtures.Dir("var", 0o755), fixtures.Dir("opt", 0o755),
	}
}

// additions is what a derived layer adds: a program with a capability
// (and a label bootc would drop), a hard link to it, a symlink, a unit, an
// /opt tree, a configuration file.
func additions() []fixtures.File {
	hello := fixtures.Reg("usr/bin/hello", "#!/bin/sh\necho hello\n", 0o755)
	hello.Xattrs = map[string]string{"security.capability": caps, "security.selinux": "system_u:object_r:bin_t:s0"}
	setuid := fixtures.Reg("usr/bin/hello-admin", "admin\n", 0o4750)
	setuid.GID = 10
	return []fixtures.File{
		hello, fixtures.Hardlink("usr/bin/hi", "usr/bin/hello", 0o755), fixtures.Symlink("usr/bin/hey", "hello"), setuid,
		fixtures.Dir("usr/lib/systemd", 0o755), fixtures.Dir("usr/lib/systemd/system", 0o755),
		fixtures.Reg("usr/lib/systemd/system/hello.service", "[Service]\nExecStart=/usr/bin/hello\n", 0o644),
		fixtures.Dir("opt/hello", 0o755), fixtures.Reg("opt/hello/data", strings.Repeat("data ", 1000), 0o640),
		fixtures.Dir("etc/hello", 0o750), fixtures.Reg("etc/hello/hello.conf", "greeting=hi\n", 0o640),
	}
}

// source opens derived (the base's layer plus layers) with its base.
func source(t *testing.T, arch string, layers ...[]fixtures.File) *layer.Source {
	t.Helper()
	return sourceOn(t, baseFiles(), arch, layers...)
}

// sourceOn is source on a base of the given files.
func sourceOn(t *testing.T, files []fixtures.File, arch string, layers ...[]fixtures.File) *layer.Source {
	t.Helper()
	baseLayer := fixtures.Layer(t, files...)
	base := fixtures.Image(t, nil, nil, baseLayer)
	all := []v1.Layer{baseLayer}
	for _, l := range layers {
		all = append(all, fixtures.Layer(t, l...))
	}
	derived := fixtures.Image(t, nil, nil, all...)
	if arch != "" {
		cf, err := derived.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf.Architecture = arch
		derived = mutateConfig(t, derived, cf)
	}
	dir := t.TempDir()
	fixtures.WriteOCILayout(t, dir, fixtures.Named{Name: "base", Image: base}, fixtures.Named{Name: "derived", Image: derived})
	loader, err := layer.NewLoader(nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { loader.Close() })
	src, err := layer.OpenSource(context.Background(), layer.Request{Ref: "oci:" + dir + ":derived", Base: "oci:" + dir + ":base",
		BaseMode: layer.BaseRequired, Content: layer.ContentKept, Packages: true, Loader: loader})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

func prepare(t *testing.T, src *layer.Source, opts sysext.Options) *sysext.Build {
	t.Helper()
	b, err := sysext.Prepare(src, diff.Changes(src, diff.CompareOptions{}), opts)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func problems(b *sysext.Build) []string {
	var out []string
	for _, p := range b.Problems {
		out = append(out, p.Kind.String()+" "+p.Path)
	}
	return out
}

func same(t *testing.T, what string, want, got []string) {
	t.Helper()
	if !slices.Equal(want, got) {
		t.Errorf("%s (-want +got):\n-%s\n+%s", what, strings.Join(want, "\n-"), strings.Join(got, "\n+"))
	}
}

// TestPrepare: what goes into a sysext and a confext of the same layers,
// and their release files.
func TestPrepare(t *testing.T) {
	src := source(t, "amd64", additions())
	b := prepare(t, src, sysext.Options{Kinds: []sysext.Kind{sysext.System, sysext.Config}, Name: "hello"})
	same(t, "problems", nil, problems(b))
	if len(b.Images) != 2 {
		t.Fatalf("%d images", len(b.Images))
	}
	var paths [2][]string
	for i, img := range b.Images {
		for _, e := range img.Entries {
			line := "/" + e.Path
			if e.Hardlink != "" {
				line += " = /" + e.Hardlink
			}
			paths[i] = append(paths[i], line)
			if _, ok := e.Xattrs["security.selinux"]; ok {
				t.Errorf("/%s keeps its SELinux label", e.Path)
			}
		}
	}
	same(t, "sysext", []string{"/", "/opt", "/opt/hello", "/opt/hello/data", "/usr", "/usr/bin", "/usr/bin/hello", "/usr/bin/hello-admin",
		"/usr/bin/hey", "/usr/bin/hi = /usr/bin/hello", "/usr/lib", "/usr/lib/extension-release.d", "/usr/lib/extension-release.d/extension-release.hello",
		"/usr/lib/systemd", "/usr/lib/systemd/system", "/usr/lib/systemd/system/hello.service"}, paths[0])
	same(t, "confext", []string{"/", "/etc", "/etc/extension-release.d", "/etc/extension-release.d/extension-release.hello", "/etc/hello", "/etc/hello/hello.conf"}, paths[1])
	if r := string(b.Images[0].Release.Bytes(sysext.System)); r != "ID=fixture\nVERSION_ID=1\nARCHITECTURE=x86-64\nEXTENSION_RELOAD_MANAGER=1\n" {
		t.Errorf("sysext release:\n%s", r)
	}
	if r := string(b.Images[1].Release.Bytes(sysext.Config)); r != "ID=fixture\nVERSION_ID=1\nARCHITECTURE=x86-64\n" {
		t.Errorf("confext release:\n%s", r)
	}
	if b.OSRelease != "/etc/os-release" {
		t.Errorf("os-release read from %q", b.OSRelease)
	}
}

// TestPrepareOptOnVar: on a base whose /opt is a symlink to var/opt (Fedora
// CoreOS, Fedora bootc), what a build puts in /opt is in var/opt in the
// layers; the sysext holds it as opt/, where systemd-sysext merges it.
func TestPrepareOptOnVar(t *testing.T) {
	files := append(slices.DeleteFunc(baseFiles(), func(f fixtures.File) bool { return f.Path == "opt/" }),
		fixtures.Symlink("opt", "var/opt"), fixtures.Dir("var/opt", 0o755))
	src := sourceOn(t, files, "", []fixtures.File{fixtures.Dir("var/opt/app", 0o750), fixtures.Reg("var/opt/app/run", "#!/bin/sh\n", 0o755),
		fixtures.Symlink("var/opt/app/data", "../../lib/app")})
	b := prepare(t, src, sysext.Options{Kinds: []sysext.Kind{sysext.System}, Name: "app"})
	same(t, "problems", nil, problems(b))
	var got []string
	for _, e := range b.Images[0].Entries {
		got = append(got, fmt.Sprintf("/%s %s %04o %s", e.Path, e.Type, e.Mode, e.Linkname))
	}
	same(t, "entries", []string{"/ directory 0755 ", "/opt directory 0755 ", "/opt/app directory 0750 ", "/opt/app/data symlink 0777 ../../lib/app",
		"/opt/app/run file 0755 ", "/usr directory 0755 ", "/usr/lib directory 0755 ", "/usr/lib/extension-release.d directory 0755 ",
		"/usr/lib/extension-release.d/extension-release.app file 0644 "}, got)
}

// TestPrepareProblems: what an extension cannot express, and the options
// that accept some of it.
func TestPrepareProblems(t *testing.T) {
	changes := append(additions(),
		fixtures.Reg("usr/bin/bash", "bash 5.2, patched\n", 0o755),
		fixtures.Whiteout("usr/share/doc/README"),
		fixtures.Dir("var/lib", 0o755), fixtures.Dir("var/lib/hello", 0o755), fixtures.Reg("var/lib/hello/state", "0\n", 0o644),
		fixtures.Dir("srv", 0o755),
	)
	src := source(t, "wasm", changes)
	sys := []sysext.Kind{sysext.System}
	b := prepare(t, src, sysext.Options{Kinds: sys, Name: "hello"})
	same(t, "problems", []string{"outside /etc/hello", "outside /srv", "changed /usr/bin/bash", "removed /usr/share/doc/README", "outside /var/lib"}, problems(b))
	for _, p := range b.Problems {
		if p.Path == "/var/lib" && p.Below != 2 {
			t.Errorf("/var/lib covers %d paths below it, want 2", p.Below)
		}
		if p.Path == "/usr/bin/bash" && !strings.Contains(p.Message(), "content") {
			t.Errorf("message %q does not say what changed", p.Message())
		}
	}
	b = prepare(t, src, sysext.Options{Kinds: sys, Name: "hello", IgnoreOutside: true, AllowOverride: true})
	same(t, "problems with --ignore-outside --allow-override", []string{"removed /usr/share/doc/README"}, problems(b))
	same(t, "overrides", []string{"/usr/bin/bash"}, b.Overrides)
	if b.Ignored != 6 {
		t.Errorf("%d paths ignored, want 6", b.Ignored)
	}
	if r := string(b.Images[0].Release.Bytes(sysext.System)); r != "ID=fixture\nVERSION_ID=1\nEXTENSION_RELOAD_MANAGER=1\n" {
		t.Errorf("release without an architecture:\n%s", r)
	}

	src = source(t, "", []fixtures.File{fixtures.Reg("usr/lib/os-release", "ID=other\n", 0o644),
		fixtures.Dir("usr/lib/extension-release.d", 0o755), fixtures.Reg("usr/lib/extension-release.d/extension-release.hello", "ID=_any\n", 0o644)})
	b = prepare(t, src, sysext.Options{Kinds: sys, Name: "hello", AllowOverride: true})
	same(t, "forbidden", []string{"forbidden /usr/lib/extension-release.d/extension-release.hello", "forbidden /usr/lib/os-release"}, problems(b))
}

// TestPrepareRefuses: content that has no place in an extension is an
// error, whatever the options.
func TestPrepareRefuses(t *testing.T) {
	cases := map[string][]fixtures.File{
		"a device node": {{Path: "usr/bin/mem", Type: tar.TypeChar, Mode: 0o600}},
		"climbs out":    {fixtures.Symlink("usr/bin/escape", "../../../etc/shadow")},
	}
	for name, files := range cases {
		t.Run(name, func(t *testing.T) {
			src := source(t, "", files)
			_, err := sysext.Prepare(src, diff.Changes(src, diff.CompareOptions{}), sysext.Options{Kinds: []sysext.Kind{sysext.System}, Name: "x", AllowOverride: true})
			if err == nil || !strings.Contains(err.Error(), "/usr/bin/") {
				t.Errorf("error %v, want one naming the path", err)
			}
		})
	}
	src := source(t, "", additions())
	for _, opts := range []sysext.Options{
		{Kinds: []sysext.Kind{sysext.System}, Name: ".hidden"},
		{Kinds: []sysext.Kind{sysext.System}, Name: "a/b"},
		{Kinds: []sysext.Kind{sysext.System, sysext.System}, Name: "x"},
		{Kinds: []sysext.Kind{sysext.System}, Name: "x", Release: sysext.ReleaseOptions{ID: "Bad ID"}},
	} {
		if _, err := sysext.Prepare(src, nil, opts); err == nil {
			t.Errorf("%+v: no error", opts)
		}
	}
}

// write writes every image of the build in format f into dir, and
// returns the files written and the listing of each image's entries.
func write(t *testing.T, src *layer.Source, b *sysext.Build, f sysext.Format, dir string) (paths []string, want [][]string) {
	t.Helper()
	loader, err := layer.NewLoader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer loader.Close()
	contents, err := b.Load(context.Background(), src, loader, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer contents.Close()
	for _, img := range b.Images {
		want = append(want, listing.Entries(t, img.Entries))
		dest := filepath.Join(dir, img.Kind.String(), img.Name)
		if f != sysext.Directory {
			dest += sysext.ImageSuffix
		}
		if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := sysext.Write(context.Background(), img, f, dest, sysext.WriteOptions{ModTime: 1700000000, TmpDir: t.TempDir()}); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, dest)
	}
	return paths, want
}

// TestWriteAndOpen writes both extensions in every format and reads them
// back: the same paths, metadata, contents and hard links, the release
// files where systemd looks. Twice: the same bytes.
func TestWriteAndOpen(t *testing.T) {
	src := source(t, "arm64", additions())
	formats := []sysext.Format{sysext.Squashfs}
	if os.Geteuid() == 0 {
		formats = append(formats, sysext.Directory) // owners and capabilities need root
		if _, err := os.Stat("/usr/bin/mkfs.erofs"); err == nil || fixtures.InCI() {
			formats = append(formats, sysext.EROFS)
		}
	}
	for _, f := range formats {
		t.Run(f.String(), func(t *testing.T) {
			b := prepare(t, src, sysext.Options{Kinds: []sysext.Kind{sysext.System, sysext.Config}, Name: "hello"})
			first, want := write(t, src, b, f, t.TempDir())
			for i, p := range first {
				img := b.Images[i]
				x, err := sysext.Open(context.Background(), p)
				if err != nil {
					t.Fatal(err)
				}
				if x.Format != f || x.Name != "hello" {
					t.Errorf("%s: read as %s %q", p, x.Format, x.Name)
				}
				same(t, p, want[i], listing.Tree(t, x.Tree, nil))
				rf := x.Releases[img.Kind]
				if rf == nil || rf.Fields["ID"] != "fixture" || rf.Fields["ARCHITECTURE"] != "arm64" || rf.Relaxed {
					t.Errorf("%s: release %+v", p, rf)
				}
				if n := x.Tree.Lookup("usr/bin/hello"); n != nil && n.ModTime != 1700000000*1e9 {
					t.Errorf("%s: mtime %d", p, n.ModTime)
				}
			}
			if f == sysext.Directory {
				return
			}
			second, _ := write(t, src, prepare(t, src, sysext.Options{Kinds: []sysext.Kind{sysext.System, sysext.Config}, Name: "hello"}), f, t.TempDir())
			for i := range first {
				a, _ := os.ReadFile(first[i])
				c, _ := os.ReadFile(second[i])
				if !bytes.Equal(a, c) || len(a) == 0 {
					t.Errorf("%s and %s differ", first[i], second[i])
				}
			}
		})
	}
}

func mutateConfig(t *testing.T, img v1.Image, cf *v1.ConfigFile) v1.Image {
	t.Helper()
	out, err := mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
