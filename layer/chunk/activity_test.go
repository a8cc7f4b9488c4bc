package chunk

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"maps"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/oslayer/oslayer/layer/pkgdb"
)

// changelog renders a Debian changelog with an entry on each date.
func changelog(t *testing.T, pkg string, dates ...string) []byte {
	t.Helper()
	var b strings.Builder
	for i, d := range dates {
		fmt.Fprintf(&b, "%s (1.0-%d) bookworm-security; urgency=medium\n\n  * Fix things.\n\n -- Some One <one@example.org>  %s\n\n", pkg, len(dates)-i, d)
	}
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write([]byte(b.String()))
	zw.Close()
	return z.Bytes()
}

func TestActivity(t *testing.T) {
	newest := "Thu, 02 Jul 2026 19:05:00 +0000"
	hello := changelog(t, "hello-src", newest, "Mon, 1 Dec 2025 10:00:00 +0100", "Mon, 1 Dec 2025 18:00:00 +0100",
		"Tue, 02 Jul 2024 10:00:00 +0000", // before the window
		"Sun, 01 Jan 2023 10:00:00 +0000")
	fsys := fstest.MapFS{
		"usr/share/doc/hello/changelog.Debian.gz":     {Data: hello},
		"usr/share/doc/libhello1/changelog.Debian.gz": {Data: hello}, // the same source's dates count once
		"usr/share/doc/tool/changelog.gz":             {Data: changelog(t, "tool", "Wed, 15 Apr 2026 08:00:00 +0000")},
		"usr/share/doc/quiet/changelog.Debian.gz":     {Data: changelog(t, "quiet", "Fri, 01 Jan 2021 00:00:00 +0000")},
		"usr/share/doc/broken/changelog.Debian.gz":    {Data: []byte("not gzip")},
		"usr/share/doc/odd/changelog.Debian.gz":       {Data: changelog(t, "odd", "yesterday", "Wed, 15 Apr 2026 08:00:00 +0000")},
	}
	noon := func(y int, m time.Month, d int) int64 { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC).Unix() }
	dbs := []*pkgdb.DB{
		{Kind: pkgdb.KindDpkg, Packages: []pkgdb.Package{
			{Name: "broken"}, {Name: "hello", Source: "hello-src"}, {Name: "libhello1", Source: "hello-src"},
			{Name: "nodoc"}, {Name: "odd"}, {Name: "quiet"}, {Name: "tool"},
		}},
		{Kind: pkgdb.KindRPM, Packages: []pkgdb.Package{
			{Name: "bash", Source: "bash", ChangeTimes: []int64{noon(2026, 6, 1), noon(2025, 1, 2), noon(2024, 1, 2)}},
			{Name: "bash-doc", Source: "bash", ChangeTimes: []int64{noon(2026, 6, 1)}},
		}},
	}
	got := activity(fsys, dbs)
	want := map[string]int{"hello-src": 2, "tool": 1, "odd": 1, "bash": 2}
	if !maps.Equal(got, want) {
		t.Errorf("activity = %v, want %v", got, want)
	}
}

func TestDebianChangelogStopsAtTheWindow(t *testing.T) {
	var dates []string
	for y := 2026; y > 1900; y-- {
		dates = append(dates, fmt.Sprintf("Mon, 01 Jun %d 00:00:00 +0000", y))
	}
	fsys := fstest.MapFS{"usr/share/doc/old/changelog.Debian.gz": {Data: changelog(t, "old", dates...)}}
	if got := debianChangelog(fsys, &pkgdb.Package{Name: "old"}); len(got) != 3 {
		t.Errorf("read %d dates, want the 3 in the window", len(got))
	}
}
