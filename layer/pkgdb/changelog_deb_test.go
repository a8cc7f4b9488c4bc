package pkgdb

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oslayer/oslayer/fixtures"
)

// debChangelog is a changelog in the format's corners: a binNMU header
// with more keys, blank lines inside and around an entry's changes,
// trailing blanks, a continuation line, a one-space trailer, an epoch.
const debChangelog = `hello (1:2.0-1+b1) bookworm; urgency=low, binary-only=yes

  * Binary-only non-maintainer upload for amd64; no source changes.

 -- amd64 Build Daemon (x86-01) <buildd_amd64@buildd.debian.org>  Sat, 01 Jun 2024 10:00:00 +0000

hello (1:2.0-1) unstable; urgency=high


  * New upstream release.   
    Fixes CVE-2024-1111 and CVE-2024-2222.

  [ John Roe ]
  * Security fix (CVE-2024-3333).


 -- Jane Doe <jane@example.org>  Fri, 31 May 2024 18:30:00 +0200

hello (1.9-2) unstable experimental; urgency=medium

  * Single-space trailer.

 -- Jane Doe <jane@example.org> Mon,  6 May 2024 09:15:00 -0700
`

// entries collects what DebianChangelog yields.
func entries(t *testing.T, r io.Reader) ([]ChangelogEntry, error) {
	t.Helper()
	var out []ChangelogEntry
	for e, err := range DebianChangelog(r) {
		if err != nil {
			return out, err
		}
		out = append(out, e)
	}
	return out, nil
}

