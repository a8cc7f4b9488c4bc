package pkgdb_test

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer/pkgdb"
)

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

var (
	debV1 = fixtures.DebSpec{
		Name: "hello", Version: "1.0-1", Arch: "amd64", Source: "hello-src (1.0-1)", MultiArch: "same",
		Files: []fixtures.DebFile{
			{Path: "/usr/bin/hello", Content: "#!/bin/sh\necho hello\n", Mode: 0o755},
			{Path: "/usr/bin/hi", Symlink: "hello"},
			{Path: "/etc/hello.conf", Content: "greeting=hello\n"},
		},
		Conffiles: []string{"/etc/hello.conf"},
	}
	debV2 = fixtures.DebSpec{
		Name: "hello", Version: "1.0-2", Arch: "amd64", Source: "hello-src (1.0-2)", MultiArch: "same",
		Files: []fixtures.DebFile{
			{Path: "/usr/bin/hello", Content: "#!/bin/sh\necho hello, world\n", Mode: 0o755},
			{Path: "/etc/hello.conf", Content: "greeting=hello\n"},
			{Path: "/usr/share/doc/hello/README", Content: "Say hello.\n"},
		},
		Conffiles: []string{"/etc/hello.conf"},
	}
	debTool = fixtures.DebSpec{
		Name: "tool", Version: "1:2.0~rc1-3",
		Files: []fixtures.DebFile{{Path: "/usr/share/tool/data", Content: "data\n"}},
	}
	debGone = fixtures.DebSpec{
		Name: "gone", Version: "1",
		Files:     []fixtures.DebFile{{Path: "/etc/gone.conf", Content: "x\n"}},
		Conffiles: []string{"/etc/gone.conf"},
	}
)

// debFiles is what Read reports for a package: dpkg's .list has every
// parent directory too, and its md5sums every regular file.
func debFiles(s fixtures.DebSpec) []pkgdb.File {
	byPath := map[string]pkgdb.File{"/": {Path: "/"}}
	for _, f := range s.Files {
		for d := filepath.Dir(f.Path); d != "/"; d = filepath.Dir(d) {
			byPath[d] = pkgdb.File{Path: d}
		}
		pf := pkgdb.File{Path: f.Path}
		if f.Symlink == "" {
			pf.Digest, pf.Algo = md5hex(f.Content), "md5"
		}
		for _, c := range s.Conffiles {
			if c == f.Path {
				pf.Flags = 1
			}
		}
		byPath[f.Path] = pf
	}
	var files []pkgdb.File
	for _, f := range byPath {
		files = append(files, f)
	}
	sortFiles(files)
	return files
}

func debPackage(s fixtures.DebSpec) pkgdb.Package {
	p := pkgdb.Package{Name: s.Name, Version: s.Version, Arch: s.Arch, Source: s.Name, Files: debFiles(s)}
	if p.Arch == "" {
		p.Arch = "all"
	}
	if s.Source != "" {
		p.Source, _, _ = strings.Cut(s.Source, " ")
	}
	return p
}

