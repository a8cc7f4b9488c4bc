package pkgdb_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer/pkgdb"
)

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// diff renders want and got for a "(-want +got)" failure message.
func diff(want, got any) string {
	return fmt.Sprintf("-%+v\n+%+v", want, got)
}

// rpmPackages are the packages the rpm tests install: hello 1.0 is later
// upgraded to 1.1, tools has an epoch, many has enough files for its header
// to span several 4 KiB Berkeley DB overflow pages.
var (
	helloV1 = fixtures.RPMSpec{Name: "hello", Version: "1.0", Release: "1", Files: []fixtures.RPMFile{
		{Path: "/usr/bin/hello", Content: "#!/bin/sh\necho hello\n", Mode: 0o755},
		{Path: "/usr/bin/hi", Symlink: "hello"},
		{Path: "/etc/hello.conf", Content: "greeting=hello\n", Config: true},
		{Path: "/usr/share/hello", Dir: true},
	}}
	helloV2 = fixtures.RPMSpec{Name: "hello", Version: "1.1", Release: "1", Files: []fixtures.RPMFile{
		{Path: "/usr/bin/hello", Content: "#!/bin/sh\necho hello, world\n", Mode: 0o755},
		{Path: "/etc/hello.conf", Content: "greeting=hello\n", Config: true},
		{Path: "/usr/share/hello", Dir: true},
		{Path: "/usr/share/hello/README", Content: "Say hello.\n", Mode: 0o444},
	}, Changelog: []fixtures.RPMChange{{Day: time.Date(2026, 7, 2, 0, 0, 0, 0, time.UTC)}, {Day: time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)}}}
	tools = fixtures.RPMSpec{Name: "tools", Version: "2.0", Release: "5.fc41", Epoch: 3, Files: []fixtures.RPMFile{
		{Path: "/usr/libexec/tools/run", Content: "run", Mode: 0o700},
	}}
)

func manySpec() fixtures.RPMSpec {
	s := fixtures.RPMSpec{Name: "many", Version: "0.1", Release: "1"}
	for i := range 150 {
		s.Files = append(s.Files, fixtures.RPMFile{
			Path:    fmt.Sprintf("/usr/share/many/file-with-a-long-name-%03d.txt", i),
			Content: fmt.Sprintf("file %d\n", i),
		})
	}
	return s
}

// wantFiles is what Read reports for a spec's files, directory sizes left
// out (they depend on the build's file system).
func wantFiles(s fixtures.RPMSpec) []pkgdb.File {
	var files []pkgdb.File
	for _, f := range s.Files {
		pf := pkgdb.File{Path: f.Path, User: "root", Group: "root"}
		switch {
		case f.Symlink != "":
			pf.Mode, pf.LinkTo, pf.Size = 0o120777, f.Symlink, int64(len(f.Symlink))
		case f.Dir:
			pf.Mode = 0o40755
		default:
			pf.Mode = 0o100644
			if f.Mode != 0 {
				pf.Mode = 0o100000 | f.Mode
			}
			pf.Size, pf.Digest, pf.Algo = int64(len(f.Content)), sha256hex(f.Content), "sha256"
		}
		if f.Config {
			pf.Flags = 1 | 1<<4 // %config(noreplace)
		}
		files = append(files, pf)
	}
	sortFiles(files)
	return files
}

func sortFiles(files []pkgdb.File) {
	slices.SortFunc(files, func(a, b pkgdb.File) int { return strings.Compare(a.Path, b.Path) })
}

func wantPackage(s fixtures.RPMSpec) pkgdb.Package {
	p := pkgdb.Package{
		Name: s.Name, Version: s.Version, Release: s.Release, Arch: "noarch",
		Source: s.Name, BuildTime: fixtures.Epoch.Unix(), Files: wantFiles(s),
	}
	if s.Epoch != 0 {
		p.Epoch = fmt.Sprint(s.Epoch)
	}
	for _, c := range s.Changelog {
		p.ChangeTimes = append(p.ChangeTimes, c.Day.Add(12*time.Hour).Unix())
	}
	return p
}

// dropDirSizes zeroes the sizes of directories.
func dropDirSizes(dbs []*pkgdb.DB) {
	for _, db := range dbs {
		for i := range db.Packages {
			for j, f := range db.Packages[i].Files {
				if f.Mode&0o170000 == 0o40000 {
					db.Packages[i].Files[j].Size = 0
				}
			}
		}
	}
}

