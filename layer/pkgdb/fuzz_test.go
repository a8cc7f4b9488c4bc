package pkgdb

import (
	"context"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/oslayer/oslayer/fixtures"
)

var update = flag.Bool("update", false, "regenerate testdata/ from real rpm and dpkg databases")

// seeds are the rpm databases in testdata/, made by the real tools (see
// TestTestdata) and used as fuzz seeds.
var seeds = []struct {
	file  string
	parse func([]byte) ([][]byte, error)
}{
	{"rpm/Packages.db", ndbBlobs},
	{"rpm/Packages", bdbBlobs},
	{"rpm/Packages.be", bdbBlobs},
	{"rpm/header.bin", func(b []byte) ([][]byte, error) { return [][]byte{b}, nil }},
}

// seedPackages are the packages in each rpm seed.
var seedPackages = []string{"hello-1:1.0-1", "tiny-0.1-1"}

// TestTestdata regenerates testdata/ with -update, and otherwise checks
// that it still reads as made.
func TestTestdata(t *testing.T) {
	if *update {
		makeTestdata(t)
	}
	for _, s := range seeds {
		data, err := os.ReadFile(filepath.Join("testdata", s.file))
		if err != nil {
			t.Fatal(err)
		}
		blobs, err := s.parse(data)
		if err != nil {
			t.Fatalf("%s: %v", s.file, err)
		}
		pkgs, err := rpmPackages(context.Background(), blobs, ReadOptions{})
		if err != nil {
			t.Fatalf("%s: %v", s.file, err)
		}
		var got []string
		for _, p := range pkgs {
			got = append(got, p.Name+"-"+p.EVR())
		}
		want := seedPackages
		if s.file == "rpm/header.bin" {
			want = want[:1]
		}
		if !reflect.DeepEqual(want, got) {
			t.Errorf("%s (-want +got):\n-%v\n+%v", s.file, want, got)
		}
	}
	db, err := readDpkgStatus(context.Background(), fstest.MapFS{"var/lib/dpkg/status": {Data: readTestdata(t, "dpkg/status")}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(db.Packages), 2; got != want {
		t.Errorf("dpkg/status: %d packages, want %d", got, want)
	}
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// makeTestdata writes small real databases to testdata/.
func makeTestdata(t *testing.T) {
	fixtures.RequireRoot(t)
	out := t.TempDir()
	rpms := []string{
		fixtures.BuildRPM(t, out, fixtures.RPMSpec{Name: "hello", Version: "1.0", Release: "1", Epoch: 1, Files: []fixtures.RPMFile{
			{Path: "/usr/bin/hello", Content: "hello\n", Mode: 0o755},
			{Path: "/usr/bin/hi", Symlink: "hello"},
			{Path: "/etc/hello.conf", Content: "x=1\n", Config: true},
			{Path: "/usr/share/hello", Dir: true},
		}}),
		fixtures.BuildRPM(t, out, fixtures.RPMSpec{Name: "tiny", Version: "0.1", Release: "1"}),
	}
	for _, db := range []struct{ backend, file, dst string }{
		{"ndb", "Packages.db", "Packages.db"},
		{"bdb", "Packages", "Packages"},
		{"bdb-be", "Packages", "Packages.be"},
	} {
		root := filepath.Join(t.TempDir(), "root")
		fixtures.InstallRPMs(t, root, "/var/lib/rpm", db.backend, rpms...)
		copyTestdata(t, filepath.Join(root, "var/lib/rpm", db.file), "rpm/"+db.dst)
	}
	blobs, err := ndbBlobs(readTestdata(t, "rpm/Packages.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range blobs {
		if p, err := packageFromHeader(b, ReadOptions{Changelogs: true}); err == nil && p.Name == "hello" {
			writeTestdata(t, "rpm/header.bin", b)
		}
	}

	root := t.TempDir()
	fixtures.InstallDebs(t, root,
		fixtures.BuildDeb(t, out, fixtures.DebSpec{Name: "hello", Version: "1:1.0-1", Arch: "amd64", Source: "hello-src (1.0)",
			Files:     []fixtures.DebFile{{Path: "/usr/bin/hello", Content: "hello\n", Mode: 0o755}, {Path: "/etc/hello.conf", Content: "x=1\n"}},
			Conffiles: []string{"/etc/hello.conf"}}),
		fixtures.BuildDeb(t, out, fixtures.DebSpec{Name: "tiny", Version: "0.1~rc1"}))
	copyTestdata(t, filepath.Join(root, "var/lib/dpkg/status"), "dpkg/status")
}

func copyTestdata(t *testing.T, from, name string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	writeTestdata(t, name, data)
}

func writeTestdata(t *testing.T, name string, data []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func FuzzHeader(f *testing.F) {
	for _, s := range seeds {
		blobs, err := s.parse(readTestdata(f, s.file))
		if err != nil {
			f.Fatal(err)
		}
		for _, b := range blobs {
			f.Add(b)
		}
	}
	f.Add(makeHeader(true, append(basicValues(), changelogValues()...)...))
	f.Fuzz(func(t *testing.T, blob []byte) {
		p, err := packageFromHeader(blob, ReadOptions{Changelogs: true})
		if err != nil {
			return
		}
		if p.Changelog != nil && len(p.Changelog) != len(p.ChangeTimes) {
			t.Errorf("%d changelog entries for %d CHANGELOGTIME values", len(p.Changelog), len(p.ChangeTimes))
		}
		if !slices.IsSortedFunc(p.Files, func(a, b File) int { return strings.Compare(a.Path, b.Path) }) {
			t.Errorf("files not sorted: %v", p.Files)
		}
	})
}

// fuzzBlobs checks that a database reader returns slices of bounded size
// and that the header parser copes with them.
func fuzzBlobs(t *testing.T, data []byte, parse func([]byte) ([][]byte, error)) {
	blobs, err := parse(data)
	if err != nil {
		return
	}
	total := 0
	for _, b := range blobs {
		total += len(b)
		_, _ = packageFromHeader(b, ReadOptions{Changelogs: true})
	}
	if total > len(data) {
		t.Errorf("%d bytes of blobs from a %d-byte file", total, len(data))
	}
}

func FuzzNDB(f *testing.F) {
	f.Add(readTestdata(f, "rpm/Packages.db"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzBlobs(t, data, ndbBlobs) })
}

func FuzzBDB(f *testing.F) {
	f.Add(readTestdata(f, "rpm/Packages"))
	f.Add(readTestdata(f, "rpm/Packages.be"))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzBlobs(t, data, bdbBlobs) })
}

func FuzzDpkgStatus(f *testing.F) {
	f.Add(readTestdata(f, "dpkg/status"), []byte("d41d8cd98f00b204e9800998ecf8427e  usr/bin/hello\n"))
	f.Add([]byte("Package: a\r\nVersion: 1\r\nConffiles:\r\n /etc/a 0123456789abcdef0123456789abcdef\r\n"), []byte(""))
	f.Fuzz(func(t *testing.T, status, md5sums []byte) {
		fsys := fstest.MapFS{
			"var/lib/dpkg/status":             {Data: status},
			"var/lib/dpkg/info/hello.md5sums": {Data: md5sums},
			"var/lib/dpkg/status.d/a":         {Data: status},
			"var/lib/dpkg/status.d/a.md5sums": {Data: md5sums},
		}
		for _, read := range []func(context.Context, fs.FS) (*DB, error){readDpkgStatus, readDpkgStatusD} {
			db, err := read(context.Background(), fsys)
			if err != nil {
				continue
			}
			for _, p := range db.Packages {
				if p.Name == "" || p.Version == "" {
					t.Errorf("package without name or version: %+v", p)
				}
			}
		}
	})
}

func FuzzCompareVersions(f *testing.F) {
	for _, v := range []string{"1.0", "1.0~rc1", "1.0^git1", "1:2.0-1", "2.0-1.fc41", "1.0-1~bpo", "1.0a", "10.0001", "_+", ":", "-", "0:"} {
		f.Add(v, "1.0")
		f.Add(v, v+"~")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		for _, kind := range []Kind{KindRPM, KindDpkg} {
			ab, ba := CompareVersions(kind, a, b), CompareVersions(kind, b, a)
			if ab != -ba || ab < -1 || ab > 1 {
				t.Errorf("%s: CompareVersions(%q, %q) = %d but CompareVersions(%q, %q) = %d", kind, a, b, ab, b, a, ba)
			}
			if c := CompareVersions(kind, a, a); c != 0 {
				t.Errorf("%s: CompareVersions(%q, %q) = %d", kind, a, a, c)
			}
		}
	})
}
