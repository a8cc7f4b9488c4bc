package diff

import (
	"fmt"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/layer/pkgdb"
)

func owned(spec, pkg string, size int64) Change {
	c := *ch(spec, size)
	c.Package = pkg
	return c
}

func TestGroupByPackage(t *testing.T) {
	pkgs := []PackageChange{
		{Name: "libssl3", Arch: "amd64", Kind: PackageUpgraded, From: "3.0.20", To: "3.0.22", Manager: pkgdb.KindDpkg},
		{Name: "libc6", Arch: "amd64", Kind: PackageUpgraded, From: "2.36-9", To: "2.36-10", Manager: pkgdb.KindDpkg},
		{Name: "libc6", Arch: "i386", Kind: PackageUpgraded, From: "2.36-9", To: "2.36-10", Manager: pkgdb.KindDpkg},
		{Name: "htop", Arch: "x86_64", Kind: PackageAdded, To: "3.3.0-4.fc41", Manager: pkgdb.KindRPM},
		{Name: "nano", Kind: PackageRemoved, From: "7.2", Manager: pkgdb.KindDpkg},
	}
	tests := []struct {
		name    string
		changes []Change
		want    []string
	}{
		{"no changes, no groups", nil, nil},
		{"packages in name order, unowned paths last, changes in tree order within each",
			[]Change{
				owned("~/etc/passwd", "", 10),
				owned("~/usr/lib/libcrypto.so.3", "libssl3", 100),
				owned("+/usr/bin/htop", "htop", 50),
				owned("~/usr/lib/libssl.so.3", "libssl3", -20),
				owned("-/usr/lib/python3.11/__pycache__/a.pyc", "", -5),
				owned("=/usr/bin/ping", "iputils-ping", 0),
			},
			[]string{
				"htop [htop.x86_64 added] 1 changes, +50: /usr/bin/htop",
				"iputils-ping [] 1 changes, +0: /usr/bin/ping",
				"libssl3 [libssl3:amd64 upgraded] 2 changes, +80: /usr/lib/libcrypto.so.3 /usr/lib/libssl.so.3",
				"(none) [] 2 changes, +5: /etc/passwd /usr/lib/python3.11/__pycache__/a.pyc",
			}},
		{"a package of several architectures has each one's version",
			[]Change{owned("~/usr/lib/x86_64-linux-gnu/libc.so.6", "libc6", 1), owned("~/usr/lib/i386-linux-gnu/libc.so.6", "libc6", 1)},
			[]string{"libc6 [libc6:amd64 upgraded libc6:i386 upgraded] 2 changes, +2: /usr/lib/x86_64-linux-gnu/libc.so.6 /usr/lib/i386-linux-gnu/libc.so.6"}},
		{"several owners are one group, with the versions of each",
			[]Change{owned("~/usr/share/doc/shared", "htop,nano", 3), owned("~/usr/share/doc/other", "htop", 1)},
			[]string{"htop [htop.x86_64 added] 1 changes, +1: /usr/share/doc/other",
				"htop,nano [htop.x86_64 added nano removed] 1 changes, +3: /usr/share/doc/shared"}},
		{"a package removed whole",
			[]Change{owned("-/usr/bin/nano", "nano", -300), owned("-/usr/share/nano/", "nano", 0)},
			[]string{"nano [nano removed] 2 changes, -300: /usr/bin/nano /usr/share/nano"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, g := range GroupByPackage(tc.changes, pkgs) {
				name := g.Package
				if name == "" {
					name = "(none)"
				}
				var versions, paths []string
				for _, v := range g.Versions {
					versions = append(versions, v.FullName()+" "+v.Kind.String())
				}
				for _, c := range g.Changes {
					paths = append(paths, c.Path)
				}
				got = append(got, fmt.Sprintf("%s [%s] %d changes, %+d: %s", name, strings.Join(versions, " "), g.Counts.Changes, g.Counts.SizeDelta, strings.Join(paths, " ")))
			}
			sameStrings(t, "groups", tc.want, got)
		})
	}
}

// TestGroupsPointIntoChanges: a group's changes are the result's own, not
// copies (a million changes are grouped without copying them).
func TestGroupsPointIntoChanges(t *testing.T) {
	changes := []Change{owned("~/a", "p", 1), owned("~/b", "", 1)}
	g := GroupByPackage(changes, nil)
	if len(g) != 2 || g[0].Changes[0] != &changes[0] || g[1].Changes[0] != &changes[1] {
		t.Errorf("groups = %+v", g)
	}
}

func TestGroupCountsPerKind(t *testing.T) {
	g := GroupByPackage([]Change{owned("+/a", "p", 5), owned("+/b", "p", 5), owned("-/c", "p", -3), owned("!/d", "p", 1), owned("=/e", "p", 0), owned("~/f", "p", -2)}, nil)
	got := g[0].Counts
	want := StatRow{Name: "p", Changes: 6, Added: 2, Removed: 1, TypeChange: 1, Metadata: 1, Modified: 1, NewBytes: 11, OldBytes: 5, SizeDelta: 6}
	if got != want {
		t.Errorf("counts = %+v\nwant     %+v", got, want)
	}
	if s := kindCounts(&got); s != "6 changes (2 added, 1 modified, 1 metadata, 1 typechange, 1 removed)" {
		t.Errorf("kindCounts = %q", s)
	}
	one := StatRow{Changes: 3, Modified: 3}
	if s := kindCounts(&one); s != "3 modified" {
		t.Errorf("kindCounts of one kind = %q", s)
	}
}