func TestReadRPM(t *testing.T) {
	fixtures.RequireRoot(t)
	fixtures.RequireTools(t, "rpm", "rpmbuild")
	out := t.TempDir()
	v1 := fixtures.BuildRPM(t, filepath.Join(mkdir(t, out, "v1")), helloV1)
	v2 := fixtures.BuildRPM(t, filepath.Join(mkdir(t, out, "v2")), helloV2)
	tl := fixtures.BuildRPM(t, out, tools)
	many := manySpec()
	mn := fixtures.BuildRPM(t, out, many)

	files := map[string]string{"sqlite": "rpmdb.sqlite", "ndb": "Packages.db", "bdb": "Packages", "bdb-be": "Packages"}
	for _, dbpath := range []string{"/usr/lib/sysimage/rpm", "/var/lib/rpm"} {
		for _, backend := range []string{"sqlite", "ndb", "bdb", "bdb-be"} {
			t.Run(strings.ReplaceAll(dbpath, "/", "_")+"/"+backend, func(t *testing.T) {
				root := filepath.Join(t.TempDir(), "root")
				fixtures.InstallRPMs(t, root, dbpath, backend, v1, tl, mn)
				fixtures.InstallRPMs(t, root, dbpath, backend, v2)
				got, err := pkgdb.Read(context.Background(), os.DirFS(root))
				if err != nil {
					t.Fatal(err)
				}
				dropDirSizes(got)
				format := strings.TrimSuffix(backend, "-be")
				want := []*pkgdb.DB{{
					Kind: pkgdb.KindRPM, Format: format, Path: dbpath + "/" + files[backend],
					Packages: []pkgdb.Package{wantPackage(helloV2), wantPackage(many), wantPackage(tools)},
				}}
				if !reflect.DeepEqual(want, got) {
					t.Errorf("Read (-want +got):\n%s", diffDBs(want, got))
				}
			})
		}
	}
}

// diffDBs lists the packages and files that differ.
func diffDBs(want, got []*pkgdb.DB) string {
	if len(want) != len(got) {
		return diff(len(want), len(got)) + " databases"
	}
	var b strings.Builder
	for i := range want {
		w, g := *want[i], *got[i]
		w.Packages, g.Packages = nil, nil
		if !reflect.DeepEqual(w, g) {
			b.WriteString(diff(w, g) + "\n")
		}
		if len(want[i].Packages) != len(got[i].Packages) {
			fmt.Fprintf(&b, "%s\n", diff(want[i].Packages, got[i].Packages))
			continue
		}
		for j, wp := range want[i].Packages {
			gp := got[i].Packages[j]
			if reflect.DeepEqual(wp, gp) {
				continue
			}
			wf, gf := wp.Files, gp.Files
			wp.Files, gp.Files = nil, nil
			if !reflect.DeepEqual(wp, gp) {
				b.WriteString(diff(wp, gp) + "\n")
			}
			if len(wf) != len(gf) {
				fmt.Fprintf(&b, "%s files: %s\n", wp.Name, diff(wf, gf))
				continue
			}
			for k := range wf {
				if !reflect.DeepEqual(wf[k], gf[k]) {
					fmt.Fprintf(&b, "%s: %s\n", wp.Name, diff(wf[k], gf[k]))
				}
			}
		}
	}
	return b.String()
}

