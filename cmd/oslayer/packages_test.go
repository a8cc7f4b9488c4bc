package main

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/fixtures"
)

// pkgImages builds a base image from root, then a derived image whose one
// layer buildah computes after change has modified a mounted container of
// the base, and returns the OCI layout holding both as base and derived.
func pkgImages(t *testing.T, root string, change func(mnt string)) string {
	t.Helper()
	bh := fixtures.NewBuildah(t)
	layout, err := os.MkdirTemp("", "oslayer-pkg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(layout) })
	base := fixtures.Image(t, fixtures.BaseLabels, nil, fixtures.LayerFromDir(t, root))
	fixtures.WriteOCILayout(t, layout, fixtures.Named{Name: "base", Image: base})
	ctr := bh.From("oci:" + layout + ":base")
	change(bh.Mount(ctr))
	bh.Commit(ctr, "localhost/derived:1")
	bh.Push("localhost/derived:1", "oci:"+layout+":derived")
	return layout
}

func diffJSON(t *testing.T, args ...string) diff.Result {
	t.Helper()
	out, stderr, code := oslayer(t, t.TempDir(), append([]string{"diff", "--format", "json"}, args...)...)
	if code != 0 {
		t.Fatalf("exit code %d\n%s", code, stderr)
	}
	var res diff.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	return res
}

func changeLines(res diff.Result) []string {
	var out []string
	for _, c := range res.Changes {
		out = append(out, strings.TrimSpace(c.Path+" "+c.Kind.String()+" "+c.Package))
	}
	return out
}

func packageLines(res diff.Result) []string {
	var out []string
	for _, p := range res.Packages {
		out = append(out, strings.Join([]string{string(p.Manager), p.Name, p.Kind.String(), p.From, p.To}, " "))
	}
	return out
}

func sameList(t *testing.T, what string, want, got []string) {
	t.Helper()
	if !slices.Equal(want, got) {
		t.Errorf("%s (-want +got):\n-%s\n+%s", what, strings.Join(want, "\n-"), strings.Join(got, "\n+"))
	}
}

func TestDiffOfARealRPMUpgrade(t *testing.T) {
	fixtures.RequireRoot(t)
	pkgs := t.TempDir()
	hello1 := fixtures.BuildRPM(t, pkgs, fixtures.RPMSpec{Name: "hello", Version: "1.0", Release: "1", Files: []fixtures.RPMFile{
		{Path: "/usr/bin/hello", Content: "hello 1.0\n", Mode: 0o755},
		{Path: "/usr/share/doc/hello/README", Content: "hello\n"},
		{Path: "/etc/hello.conf", Content: "greeting=hi\n", Config: true},
	}})
	hello2 := fixtures.BuildRPM(t, pkgs, fixtures.RPMSpec{Name: "hello", Version: "1.1", Release: "1", Files: []fixtures.RPMFile{
		{Path: "/usr/bin/hello", Content: "hello 1.1, faster\n", Mode: 0o755},
		{Path: "/usr/share/doc/hello/README", Content: "hello\n"},
		{Path: "/etc/hello.conf", Content: "greeting=hi\n", Config: true},
	}})
	tool := fixtures.BuildRPM(t, pkgs, fixtures.RPMSpec{Name: "tool", Version: "3", Release: "2", Epoch: 1, Files: []fixtures.RPMFile{
		{Path: "/usr/bin/tool", Content: "tool\n", Mode: 0o755},
	}})
	extra := fixtures.BuildRPM(t, pkgs, fixtures.RPMSpec{Name: "extra", Version: "0.9", Release: "1", Files: []fixtures.RPMFile{
		{Path: "/usr/bin/extra", Content: "extra\n", Mode: 0o755},
	}})
	root := t.TempDir()
	fixtures.InstallRPMs(t, root, "/usr/lib/sysimage/rpm", "sqlite", hello1, tool)

	layout := pkgImages(t, root, func(mnt string) {
		fixtures.InstallRPMs(t, mnt, "/usr/lib/sysimage/rpm", "sqlite", hello2, extra)
		fixtures.Run(t, "", "rpm", "--root", mnt, "--dbpath", "/usr/lib/sysimage/rpm", "-e", "--nodeps", "--noscripts", "tool")
	})
	res := diffJSON(t, "oci:"+layout+":base", "oci:"+layout+":derived")
	sameList(t, "packages", []string{
		"rpm extra added  0.9-1",
		"rpm hello upgraded 1.0-1 1.1-1",
		"rpm tool removed 1:3-2 ",
	}, packageLines(res))
	sameList(t, "changes", []string{
		"/usr/bin/extra added extra",
		"/usr/bin/hello modified hello",
		"/usr/bin/tool removed tool",
		"/usr/lib/sysimage/rpm/rpmdb.sqlite modified",
		// rpm leaves sqlite's shared-memory file behind in every root.
		"/usr/lib/sysimage/rpm/rpmdb.sqlite-shm modified",
	}, changeLines(res))
}

func TestDiffOfARealDpkgUpgrade(t *testing.T) {
	fixtures.RequireRoot(t)
	pkgs := t.TempDir()
	hello1 := fixtures.BuildDeb(t, pkgs, fixtures.DebSpec{Name: "hello", Version: "1.0-1", Arch: "amd64", Files: []fixtures.DebFile{
		{Path: "/usr/bin/hello", Content: "hello 1.0\n", Mode: 0o755},
		{Path: "/etc/hello.conf", Content: "greeting=hi\n"},
	}, Conffiles: []string{"/etc/hello.conf"}})
	hello2 := fixtures.BuildDeb(t, pkgs, fixtures.DebSpec{Name: "hello", Version: "1:0.9-1", Arch: "amd64", Files: []fixtures.DebFile{
		{Path: "/usr/bin/hello", Content: "hello 0.9 with an epoch\n", Mode: 0o755},
		{Path: "/etc/hello.conf", Content: "greeting=hi\n"},
	}, Conffiles: []string{"/etc/hello.conf"}})
	libx := fixtures.BuildDeb(t, pkgs, fixtures.DebSpec{Name: "libx1", Version: "2.0-3", Arch: "amd64", MultiArch: "same", Source: "libx", Files: []fixtures.DebFile{
		{Path: "/usr/lib/x86_64-linux-gnu/libx.so.1", Content: "ELF libx 2.0\n"},
	}})
	libx2 := fixtures.BuildDeb(t, pkgs, fixtures.DebSpec{Name: "libx1", Version: "2.0-3+deb12u1", Arch: "amd64", MultiArch: "same", Source: "libx", Files: []fixtures.DebFile{
		{Path: "/usr/lib/x86_64-linux-gnu/libx.so.1", Content: "ELF libx 2.0, security fix\n"},
	}})
	root := t.TempDir()
	fixtures.InstallDebs(t, root, hello1, libx)

	layout := pkgImages(t, root, func(mnt string) {
		fixtures.InstallDebs(t, mnt, hello2, libx2)
	})
	res := diffJSON(t, "oci:"+layout+":base", "oci:"+layout+":derived")
	sameList(t, "packages", []string{
		"dpkg hello upgraded 1.0-1 1:0.9-1",
		"dpkg libx1 upgraded 2.0-3 2.0-3+deb12u1",
	}, packageLines(res))
	got := changeLines(res)
	for _, want := range []string{
		"/usr/bin/hello modified hello",
		"/usr/lib/x86_64-linux-gnu/libx.so.1 modified libx1",
		"/var/lib/dpkg/status modified",
	} {
		if !slices.Contains(got, want) {
			t.Errorf("changes lack %q:\n%s", want, strings.Join(got, "\n"))
		}
	}
	for _, c := range got {
		if !strings.HasPrefix(c, "/var/lib/dpkg/") && !strings.HasPrefix(c, "/usr/bin/hello ") && !strings.HasPrefix(c, "/usr/lib/x86_64-linux-gnu/libx.so.1 ") {
			t.Errorf("unexpected change %q", c)
		}
	}
}
