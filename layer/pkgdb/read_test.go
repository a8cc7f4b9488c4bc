package pkgdb_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"testing/fstest"

	"github.com/oslayer/oslayer/layer/pkgdb"
)

func TestIsDatabaseFile(t *testing.T) {
	for p, want := range map[string]bool{
		"usr/lib/sysimage/rpm/rpmdb.sqlite":      true,
		"usr/lib/sysimage/rpm/rpmdb.sqlite-wal":  true,
		"usr/lib/sysimage/rpm/rpmdb.sqlite-shm":  false, // rebuilt from the log
		"usr/lib/sysimage/rpm/Packages.db":       true,
		"usr/lib/sysimage/rpm/Index.db":          false,
		"var/lib/rpm/Packages":                   true,
		"var/lib/rpm/Name":                       false,
		"usr/share/rpm/Packages":                 true,
		"usr/share/rpm/macros":                   false,
		"var/lib/rpm":                            false,
		"var/lib/rpmstate/Packages":              false,
		"usr/lib/sysimage/rpm/sub/Packages":      false,
		"/var/lib/rpm/Packages":                  false,
		"var/lib/dpkg/status":                    true,
		"var/lib/dpkg/status-old":                false,
		"var/lib/dpkg/available":                 false,
		"var/lib/dpkg/status.d/libc6":            true,
		"var/lib/dpkg/status.d/libc6.md5sums":    true,
		"var/lib/dpkg/status.d/":                 false,
		"var/lib/dpkg/status.d/a/b":              false,
		"var/lib/dpkg/info/libc6:amd64.list":     true,
		"var/lib/dpkg/info/libc6:amd64.md5sums":  true,
		"var/lib/dpkg/info/base-files.conffiles": true,
		"var/lib/dpkg/info/libc6.postinst":       false,
		"var/lib/dpkg/info/x/y.list":             false,
		"usr/bin/ls":                             false,
		"":                                       false,
	} {
		if got := pkgdb.IsDatabaseFile(p); got != want {
			t.Errorf("IsDatabaseFile(%q) = %v, want %v", p, got, want)
		}
	}
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// imageFS is an fs.FS like an image tree's: it can open only the files
// IsDatabaseFile accepts.
type imageFS struct{ fstest.MapFS }

func (f imageFS) ReadFile(name string) ([]byte, error) {
	if !pkgdb.IsDatabaseFile(name) {
		return nil, &os.PathError{Op: "open", Path: name, Err: os.ErrPermission}
	}
	return f.MapFS.ReadFile(name)
}

func TestReadImageFS(t *testing.T) {
	fsys := imageFS{fstest.MapFS{
		"usr/share/rpm/Packages.db":       {Data: readTestdata(t, "rpm/Packages.db")},
		"usr/share/rpm/Packages":          {Data: []byte("not read: Packages.db comes first")},
		"var/lib/dpkg/status":             {Data: readTestdata(t, "dpkg/status")},
		"var/lib/dpkg/info/hello.list":    {Data: []byte("/usr/bin/hello\n")},
		"var/lib/dpkg/info/hello.postrm":  {Data: []byte("#!/bin/sh\n")},
		"var/lib/dpkg/status.d/.keep/x":   {Data: []byte("directories in status.d are skipped")},
		"var/lib/dpkg/info/tiny.md5sums":  {Data: []byte("d41d8cd98f00b204e9800998ecf8427e  usr/share/tiny\n")},
		"var/lib/dpkg/info/unrelated.txt": {Data: []byte("x")},
	}}
	dbs, err := pkgdb.Read(context.Background(), fsys)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, db := range dbs {
		for _, p := range db.Packages {
			got = append(got, db.Path+" "+p.Name+" "+p.EVR()+" "+p.Arch)
			for _, f := range p.Files {
				got = append(got, "  "+f.Path+" "+f.Digest)
			}
		}
	}
	want := []string{
		"/usr/share/rpm/Packages.db hello 1:1.0-1 noarch",
		"  /etc/hello.conf " + sha256hex("x=1\n"),
		"  /usr/bin/hello " + sha256hex("hello\n"),
		"  /usr/bin/hi ",
		"  /usr/share/hello ",
		"/usr/share/rpm/Packages.db tiny 0.1-1 noarch",
		"/var/lib/dpkg/status hello 1:1.0-1 amd64",
		"  /etc/hello.conf " + md5hex("x=1\n"), // from Conffiles
		"  /usr/bin/hello ",                    // from hello.list
		"/var/lib/dpkg/status tiny 0.1~rc1 all",
		"  /usr/share/tiny d41d8cd98f00b204e9800998ecf8427e",
	}
	if !equal(want, got) {
		t.Errorf("Read (-want +got):\n-%q\n+%q", want, got)
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name string
		fsys fstest.MapFS
		want string
	}{{
		name: "garbage ndb",
		fsys: fstest.MapFS{"var/lib/rpm/Packages.db": {Data: []byte("RpmP but not really")}},
		want: "reading /var/lib/rpm/Packages.db: not an ndb package database (no RpmP magic)",
	}, {
		name: "garbage bdb",
		fsys: fstest.MapFS{"usr/share/rpm/Packages": {Data: make([]byte, 4096)}},
		want: "reading /usr/share/rpm/Packages: not a Berkeley DB hash database (magic 0x0)",
	}, {
		name: "garbage sqlite",
		fsys: fstest.MapFS{"usr/lib/sysimage/rpm/rpmdb.sqlite": {Data: []byte("SQLite format 3\x00 but no more")}},
		want: "reading /usr/lib/sysimage/rpm/rpmdb.sqlite: sqlite: ",
	}, {
		name: "bad header",
		fsys: fstest.MapFS{"var/lib/rpm/Packages.db": {Data: func() []byte {
			b := readTestdata(t, "rpm/Packages.db")
			b[4096+16+20] ^= 0xff // inside the first blob, after its head
			return b
		}()}},
		want: "reading /var/lib/rpm/Packages.db: slot 2: package 1: adler32",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := pkgdb.Read(context.Background(), tt.fsys)
			if err == nil || len(err.Error()) < len(tt.want) || err.Error()[:len(tt.want)] != tt.want {
				t.Errorf("Read error (-want +got):\n-%s\n+%v", tt.want, err)
			}
		})
	}
}

func TestReadCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for name, fsys := range map[string]fstest.MapFS{
		"ndb":  {"var/lib/rpm/Packages.db": {Data: readTestdata(t, "rpm/Packages.db")}},
		"dpkg": {"var/lib/dpkg/status": {Data: readTestdata(t, "dpkg/status")}},
	} {
		if _, err := pkgdb.Read(ctx, fsys); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: Read with a canceled context: %v, want context.Canceled", name, err)
		}
	}
}