func mkdir(t *testing.T, parent, name string) string {
	t.Helper()
	dir := filepath.Join(parent, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// readNames returns "path: name-evr ..." for each database Read finds.
func readNames(t *testing.T, root string) []string {
	t.Helper()
	dbs, err := pkgdb.Read(context.Background(), os.DirFS(root))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, db := range dbs {
		s := db.Path + ":"
		for _, p := range db.Packages {
			s += " " + p.Name + "-" + p.EVR()
		}
		out = append(out, s)
	}
	return out
}

func TestReadRPMLocations(t *testing.T) {
	fixtures.RequireRoot(t)
	fixtures.RequireTools(t, "rpm", "rpmbuild", "rpmdb")
	out := t.TempDir()
	hello := fixtures.BuildRPM(t, out, helloV1)
	tl := fixtures.BuildRPM(t, out, tools)
	tests := []struct {
		name  string
		setup func(t *testing.T, root string)
		want  []string
	}{{
		name: "fedora symlink",
		setup: func(t *testing.T, root string) {
			fixtures.InstallRPMs(t, root, "/usr/lib/sysimage/rpm", "sqlite", hello)
			mkdir(t, root, "var/lib")
			if err := os.Symlink("../../usr/lib/sysimage/rpm", filepath.Join(root, "var/lib/rpm")); err != nil {
				t.Fatal(err)
			}
		},
		want: []string{"/usr/lib/sysimage/rpm/rpmdb.sqlite: hello-1.0-1"},
	}, {
		name: "two databases",
		setup: func(t *testing.T, root string) {
			fixtures.InstallRPMs(t, root, "/usr/lib/sysimage/rpm", "sqlite", hello)
			fixtures.InstallRPMs(t, root, "/usr/share/rpm", "bdb", tl)
		},
		want: []string{"/usr/lib/sysimage/rpm/rpmdb.sqlite: hello-1.0-1", "/usr/share/rpm/Packages: tools-3:2.0-5.fc41"},
	}, {
		name: "sqlite preferred",
		setup: func(t *testing.T, root string) {
			fixtures.InstallRPMs(t, root, "/var/lib/rpm", "sqlite", hello)
			fixtures.InstallRPMs(t, root, "/var/lib/rpm", "bdb", tl)
		},
		want: []string{"/var/lib/rpm/rpmdb.sqlite: hello-1.0-1"},
	}, {
		name: "empty database",
		setup: func(t *testing.T, root string) {
			fixtures.Run(t, "", "rpmdb", "--root", root, "--dbpath", "/var/lib/rpm", "--define", "_db_backend sqlite", "--initdb")
		},
	}, {
		name:  "no database",
		setup: func(t *testing.T, root string) {},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := mkdir(t, t.TempDir(), "root")
			tt.setup(t, root)
			if got := readNames(t, root); !reflect.DeepEqual(tt.want, got) {
				t.Errorf("Read (-want +got):\n%s", diff(tt.want, got))
			}
		})
	}
}

// TestReadRPMWAL proves Read replays rpmdb.sqlite-wal: a package added
// through a connection that has not checkpointed lives only in the log.
func TestReadRPMWAL(t *testing.T) {
	fixtures.RequireRoot(t)
	fixtures.RequireTools(t, "rpm", "rpmbuild")
	out := t.TempDir()
	src := filepath.Join(t.TempDir(), "src")
	fixtures.InstallRPMs(t, src, "/usr/lib/sysimage/rpm", "sqlite", fixtures.BuildRPM(t, out, helloV1), fixtures.BuildRPM(t, out, tools))

	// A copy holding only hello, in WAL mode, then tools added to the log.
	dir := t.TempDir()
	file := filepath.Join(dir, "rpmdb.sqlite")
	copyFile(t, filepath.Join(src, "usr/lib/sysimage/rpm/rpmdb.sqlite"), file)
	db, err := sql.Open("sqlite", file)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	var toolsBlob []byte
	for _, q := range []string{
		"PRAGMA journal_mode=WAL",
		"PRAGMA wal_autocheckpoint=0",
		"CREATE TEMP TABLE keep AS SELECT blob FROM Packages WHERE hnum = (SELECT hnum FROM Name WHERE key = 'tools')",
		"DELETE FROM Packages WHERE hnum = (SELECT hnum FROM Name WHERE key = 'tools')",
		"PRAGMA wal_checkpoint(TRUNCATE)",
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.QueryRow("SELECT blob FROM keep").Scan(&toolsBlob); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("INSERT INTO Packages (blob) VALUES (?)", toolsBlob); err != nil {
		t.Fatal(err)
	}

	root := filepath.Join(t.TempDir(), "root")
	rpmdir := filepath.Join(root, "usr/lib/sysimage/rpm")
	if err := os.MkdirAll(rpmdir, 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, file, filepath.Join(rpmdir, "rpmdb.sqlite"))
	want := []string{"/usr/lib/sysimage/rpm/rpmdb.sqlite: hello-1.0-1"}
	if got := readNames(t, root); !reflect.DeepEqual(want, got) {
		t.Fatalf("Read without the log (-want +got):\n%s", diff(want, got))
	}
	copyFile(t, file+"-wal", filepath.Join(rpmdir, "rpmdb.sqlite-wal"))
	want = []string{"/usr/lib/sysimage/rpm/rpmdb.sqlite: hello-1.0-1 tools-3:2.0-5.fc41"}
	if got := readNames(t, root); !reflect.DeepEqual(want, got) {
		t.Errorf("Read with the log (-want +got):\n%s", diff(want, got))
	}
	// Read must leave the image's files alone.
	if fi, err := os.Stat(filepath.Join(rpmdir, "rpmdb.sqlite-wal")); err != nil || fi.Size() == 0 {
		t.Errorf("rpmdb.sqlite-wal after Read: %v, %v", fi, err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestReadRPMFileStates(t *testing.T) {
	fixtures.RequireRoot(t)
	rpm := fixtures.BuildRPM(t, t.TempDir(), fixtures.RPMSpec{Name: "docs", Version: "1", Release: "1", Files: []fixtures.RPMFile{
		{Path: "/usr/bin/docs", Content: "bin\n", Mode: 0o755},
		{Path: "/usr/share/doc/docs/README", Content: "readme\n", Doc: true},
	}})
	root := t.TempDir()
	fixtures.InstallRPMsWith(t, root, "/usr/lib/sysimage/rpm", "sqlite", []string{"--excludedocs"}, rpm)
	dbs, err := pkgdb.Read(context.Background(), os.DirFS(root))
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]pkgdb.FileState{}
	for _, f := range dbs[0].Packages[0].Files {
		states[f.Path] = f.State
	}
	if states["/usr/bin/docs"] != pkgdb.FileNormal || states["/usr/share/doc/docs/README"] != pkgdb.FileNotInstalled {
		t.Errorf("file states = %v, want the %%doc file not installed", states)
	}
	if _, err := os.Stat(filepath.Join(root, "usr/share/doc/docs/README")); !os.IsNotExist(err) {
		t.Errorf("rpm --excludedocs installed the doc file anyway: %v", err)
	}
}

// TestReadRPMChangelog: the changelog Read decodes is the one rpm itself
// reports for the installed package, entry by entry, versions taken from
// CHANGELOGNAME as rpmdev-bumpspec writes them.
func TestReadRPMChangelog(t *testing.T) {
	fixtures.RequireRoot(t)
	fixtures.RequireTools(t, "rpm", "rpmbuild")
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	spec := fixtures.RPMSpec{Name: "logged", Version: "3.0.2", Release: "1.fc41", Epoch: 1, Changelog: []fixtures.RPMChange{
		{Day: day(2024, 6, 1), Name: "Jane Doe <jane@example.org> - 1:3.0.2-1", Text: "- Update to 3.0.2\n- Fix CVE-2024-1234 and\n  CVE-2024-5678"},
		{Day: day(2024, 2, 29), Name: "Fedora Release Engineering <releng@fedoraproject.org> - 3.0.1-2", Text: "- Rebuilt for https://fedoraproject.org/wiki/Fedora_40_Mass_Rebuild"},
		{Day: day(2023, 12, 24), Name: "John Roe <john@example.org>", Text: "- An entry naming no version"},
	}}
	root := filepath.Join(t.TempDir(), "root")
	fixtures.InstallRPMs(t, root, "/usr/lib/sysimage/rpm", "sqlite", fixtures.BuildRPM(t, t.TempDir(), spec))
	dbs, err := pkgdb.ReadWith(context.Background(), os.DirFS(root), pkgdb.ReadOptions{Changelogs: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(dbs) != 1 || len(dbs[0].Packages) != 1 {
		t.Fatalf("read %d databases, want one with one package", len(dbs))
	}
	var got []string
	for _, e := range dbs[0].Packages[0].Changelog {
		got = append(got, fmt.Sprintf("%d|%s|%s|%s", e.Time.Unix(), e.Author, e.Version, e.Text))
	}
	// rpm's own account; the version is split off as Read splits it.
	out := fixtures.Run(t, "", "rpm", "--root", root, "--dbpath", "/usr/lib/sysimage/rpm", "-q",
		"--qf", `[%{CHANGELOGTIME}|%{CHANGELOGNAME}|%{CHANGELOGTEXT}<end>]`, "logged")
	var want []string
	for _, rec := range strings.Split(strings.TrimSuffix(out, "<end>"), "<end>") {
		when, rest, _ := strings.Cut(rec, "|")
		name, text, _ := strings.Cut(rest, "|")
		author, version := name, ""
		if a, v, ok := strings.Cut(name, "> - "); ok {
			author, version = a+">", v
		}
		want = append(want, strings.Join([]string{when, author, version, text}, "|"))
	}
	if !slices.Equal(want, got) {
		t.Errorf("changelog (-want +got):\n-%q\n+%q", want, got)
	}
	if len(got) != 3 || !strings.Contains(got[0], "|1:3.0.2-1|") || !strings.Contains(got[2], "|John Roe <john@example.org>||") {
		t.Errorf("versions not split off the names: %q", got)
	}
}