func TestDebianChangelog(t *testing.T) {
	want := []ChangelogEntry{
		{Version: "1:2.0-1+b1", Time: time.Date(2024, 6, 1, 10, 0, 0, 0, time.UTC),
			Author: "amd64 Build Daemon (x86-01) <buildd_amd64@buildd.debian.org>",
			Text:   "* Binary-only non-maintainer upload for amd64; no source changes."},
		{Version: "1:2.0-1", Time: time.Date(2024, 5, 31, 16, 30, 0, 0, time.UTC), Author: "Jane Doe <jane@example.org>",
			Text: "* New upstream release.\n  Fixes CVE-2024-1111 and CVE-2024-2222.\n\n[ John Roe ]\n* Security fix (CVE-2024-3333)."},
		{Version: "1.9-2", Time: time.Date(2024, 5, 6, 16, 15, 0, 0, time.UTC), Author: "Jane Doe <jane@example.org>",
			Text: "* Single-space trailer."},
	}
	same := func(t *testing.T, want, got []ChangelogEntry) {
		t.Helper()
		if !slices.EqualFunc(want, got, func(a, b ChangelogEntry) bool {
			return a.Version == b.Version && a.Time.Equal(b.Time) && a.Author == b.Author && a.Text == b.Text
		}) {
			t.Errorf("entries (-want +got):\n-%+v\n+%+v", want, got)
		}
	}
	for _, tc := range []struct {
		name string
		in   []byte
		want []ChangelogEntry
	}{
		{"plain", []byte(debChangelog), want},
		{"gzip", []byte(fixtures.Gzip(t, debChangelog)), want},
		{"CRLF", []byte(strings.ReplaceAll(debChangelog, "\n", "\r\n")), want},
		{"comments and blank lines first", []byte("\n# generated\n\n" + debChangelog), want},
		{"Emacs variables end it", []byte(debChangelog + "\nLocal variables:\nmode: debian-changelog\nEnd:\n"), want},
		{"a vim modeline ends it", []byte(debChangelog + "\nvim: ft=debchangelog\n"), want},
		{"an old-style tail is not read", []byte(debChangelog + "\nOld Changelog:\nThu Jan 1 1998  Jane Doe  <jane@example.org>\n\n\t* old\n"), want},
		{"an entry without a trailer", []byte("a (1) x; urgency=low\n\n  * one\n\na (0.9) x; urgency=low\n\n  * two\n\n -- J <j@x>  Mon, 06 May 2024 09:15:00 +0000\n"), []ChangelogEntry{
			{Version: "1", Text: "* one"},
			{Version: "0.9", Time: time.Date(2024, 5, 6, 9, 15, 0, 0, time.UTC), Author: "J <j@x>", Text: "* two"}}},
		{"a date that does not parse", []byte("a (1) x; urgency=low\n\n  * one\n\n -- J <j@x>  yesterday\n"), []ChangelogEntry{
			{Version: "1", Author: "J <j@x>", Text: "* one"}}},
		{"the last entry cut short", []byte("a (1) x; urgency=low\n\n  * one\n"), []ChangelogEntry{{Version: "1", Text: "* one"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := entries(t, bytes.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			same(t, tc.want, got)
		})
	}

	for _, tc := range []struct {
		name, in, want string
		notDebian      bool
	}{
		{"empty", "", "not a Debian changelog", true},
		{"blank", "\n\n", "not a Debian changelog", true},
		{"an upstream changelog", "2024-05-01  Jane Doe  <jane@example.org>\n\n\t* src/hello.c: fix\n", `line 1: not a Debian changelog: want "source (version) distribution; urgency=...", got "2024-05-01  Jane Doe  <jane@example.org>"`, true},
		{"a header without distribution", "hello (1.0);\n", "line 1: not a Debian changelog", true},
		{"a header with a space in the version", "hello (1.0 2) unstable; urgency=low\n", "line 1: not a Debian changelog", true},
		{"a line too long", "hello (1.0) unstable; urgency=low\n  * " + strings.Repeat("x", maxDebLine) + "\n", "line 2: bufio.Scanner: token too long", false},
		{"corrupt gzip", fixtures.Gzip(t, debChangelog)[:40], "unexpected EOF", false},
		{"not gzip after all", "\x1f\x8b not really", "gzip: ", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := entries(t, strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.want) || errors.Is(err, ErrNotDebianChangelog) != tc.notDebian {
				t.Errorf("err = %v, want one containing %q (ErrNotDebianChangelog: %v)", err, tc.want, tc.notDebian)
			}
		})
	}
}

// TestDebianChangelogStopsEarly: once Select has what it needs, nothing
// more of the file is read.
func TestDebianChangelogStopsEarly(t *testing.T) {
	first, _, _ := strings.Cut(debChangelog, "\nhello (1.9-2)")
	r := io.MultiReader(strings.NewReader(first+"\n"), iotestErr{})
	got, err := ChangelogRange{Kind: KindDpkg, From: "1:2.0-1", To: "1:2.0-1+b1"}.Select(DebianChangelog(r))
	if err != nil || len(got) != 1 || got[0].Version != "1:2.0-1+b1" {
		t.Errorf("Select = %+v, %v; want the binNMU entry alone, without reading on", got, err)
	}
	if _, err := (ChangelogRange{Kind: KindDpkg, From: "1.0", To: "3"}).Select(DebianChangelog(io.MultiReader(strings.NewReader(first+"\n"), iotestErr{}))); err == nil {
		t.Error("reading on into a failing reader gave no error")
	}
	// A changelog that uncompresses to more than the bound is refused.
	// Blank lines, which cost most to hold.
	bomb := "a (1) x; urgency=low\n\n  * x\n" + strings.Repeat("\n", maxDebChangelog)
	if _, err := entries(t, strings.NewReader(fixtures.Gzip(t, bomb))); err == nil || !strings.Contains(err.Error(), "more than 16777216 bytes") {
		t.Errorf("a changelog of %d bytes: %v, want it refused", len(bomb), err)
	}
}

func TestLimitedReader(t *testing.T) {
	for _, tc := range []struct {
		in      string
		wantErr bool
	}{{"", false}, {"12345", false}, {"123456", true}} {
		_, err := io.ReadAll(newLimitedReader(strings.NewReader(tc.in), 5))
		if (err != nil) != tc.wantErr {
			t.Errorf("%q through a limit of 5: %v", tc.in, err)
		}
	}
}

type iotestErr struct{}

func (iotestErr) Read([]byte) (int, error) { return 0, errors.New("read past what was needed") }

func TestChangelogRangeSelect(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2024, 5, d, 12, 0, 0, 0, time.UTC) }
	deb := func(vs ...string) []ChangelogEntry {
		var out []ChangelogEntry
		for _, v := range vs {
			out = append(out, ChangelogEntry{Version: v})
		}
		return out
	}
	last := &ChangelogEntry{Time: day(10), Author: "J <j@x>", Text: "- old"}
	rpmLog := []ChangelogEntry{
		{Time: day(20), Author: "J <j@x>", Text: "- newest"},
		{Time: day(10), Author: "K <k@x>", Text: "- same day, another author"},
		{Time: day(10), Author: "J <j@x>", Text: "- old"},
		{Time: day(5), Author: "J <j@x>", Text: "- older"},
	}
	for _, tc := range []struct {
		name    string
		r       ChangelogRange
		entries []ChangelogEntry
		want    []string
	}{
		{"an update", ChangelogRange{Kind: KindDpkg, From: "1.2-1", To: "1.3-1"}, deb("1.3-1", "1.2-2", "1.2-1", "1.1-1"), []string{"1.3-1", "1.2-2"}},
		{"from a version the changelog lacks", ChangelogRange{Kind: KindDpkg, From: "1.2-1+b3", To: "1.3-1"}, deb("1.3-1", "1.2-2", "1.2-1", "1.1-1"), []string{"1.3-1", "1.2-2"}},
		{"the first older entry ends it", ChangelogRange{Kind: KindDpkg, From: "1.2", To: "2"}, deb("2", "1.1", "1.5"), []string{"2"}},
		{"entries past To are passed over", ChangelogRange{Kind: KindDpkg, From: "1.0", To: "1.3-1"}, deb("2.0~exp1", "1.3-1", "1.0"), []string{"1.3-1"}},
		{"an epoch", ChangelogRange{Kind: KindDpkg, From: "1.0-1", To: "1:0.9-1"}, deb("1:0.9-1", "1.0-1"), []string{"1:0.9-1"}},
		{"nothing between", ChangelogRange{Kind: KindDpkg, From: "1.0-1", To: "1.0-1+b1"}, deb("1.0-1"), []string{}},
		{"rpm entries without the epoch or dist tag", ChangelogRange{Kind: KindRPM, From: "1:3.0.1-1.fc41", To: "1:3.0.2-2.fc41"},
			deb("3.0.2-2", "3.0.2-1", "3.0.1-1", "3.0.0-1"), []string{"3.0.2-2", "3.0.2-1"}},
		{"an rpm entry with the epoch", ChangelogRange{Kind: KindRPM, From: "1:3.0.1-1.fc41", To: "1:3.0.2-1.fc41"},
			deb("1:3.0.2-1", "0:9.0-1", "3.0.1-1"), []string{"1:3.0.2-1"}},
		{"rpm entries naming no version", ChangelogRange{Kind: KindRPM, From: "1-1", To: "2-1", Last: last}, rpmLog,
			[]string{"- newest", "- same day, another author"}},
		{"no last entry known", ChangelogRange{Kind: KindRPM, From: "1-1", To: "2-1"}, rpmLog[:2],
			[]string{"- newest", "- same day, another author"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.r.Select(Entries(tc.entries))
			if err != nil {
				t.Fatal(err)
			}
			names := []string{}
			for _, e := range got {
				names = append(names, e.Version+e.Text)
			}
			if !slices.Equal(names, tc.want) {
				t.Errorf("Select = %q, want %q", names, tc.want)
			}
		})
	}
	boom := errors.New("boom")
	got, err := ChangelogRange{Kind: KindDpkg, From: "1", To: "3"}.Select(func(yield func(ChangelogEntry, error) bool) {
		_ = yield(ChangelogEntry{Version: "3"}, nil) && yield(ChangelogEntry{}, boom)
	})
	if !errors.Is(err, boom) || len(got) != 1 {
		t.Errorf("a failing changelog: %+v, %v; want the entry before the error and the error", got, err)
	}
}

