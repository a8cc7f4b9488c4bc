package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/fixtures"
)

// changelogOf returns a package's changelog from a diff's JSON output,
// failing when the package did not change.
func changelogOf(t *testing.T, res diff.Result, name string) diff.PackageChange {
	t.Helper()
	for _, p := range res.Packages {
		if p.Name == name {
			return p
		}
	}
	t.Fatalf("no package %s in the diff", name)
	return diff.PackageChange{}
}

func versionsOf(entries []diff.ChangelogEntry) []string {
	out := []string{}
	for _, e := range entries {
		out = append(out, e.Version)
	}
	return out
}

// asDebChanges spells a package's entries as fixtures.DpkgParsechangelog.
func asDebChanges(entries []diff.ChangelogEntry) []fixtures.DebChange {
	out := []fixtures.DebChange{}
	for _, e := range entries {
		out = append(out, fixtures.DebChange{Version: e.Version, Author: e.Author, Date: e.Date.UTC(), Text: e.Text})
	}
	return out
}

// The derived layer is what buildah finds changed in a mounted container:
// a file of the same size and time as before is not in it, so a changed
// changelog here always changes size.

// TestDiffChangelogsOfRealDebs: real Debian packages, installed with dpkg
// in a base image and upgraded (or downgraded) in a layer buildah commits.
// The entries between the versions come from the image's own changelogs,
// newest first, binNMU files and symlinked documentation directories
// included, and are what dpkg-parsechangelog --since says of the same
// files; CVE ids are collected; packages whose changelog the image lacks
// say why; --changelogs=N caps the text; without the flag nothing changes.
func TestDiffChangelogsOfRealDebs(t *testing.T) {
	fixtures.RequireRoot(t)
	fixtures.RequireTools(t, "dpkg-parsechangelog")
	pkgs := t.TempDir()
	cest := time.FixedZone("CEST", 2*3600)
	day := func(m time.Month, d int) time.Time { return time.Date(2024, m, d, 10, 0, 0, 0, cest) }
	deb := func(s fixtures.DebSpec) string {
		if s.Arch == "" {
			s.Arch = "amd64"
		}
		return fixtures.BuildDeb(t, pkgs, s)
	}
	doc := func(pkg, file, content string) fixtures.DebFile {
		return fixtures.DebFile{Path: "/usr/share/doc/" + pkg + "/" + file, Content: content}
	}
	gz := func(source string, entries ...fixtures.DebChange) string {
		return fixtures.Gzip(t, fixtures.DebChangelog(source, entries...))
	}
	bin := func(name, content string) fixtures.DebFile {
		return fixtures.DebFile{Path: "/usr/bin/" + name, Content: content, Mode: 0o755}
	}
	var (
		hello09  = fixtures.DebChange{Version: "0.9-1", Date: day(1, 5), Text: "* Initial release."}
		hello10  = fixtures.DebChange{Version: "1.0-1", Date: day(2, 1), Text: "* New upstream release."}
		hello102 = fixtures.DebChange{Version: "1.0-2", Author: "John Roe <john@example.org>", Date: day(3, 1),
			Text: "* Fix a crash (CVE-2024-1111).\n  Thanks to a reporter."}
		hello11 = fixtures.DebChange{Version: "1.1-1", Author: "Jane Doe <jane@example.org>", Date: day(6, 1),
			Text: "* New upstream release.\n  - Fixes CVE-2024-2222 and cve-2024-1111.\n\n[ John Roe ]\n* Document it."}
		libx202   = fixtures.DebChange{Version: "2.0-2", Date: day(1, 2), Text: "* Rebuild."}
		libx203   = fixtures.DebChange{Version: "2.0-3", Date: day(1, 3), Text: "* Multi-Arch: same."}
		libx203u1 = fixtures.DebChange{Version: "2.0-3+deb12u1", Author: "Security Team <team@security.debian.org>", Date: day(7, 1),
			Text: "* Non-maintainer upload by the Security Team.\n* debian/patches/CVE-2024-10000.patch: fix an overflow."}
		tool521   = fixtures.DebChange{Version: "5.2-1", Date: day(1, 1), Text: "* New upstream release."}
		tool522   = fixtures.DebChange{Version: "5.2-2", Date: day(2, 2), Text: "* Fix the build."}
		tool522b1 = fixtures.DebChange{Version: "5.2-2+b1", Author: "amd64 Build Daemon <buildd_amd64@buildd.debian.org>", Date: day(3, 3),
			Text: "* Binary-only non-maintainer upload for amd64; no source changes.\n* Rebuild for libx."}
		tool522b2 = fixtures.DebChange{Version: "5.2-2+b2", Author: "amd64 Build Daemon <buildd_amd64@buildd.debian.org>", Date: day(4, 4),
			Text: "* Binary-only non-maintainer upload for amd64; no source changes.\n* Rebuild against glibc 2.36-9+deb12u7 (Built-Using)."}
		nat10  = fixtures.DebChange{Version: "1.0", Date: day(1, 1), Text: "* First native release."}
		nat11  = fixtures.DebChange{Version: "1.1", Date: day(5, 5), Text: "* A native change."}
		down10 = fixtures.DebChange{Version: "1.0-1", Date: day(1, 1), Text: "* Initial release."}
		down20 = fixtures.DebChange{Version: "2.0-1", Date: day(5, 1), Text: "* New upstream release, fixes CVE-2024-9000."}
		one10  = fixtures.DebChange{Version: "1.0-1", Date: day(1, 1), Text: "* Initial release."}
		one11  = fixtures.DebChange{Version: "1.1-1", Date: day(5, 1), Text: "* An update."}
	)
	lib := func(name, version string, files ...fixtures.DebFile) string {
		return deb(fixtures.DebSpec{Name: name, Version: version, Source: "libx", MultiArch: "same", Files: files})
	}
	root := t.TempDir()
	fixtures.InstallDebs(t, root,
		deb(fixtures.DebSpec{Name: "hello", Version: "1.0-1", Files: []fixtures.DebFile{bin("hello", "1.0"), doc("hello", "changelog.Debian.gz", gz("hello", hello10, hello09))}}),
		lib("libx1", "2.0-3", doc("libx1", "changelog.Debian.gz", gz("libx", libx203, libx202))),
		deb(fixtures.DebSpec{Name: "libx-tools", Version: "2.0-3", Source: "libx", Files: []fixtures.DebFile{bin("x-tool", "2.0-3"), {Path: "/usr/share/doc/libx-tools", Symlink: "libx1"}}}),
		deb(fixtures.DebSpec{Name: "tool", Version: "5.2-2+b1", Files: []fixtures.DebFile{bin("tool", "b1"),
			doc("tool", "changelog.Debian.gz", gz("tool", tool522, tool521)), doc("tool", "changelog.Debian.amd64.gz", gz("tool", tool522b1))}}),
		deb(fixtures.DebSpec{Name: "nat", Version: "1.0", Arch: "all", Files: []fixtures.DebFile{doc("nat", "changelog.gz", gz("nat", nat10))}}),
		deb(fixtures.DebSpec{Name: "down", Version: "2.0-1", Files: []fixtures.DebFile{bin("down", "2.0"), doc("down", "changelog.Debian.gz", gz("down", down20, down10))}}),
		deb(fixtures.DebSpec{Name: "nodoc", Version: "1.0-1", Files: []fixtures.DebFile{bin("nodoc", "1.0"), doc("nodoc", "changelog.Debian.gz", gz("nodoc", one10))}}),
		deb(fixtures.DebSpec{Name: "gone", Version: "1.0-1", Files: []fixtures.DebFile{bin("gone", "1.0"), doc("gone", "changelog.Debian.gz", gz("gone", one10))}}),
		deb(fixtures.DebSpec{Name: "upstream", Version: "1.0-1", Files: []fixtures.DebFile{bin("upstream", "1.0"), doc("upstream", "changelog.Debian.gz", gz("upstream", one10))}}),
	)
	// The changelogs dpkg-parsechangelog reads, copied out of the images.
	oracle := t.TempDir()
	keep := func(from, name string) string {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(oracle, name+".gz") // dpkg-parsechangelog goes by the name
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	downLog := keep(filepath.Join(root, "usr/share/doc/down/changelog.Debian.gz"), "down")
	var helloLog, libxLog, toolLog, toolBinNMULog, natLog string

	layout := pkgImages(t, root, func(mnt string) {
		fixtures.InstallDebs(t, mnt,
			deb(fixtures.DebSpec{Name: "hello", Version: "1.1-1", Files: []fixtures.DebFile{bin("hello", "1.1"), doc("hello", "changelog.Debian.gz", gz("hello", hello11, hello102, hello10, hello09))}}),
			lib("libx1", "2.0-3+deb12u1", doc("libx1", "changelog.Debian.gz", gz("libx", libx203u1, libx203, libx202))),
			deb(fixtures.DebSpec{Name: "libx-tools", Version: "2.0-3+deb12u1", Source: "libx", Files: []fixtures.DebFile{bin("x-tool", "2.0-3+deb12u1"), {Path: "/usr/share/doc/libx-tools", Symlink: "libx1"}}}),
			deb(fixtures.DebSpec{Name: "tool", Version: "5.2-2+b2", Files: []fixtures.DebFile{bin("tool", "b2"),
				doc("tool", "changelog.Debian.gz", gz("tool", tool522, tool521)), doc("tool", "changelog.Debian.amd64.gz", gz("tool", tool522b2))}}),
			deb(fixtures.DebSpec{Name: "nat", Version: "1.1", Arch: "all", Files: []fixtures.DebFile{doc("nat", "changelog.gz", gz("nat", nat11, nat10))}}),
			deb(fixtures.DebSpec{Name: "down", Version: "1.0-1", Files: []fixtures.DebFile{bin("down", "1.0"), doc("down", "changelog.Debian.gz", gz("down", down10))}}),
			deb(fixtures.DebSpec{Name: "gone", Version: "1.1-1", Files: []fixtures.DebFile{bin("gone", "1.1"), doc("gone", "changelog.Debian.gz", gz("gone", one11, one10))}}),
			// Its new version ships the upstream's changelog.gz alone.
			deb(fixtures.DebSpec{Name: "upstream", Version: "1.1-1", Files: []fixtures.DebFile{bin("upstream", "1.1"),
				doc("upstream", "changelog.gz", fixtures.Gzip(t, "2024-05-01  Jane Doe  <jane@example.org>\n\n\t* src/upstream.c: fix it.\n"))}}),
		)
		// A minimal image's dpkg configuration: dpkg in the image reads
		// it; dpkg --root reads the host's, so it is given the option too.
		cfg := filepath.Join(mnt, "etc/dpkg/dpkg.cfg.d")
		if err := os.MkdirAll(cfg, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(cfg, "excludes"), []byte("path-exclude=/usr/share/doc/nodoc/*\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		fixtures.InstallDebsWith(t, mnt, []string{"--path-exclude=/usr/share/doc/nodoc/*"},
			deb(fixtures.DebSpec{Name: "nodoc", Version: "1.1-1", Files: []fixtures.DebFile{bin("nodoc", "1.1"), doc("nodoc", "changelog.Debian.gz", gz("nodoc", one11, one10))}}))
		if err := os.Remove(filepath.Join(mnt, "usr/share/doc/gone/changelog.Debian.gz")); err != nil {
			t.Fatal(err)
		}
		helloLog = keep(filepath.Join(mnt, "usr/share/doc/hello/changelog.Debian.gz"), "hello")
		libxLog = keep(filepath.Join(mnt, "usr/share/doc/libx-tools/changelog.Debian.gz"), "libx")
		toolLog = keep(filepath.Join(mnt, "usr/share/doc/tool/changelog.Debian.gz"), "tool")
		toolBinNMULog = keep(filepath.Join(mnt, "usr/share/doc/tool/changelog.Debian.amd64.gz"), "tool.amd64")
		natLog = keep(filepath.Join(mnt, "usr/share/doc/nat/changelog.gz"), "nat")
	})
	base, derived := "oci:"+layout+":base", "oci:"+layout+":derived"

	res := diffJSON(t, "--changelogs", base, derived)
	for _, tc := range []struct {
		name  string
		kind  diff.PackageKind
		want  []string
		since string   // dpkg-parsechangelog --since this ...
		files []string // ... on these files says the same
	}{
		{"hello", diff.PackageUpgraded, []string{"1.1-1", "1.0-2"}, "1.0-1", []string{helloLog}},
		{"libx1", diff.PackageUpgraded, []string{"2.0-3+deb12u1"}, "2.0-3", []string{libxLog}},
		{"libx-tools", diff.PackageUpgraded, []string{"2.0-3+deb12u1"}, "2.0-3", []string{libxLog}},
		{"tool", diff.PackageUpgraded, []string{"5.2-2+b2"}, "5.2-2+b1", []string{toolBinNMULog, toolLog}},
		{"nat", diff.PackageUpgraded, []string{"1.1"}, "1.0", []string{natLog}},
		// A downgrade's entries are the base's, after the version it goes to.
		{"down", diff.PackageDowngraded, []string{"2.0-1"}, "1.0-1", []string{downLog}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := changelogOf(t, res, tc.name)
			if p.Kind != tc.kind || p.ChangelogMissing != "" || !slices.Equal(versionsOf(p.Changelog), tc.want) {
				t.Fatalf("%s %s: entries %q, missing %q; want %s with %q", tc.name, p.Kind, versionsOf(p.Changelog), p.ChangelogMissing, tc.kind, tc.want)
			}
			var want []fixtures.DebChange
			for _, f := range tc.files {
				want = append(want, fixtures.DpkgParsechangelog(t, f, "--since", tc.since)...)
			}
			if got := asDebChanges(p.Changelog); !reflect.DeepEqual(want, got) {
				t.Errorf("dpkg-parsechangelog --since %s (-want +got):\n-%+v\n+%+v", tc.since, want, got)
			}
		})
	}
	hello := changelogOf(t, res, "hello").Changelog
	if want := []string{"CVE-2024-2222", "CVE-2024-1111"}; !slices.Equal(hello[0].CVEs, want) {
		t.Errorf("hello 1.1-1 names %q, want %q", hello[0].CVEs, want)
	}
	if want := time.Date(2024, 6, 1, 10, 0, 0, 0, cest); !hello[0].Date.Equal(want) || hello[0].Author != "Jane Doe <jane@example.org>" {
		t.Errorf("hello 1.1-1 by %q on %s, want Jane Doe on %s", hello[0].Author, hello[0].Date, want)
	}
	if want := []string{"CVE-2024-1111", "CVE-2024-2222", "CVE-2024-10000"}; !slices.Equal(res.CVEsFixed, want) {
		t.Errorf("cves_fixed = %q, want %q", res.CVEsFixed, want)
	}
	if want := []string{"CVE-2024-9000"}; !slices.Equal(res.CVEsReverted, want) {
		t.Errorf("cves_reverted = %q, want %q", res.CVEsReverted, want)
	}
	for name, want := range map[string]string{
		"nodoc":    "dpkg left /usr/share/doc/nodoc/changelog.Debian.gz out of the image: path-exclude /usr/share/doc/nodoc/* (/etc/dpkg/dpkg.cfg.d/excludes)",
		"gone":     "/usr/share/doc/gone/changelog.Debian.gz, which the package installs, is not in the image: deleted after installation",
		"upstream": "the package installs no /usr/share/doc/upstream/changelog.Debian.gz, and /usr/share/doc/upstream/changelog.gz is its upstream's changelog, not Debian's",
	} {
		if p := changelogOf(t, res, name); p.ChangelogMissing != want || p.Changelog != nil {
			t.Errorf("%s: changelog_missing %q with %d entries, want %q", name, p.ChangelogMissing, len(p.Changelog), want)
		}
	}

	out, stderr, code := oslayer(t, t.TempDir(), "diff", "--changelogs=1", base, derived)
	if code != 0 {
		t.Fatalf("exit code %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"  upgraded    hello:amd64       1.0-1 -> 1.1-1\n" +
			"      1.1-1  2024-06-01  Jane Doe <jane@example.org>\n" +
			"        * New upstream release.\n" +
			"          - Fixes CVE-2024-2222 and cve-2024-1111.\n" +
			"\n" +
			"        [ John Roe ]\n" +
			"        * Document it.\n" +
			"      … 1 more entry (--changelogs without a number shows all)\n",
		"  upgraded    libx1:amd64       2.0-3 -> 2.0-3+deb12u1\n" +
			"      the same changelog entries as libx-tools:amd64\n",
		"  downgraded  down:amd64        2.0-1 -> 1.0-1\n" +
			"      what the downgrade takes back (from the base's changelog):\n" +
			"      2.0-1  2024-05-01  oslayer tests <tests@oslayer.invalid>\n" +
			"        * New upstream release, fixes CVE-2024-9000.\n",
		"  upgraded    nodoc:amd64       1.0-1 -> 1.1-1\n" +
			"      no changelog: dpkg left /usr/share/doc/nodoc/changelog.Debian.gz out of the image: path-exclude /usr/share/doc/nodoc/* (/etc/dpkg/dpkg.cfg.d/excludes)\n",
		"  CVEs fixed (3): CVE-2024-1111, CVE-2024-2222, CVE-2024-10000\n" +
			"  CVEs whose fixes the downgrades take back (1): CVE-2024-9000\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks\n%s\n--- it is:\n%s", want, out)
		}
	}

	plain, stderr, code := oslayer(t, t.TempDir(), "diff", "--format", "json", base, derived)
	if code != 0 {
		t.Fatalf("exit code %d\n%s", code, stderr)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal([]byte(plain), &fields); err != nil {
		t.Fatal(err)
	}
	if _, ok := fields["cves_fixed"]; ok || strings.Contains(plain, `"changelog`) {
		t.Errorf("without --changelogs the JSON output has changelogs")
	}
}

// TestDiffChangelogsOfRealRPMs: real rpm packages, a base image and a root
// where some are upgraded, one downgraded: the entries between the
// versions come from the rpm headers, versions compared with rpm's rules
// (entries that leave out the epoch or the dist tag included), newest
// first; a package built without %changelog says so.
func TestDiffChangelogsOfRealRPMs(t *testing.T) {
	fixtures.RequireRoot(t)
	pkgs := t.TempDir()
	day := func(m time.Month, d int) time.Time { return time.Date(2024, m, d, 0, 0, 0, 0, time.UTC) }
	rpm := func(name, version, release string, epoch int, changes ...fixtures.RPMChange) string {
		return fixtures.BuildRPM(t, pkgs, fixtures.RPMSpec{Name: name, Version: version, Release: release, Epoch: epoch, Changelog: changes,
			Files: []fixtures.RPMFile{{Path: "/usr/bin/" + name, Content: name + " " + version + "-" + release + "\n", Mode: 0o755}}})
	}
	var (
		hello10  = fixtures.RPMChange{Day: day(1, 10), Name: "Jane Doe <jane@example.org> - 1.0-1", Text: "- Initial package"}
		hello102 = fixtures.RPMChange{Day: day(3, 1), Name: "Fedora Release Engineering <releng@fedoraproject.org> - 1.0-2", Text: "- Rebuilt"}
		hello11  = fixtures.RPMChange{Day: day(6, 1), Name: "Jane Doe <jane@example.org> - 1.1-1",
			Text: "- Update to 1.1\n- Fix CVE-2024-3000 (rhbz#123)"}
		tool10 = fixtures.RPMChange{Day: day(1, 1), Name: "John Roe <john@example.org> - 1.0-1", Text: "- Initial package"}
		tool20 = fixtures.RPMChange{Day: day(5, 1), Name: "John Roe <john@example.org> - 2.0-1", Text: "- Update to 2.0 (CVE-2023-1000)"}
		// An epoch the changelog does not write, as usual.
		kern301 = fixtures.RPMChange{Day: day(2, 2), Name: "Kernel Team <kernel@example.org> - 3.0.1-1", Text: "- 3.0.1"}
		kern302 = fixtures.RPMChange{Day: day(4, 4), Name: "Kernel Team <kernel@example.org> - 3.0.2-1", Text: "- 3.0.2"}
	)
	v1 := []string{
		rpm("hello", "1.0", "1.fc41", 0, hello10),
		rpm("tool", "2.0", "1.fc41", 0, tool20, tool10),
		rpm("nolog", "1", "1", 0),
		rpm("kern", "3.0.1", "1.fc41", 2, kern301),
	}
	base, derived := t.TempDir(), t.TempDir()
	fixtures.InstallRPMs(t, base, "/usr/lib/sysimage/rpm", "sqlite", v1...)
	fixtures.InstallRPMs(t, derived, "/usr/lib/sysimage/rpm", "sqlite", v1...)
	fixtures.InstallRPMs(t, derived, "/usr/lib/sysimage/rpm", "sqlite",
		rpm("hello", "1.1", "1.fc41", 0, hello11, hello102, hello10),
		rpm("nolog", "2", "1", 0),
		rpm("kern", "3.0.2", "1.fc41", 2, kern302, kern301))
	fixtures.InstallRPMsWith(t, derived, "/usr/lib/sysimage/rpm", "sqlite", []string{"--oldpackage"}, rpm("tool", "1.0", "1.fc41", 0, tool10))
	layout := t.TempDir()
	fixtures.WriteOCILayout(t, layout, fixtures.Named{Name: "base", Image: fixtures.Image(t, fixtures.BaseLabels, nil, fixtures.LayerFromDir(t, base))})

	res := diffJSON(t, "--changelogs", "oci:"+layout+":base", "--rootfs", derived)
	type entry struct{ version, author, date, text string }
	for _, tc := range []struct {
		name string
		kind diff.PackageKind
		want []entry
	}{
		{"hello", diff.PackageUpgraded, []entry{
			{"1.1-1", "Jane Doe <jane@example.org>", "2024-06-01T12:00:00Z", "- Update to 1.1\n- Fix CVE-2024-3000 (rhbz#123)"},
			{"1.0-2", "Fedora Release Engineering <releng@fedoraproject.org>", "2024-03-01T12:00:00Z", "- Rebuilt"}}},
		{"kern", diff.PackageUpgraded, []entry{{"3.0.2-1", "Kernel Team <kernel@example.org>", "2024-04-04T12:00:00Z", "- 3.0.2"}}},
		// What the downgrade takes back, from the base's header.
		{"tool", diff.PackageDowngraded, []entry{{"2.0-1", "John Roe <john@example.org>", "2024-05-01T12:00:00Z", "- Update to 2.0 (CVE-2023-1000)"}}},
	} {
		p := changelogOf(t, res, tc.name)
		var got []entry
		for _, e := range p.Changelog {
			got = append(got, entry{e.Version, e.Author, e.Date.Format(time.RFC3339), e.Text})
		}
		if p.Kind != tc.kind || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %s (missing %q) (-want +got):\n-%q\n+%q", tc.name, p.Kind, p.ChangelogMissing, tc.want, got)
		}
	}
	if p := changelogOf(t, res, "nolog"); p.ChangelogMissing != "the rpm header of nolog-2-1 has no changelog" || p.Changelog != nil {
		t.Errorf("nolog: changelog_missing %q with %d entries", p.ChangelogMissing, len(p.Changelog))
	}
	if !slices.Equal(res.CVEsFixed, []string{"CVE-2024-3000"}) || !slices.Equal(res.CVEsReverted, []string{"CVE-2023-1000"}) {
		t.Errorf("cves_fixed %q, cves_reverted %q; want CVE-2024-3000 and CVE-2023-1000", res.CVEsFixed, res.CVEsReverted)
	}
}