func TestReadDpkg(t *testing.T) {
	fixtures.RequireRoot(t)
	fixtures.RequireTools(t, "dpkg", "dpkg-deb")
	out := t.TempDir()
	v1 := fixtures.BuildDeb(t, out, debV1)
	v2 := fixtures.BuildDeb(t, out, debV2)
	root := t.TempDir()
	fixtures.InstallDebs(t, root, v1, fixtures.BuildDeb(t, out, debTool), fixtures.BuildDeb(t, out, debGone))
	fixtures.InstallDebs(t, root, v2)
	// Removed, not purged: "deinstall ok config-files" does not count.
	fixtures.Run(t, "", "dpkg", "--root="+root, "--force-not-root", "--force-script-chrootless", "--log=/dev/null", "-r", "gone")
	if _, err := os.Stat(filepath.Join(root, "var/lib/dpkg/info/hello:amd64.list")); err != nil {
		t.Fatalf("dpkg did not name the Multi-Arch: same package's files hello:amd64.*: %v", err)
	}

	got, err := pkgdb.Read(context.Background(), os.DirFS(root))
	if err != nil {
		t.Fatal(err)
	}
	want := []*pkgdb.DB{{
		Kind: pkgdb.KindDpkg, Format: "status", Path: "/var/lib/dpkg/status",
		Packages: []pkgdb.Package{debPackage(debV2), debPackage(debTool)},
	}}
	if !reflect.DeepEqual(want, got) {
		t.Errorf("Read (-want +got):\n%s", diffDBs(want, got))
	}

	// The same packages as a distroless image records them: a stanza and
	// an md5sums file per package in status.d, no info/ files.
	distroless := t.TempDir()
	statusD := mkdir(t, distroless, "var/lib/dpkg/status.d")
	status, err := os.ReadFile(filepath.Join(root, "var/lib/dpkg/status"))
	if err != nil {
		t.Fatal(err)
	}
	for _, stanza := range strings.Split(strings.TrimSpace(string(status)), "\n\n") {
		name, _, _ := strings.Cut(strings.TrimPrefix(stanza, "Package: "), "\n")
		if name == "gone" {
			continue
		}
		// Distroless stanzas have no Status field.
		var lines []string
		for _, l := range strings.Split(stanza, "\n") {
			if !strings.HasPrefix(l, "Status:") {
				lines = append(lines, l)
			}
		}
		writeFile(t, filepath.Join(statusD, name), strings.Join(lines, "\n")+"\n")
		sums, err := filepath.Glob(filepath.Join(root, "var/lib/dpkg/info", name+"*.md5sums"))
		if err != nil || len(sums) != 1 {
			t.Fatalf("md5sums of %s: %v %v", name, sums, err)
		}
		copyFile(t, sums[0], filepath.Join(statusD, name+".md5sums"))
	}
	got, err = pkgdb.Read(context.Background(), os.DirFS(distroless))
	if err != nil {
		t.Fatal(err)
	}
	// Without .list only the md5sums' files and the conffiles are known.
	only := func(p pkgdb.Package) pkgdb.Package {
		var files []pkgdb.File
		for _, f := range p.Files {
			if f.Digest != "" {
				files = append(files, f)
			}
		}
		p.Files = files
		return p
	}
	want = []*pkgdb.DB{{
		Kind: pkgdb.KindDpkg, Format: "status.d", Path: "/var/lib/dpkg/status.d",
		Packages: []pkgdb.Package{only(debPackage(debV2)), only(debPackage(debTool))},
	}}
	if !reflect.DeepEqual(want, got) {
		t.Errorf("Read status.d (-want +got):\n%s", diffDBs(want, got))
	}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadDpkgErrors(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
		want string
	}{{
		name: "no colon",
		fsys: fstest.MapFS{"var/lib/dpkg/status": {Data: []byte("Package: a\nStatus: install ok installed\nVersion 1\n")}},
		want: "reading /var/lib/dpkg/status: line 3: want \"Field: value\", got \"Version 1\"",
	}, {
		name: "continuation first",
		fsys: fstest.MapFS{"var/lib/dpkg/status": {Data: []byte("\n continued\n")}},
		want: "reading /var/lib/dpkg/status: line 2: continuation line outside a field",
	}, {
		name: "no version",
		fsys: fstest.MapFS{"var/lib/dpkg/status": {Data: []byte("Package: a\nStatus: install ok installed\n\nPackage: b\nStatus: install ok installed\n")}},
		want: "reading /var/lib/dpkg/status: line 1: installed package without Package or Version",
	}, {
		name: "bad md5sums",
		fsys: fstest.MapFS{
			"var/lib/dpkg/status":           {Data: []byte("Package: a\nStatus: install ok installed\nVersion: 1\n")},
			"var/lib/dpkg/info/a.md5sums":   {Data: []byte("d41d8cd98f00b204e9800998ecf8427e  usr/bin/a\nnot-a-sum  usr/bin/b\n")},
			"var/lib/dpkg/info/a.list":      {Data: []byte("/.\n/usr\n")},
			"var/lib/dpkg/info/a.conffiles": {Data: []byte("")},
		},
		want: "reading /var/lib/dpkg/status: package a (line 1): reading /var/lib/dpkg/info/a.md5sums: line 2: want \"<md5>  <path>\", got \"not-a-sum  usr/bin/b\"",
	}, {
		name: "status.d",
		fsys: fstest.MapFS{"var/lib/dpkg/status.d/libc6": {Data: []byte("Package: libc6\nVersion: 2.36\nPackage: again\n")}},
		want: "reading /var/lib/dpkg/status.d/libc6: line 3: field Package repeated in the stanza starting at line 1",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pkgdb.Read(context.Background(), tt.fsys)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Read error (-want +got):\n-%s\n+%v", tt.want, err)
			}
		})
	}
}