// asDebChanges spells entries as fixtures.DpkgParsechangelog does.
func asDebChanges(es []ChangelogEntry) []fixtures.DebChange {
	out := []fixtures.DebChange{}
	for _, e := range es {
		c := fixtures.DebChange{Version: e.Version, Author: e.Author, Text: e.Text}
		if !e.Time.IsZero() {
			c.Date = e.Time.UTC()
		}
		out = append(out, c)
	}
	return out
}

// TestDebianChangelogAgainstDpkgParsechangelog: dpkg's own parser is the
// oracle, on this file's changelog and on some of this machine's: the
// same entries, and the same ones since a version, one the changelog has
// and one it lacks.
func TestDebianChangelogAgainstDpkgParsechangelog(t *testing.T) {
	fixtures.RequireTools(t, "dpkg-parsechangelog")
	dir := t.TempDir()
	files := []string{filepath.Join(dir, "changelog.Debian.gz"), filepath.Join(dir, "changelog")}
	if err := os.WriteFile(files[0], []byte(fixtures.Gzip(t, debChangelog)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(files[1], []byte(debChangelog+"\nLocal variables:\nEnd:\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Some of this machine's changelogs, spread over the alphabet, binNMU
	// ones (changelog.Debian.ARCH.gz) too.
	for _, glob := range []string{"/usr/share/doc/*/changelog.Debian.gz", "/usr/share/doc/*/changelog.Debian.*.gz"} {
		host, _ := filepath.Glob(glob)
		slices.Sort(host)
		for i := 0; i < len(host); i += max(1, len(host)/4) {
			if !strings.HasSuffix(host[i], ".old.gz") {
				files = append(files, host[i])
			}
		}
	}
	t.Logf("%d changelogs", len(files))
	for _, file := range files {
		t.Run(strings.TrimPrefix(file, "/usr/share/doc/"), func(t *testing.T) {
			t.Parallel()
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			all, err := entries(t, f)
			if err != nil {
				t.Fatal(err)
			}
			if want, got := fixtures.DpkgParsechangelog(t, file, "--all"), asDebChanges(all); !reflect.DeepEqual(want, got) {
				t.Errorf("--all (-want +got):\n-%+v\n+%+v", want, got)
			}
			since := all[len(all)/2].Version
			for _, from := range []string{since, since + "~"} {
				if len(all) < 2 {
					break
				}
				if _, err := f.Seek(0, io.SeekStart); err != nil {
					t.Fatal(err)
				}
				got, err := ChangelogRange{Kind: KindDpkg, From: from, To: all[0].Version}.Select(DebianChangelog(f))
				if err != nil {
					t.Fatal(err)
				}
				want := fixtures.DpkgParsechangelog(t, file, "--since", from)
				if !reflect.DeepEqual(want, asDebChanges(got)) {
					t.Errorf("--since %s (-want +got):\n-%+v\n+%+v", from, want, asDebChanges(got))
				}
			}
		})
	}
}

func FuzzDebianChangelog(f *testing.F) {
	f.Add([]byte(debChangelog))
	f.Add([]byte(fixtures.Gzip(f, debChangelog)))
	f.Add([]byte("a (1) x; urgency=low\n  * x\n -- <>\nb (0) y;\nLocal variables:\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		var prev []ChangelogEntry
		for e, err := range DebianChangelog(bytes.NewReader(data)) {
			if err != nil {
				return
			}
			if e.Version == "" || strings.ContainsAny(e.Version, " \t()") {
				t.Errorf("entry %d: version %q", len(prev), e.Version)
			}
			if strings.HasPrefix(e.Text, "\n") || strings.HasSuffix(e.Text, "\n") {
				t.Errorf("entry %d: text %q starts or ends with a blank line", len(prev), e.Text)
			}
			prev = append(prev, e)
		}
		// Select on the same input stops where it says, without error.
		if len(prev) > 1 {
			got, err := ChangelogRange{Kind: KindDpkg, From: prev[len(prev)-1].Version, To: prev[0].Version}.Select(DebianChangelog(bytes.NewReader(data)))
			if err != nil || len(got) > len(prev)-1 {
				t.Errorf("Select: %d entries, %v; want at most %d", len(got), err, len(prev)-1)
			}
		}
		_ = fmt.Sprint(prev)
	})
}