func TestReadDpkgStatus(t *testing.T) {
	status := "Package: crlf\r\nStatus: install ok installed\r\nVersion: 1.0\r\nArchitecture: arm64\r\nSource: crlf-src (0.9)\r\n" +
		"Conffiles:\r\n /etc/crlf.conf 0123456789abcdef0123456789abcdef\r\n /etc/old.conf newconffile\r\n" +
		"Description: a\r\n long\r\n .\r\n description\r\n\r\n" +
		"Package: half\nStatus: install reinstreq half-installed\nVersion: 2\nArchitecture: all\n\n\n" +
		"Package: removed\nStatus: deinstall ok config-files\nVersion: 3\n\n" +
		"Package: notinstalled\nStatus: purge ok not-installed\n\n" +
		"Package: half\nStatus: install ok unpacked\nVersion: 1\nArchitecture: all\n"
	fsys := fstest.MapFS{
		"var/lib/dpkg/status":                  {Data: []byte(status)},
		"var/lib/dpkg/info/crlf:arm64.list":    {Data: []byte("/.\n/etc\n/etc/crlf.conf\n/usr/bin/crlf\n")},
		"var/lib/dpkg/info/crlf.list":          {Data: []byte("/wrong\n")},
		"var/lib/dpkg/info/crlf:arm64.md5sums": {Data: []byte("D41D8CD98F00B204E9800998ECF8427E  usr/bin/crlf\r\n")},
		"var/lib/dpkg/info/half.list":          {Data: []byte("/usr/share/half\n")},
	}
	got, err := pkgdb.Read(context.Background(), fsys)
	if err != nil {
		t.Fatal(err)
	}
	want := []*pkgdb.DB{{Kind: pkgdb.KindDpkg, Format: "status", Path: "/var/lib/dpkg/status", Packages: []pkgdb.Package{
		{Name: "crlf", Version: "1.0", Arch: "arm64", Source: "crlf-src", Files: []pkgdb.File{
			{Path: "/"}, {Path: "/etc"},
			{Path: "/etc/crlf.conf", Digest: "0123456789abcdef0123456789abcdef", Algo: "md5", Flags: 1},
			{Path: "/etc/old.conf", Algo: "", Flags: 1},
			{Path: "/usr/bin/crlf", Digest: "d41d8cd98f00b204e9800998ecf8427e", Algo: "md5"},
		}},
		{Name: "half", Version: "1", Arch: "all", Source: "half", Files: []pkgdb.File{{Path: "/usr/share/half"}}},
		{Name: "half", Version: "2", Arch: "all", Source: "half", Files: []pkgdb.File{{Path: "/usr/share/half"}}},
	}}}
	if !reflect.DeepEqual(want, got) {
		t.Errorf("Read (-want +got):\n%s", diffDBs(want, got))
	}
}
