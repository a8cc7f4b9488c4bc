package diff

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/layer/pkgdb"
)

func TestCVEs(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"- Fix CVE-2024-1234 and CVE-2024-12345.", []string{"CVE-2024-1234", "CVE-2024-12345"}},
		{"(cve-2023-0001), CVE-2023-0001 again", []string{"CVE-2023-0001"}},
		{"debian/patches/CVE-2024-1111.patch, CVE-2024-2222_part1.patch", []string{"CVE-2024-1111", "CVE-2024-2222"}},
		{"CVE-2024-3333,CVE-2024-4444/CVE-2024-5555", []string{"CVE-2024-3333", "CVE-2024-4444", "CVE-2024-5555"}},
		{"XCVE-2024-1234 CVE-24-1234 CVE-2024-123 CAN-2004-0419", nil},
		{"", nil},
	} {
		if got := cves(tc.text); !slices.Equal(got, tc.want) {
			t.Errorf("cves(%q) = %q, want %q", tc.text, got, tc.want)
		}
	}
	if got, want := sortCVEs([]string{"CVE-2024-10000", "CVE-2023-9999", "CVE-2024-9999", "CVE-2024-10000"}),
		[]string{"CVE-2023-9999", "CVE-2024-9999", "CVE-2024-10000"}; !slices.Equal(got, want) {
		t.Errorf("sortCVEs = %q, want %q", got, want)
	}
}

// rpmWith is an rpm package with a changelog; entries are "version|text".
func rpmWith(name, version, release string, entries ...string) pkgdb.Package {
	p := pkgdb.Package{Name: name, Version: version, Release: release, Arch: "x86_64", Source: name}
	when := time.Date(2024, 6, 30, 12, 0, 0, 0, time.UTC)
	for _, e := range entries {
		v, text, _ := strings.Cut(e, "|")
		p.Changelog = append(p.Changelog, pkgdb.ChangelogEntry{Version: v, Time: when, Author: "Jane Doe <jane@example.org>", Text: text})
		when = when.AddDate(0, -1, 0)
	}
	return p
}

// TestAddChangelogs: a limit leaves entries out of the listing, not out of
// the CVEs; packages of one source are listed once in text; a rebuild
// without an entry, a downgrade, a header without a changelog each say
// what they are (golden text).
func TestAddChangelogs(t *testing.T) {
	many := "- Fix CVE-2024-21001, CVE-2024-21002, CVE-2024-21003, CVE-2024-21004,\n  CVE-2024-21005, CVE-2024-21006 and CVE-2024-21007"
	base := []*pkgdb.DB{{Kind: pkgdb.KindRPM, Packages: []pkgdb.Package{
		rpmWith("openssl", "3.0.1", "1.fc41", "3.0.1-1|- Update to 3.0.1"),
		rpmWith("openssl-libs", "3.0.1", "1.fc41", "3.0.1-1|- Update to 3.0.1"),
		rpmWith("rebuilt", "1.0", "1.fc41", "1.0-1|- Initial package"),
		rpmWith("tool", "2.0", "1.fc41", "2.0-1|- Update to 2.0 (CVE-2023-0042)", "1.0-1|- Initial package"),
		{Name: "bare", Version: "1", Release: "1", Arch: "x86_64"},
	}}}
	newer := []string{"3.0.3-1|- Update to 3.0.3 (CVE-2024-10001, CVE-2024-9999)", "3.0.2-1|" + many, "3.0.1-1|- Update to 3.0.1"}
	derived := []*pkgdb.DB{{Kind: pkgdb.KindRPM, Packages: []pkgdb.Package{
		rpmWith("openssl", "3.0.3", "1.fc41", newer...),
		rpmWith("openssl-libs", "3.0.3", "1.fc41", newer...),
		rpmWith("rebuilt", "1.0", "1.fc41.1", "1.0-1|- Initial package"),
		rpmWith("tool", "1.0", "1.fc41", "1.0-1|- Initial package"),
		{Name: "bare", Version: "2", Release: "1", Arch: "x86_64"},
		rpmWith("added", "1", "1", "1-1|- Initial package"),
	}}}
	src := &layer.Source{Tree: layer.NewTree(), Packages: derived, Base: &layer.Base{Tree: layer.NewTree(), Packages: base}}
	res := &Result{Base: "base", Derived: "derived", BaseFrom: layer.BaseFromArgument, Comparison: ComparedFull,
		Changes: []Change{}, Packages: ComparePackages(base, derived), Summary: Summarize(nil)}
	if err := AddChangelogs(context.Background(), src, res, 1); err != nil {
		t.Fatal(err)
	}
	var openssl *PackageChange
	for i := range res.Packages {
		if res.Packages[i].Name == "openssl" {
			openssl = &res.Packages[i]
		}
	}
	if openssl == nil || len(openssl.Changelog) != 1 || openssl.ChangelogOmitted != 1 || openssl.Changelog[0].Version != "3.0.3-1" {
		t.Fatalf("openssl with a limit of 1: %+v", openssl)
	}
	want := []string{"CVE-2024-9999", "CVE-2024-10001", "CVE-2024-21001", "CVE-2024-21002", "CVE-2024-21003",
		"CVE-2024-21004", "CVE-2024-21005", "CVE-2024-21006", "CVE-2024-21007"}
	if !slices.Equal(res.CVEsFixed, want) || !slices.Equal(res.CVEsReverted, []string{"CVE-2023-0042"}) {
		t.Errorf("cves_fixed %q, cves_reverted %q; want %q and [CVE-2023-0042]", res.CVEsFixed, res.CVEsReverted, want)
	}
	var out bytes.Buffer
	if err := WriteJSON(&out, res); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"changelog_omitted": 1`, `"changelog_missing": "the rpm header of bare-2-1 has no changelog"`,
		`"changelog": []`, `"cves": [`, `"date": "2024-06-30T12:00:00Z"`, `"cves_reverted": [`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("JSON lacks %s:\n%s", want, out.String())
		}
	}
	var back Result
	if err := json.Unmarshal(out.Bytes(), &back); err != nil || !slices.Equal(back.CVEsFixed, res.CVEsFixed) {
		t.Errorf("JSON read back: %v, cves_fixed %q", err, back.CVEsFixed)
	}
	out.Reset()
	if err := WriteText(&out, res, TextOptions{}); err != nil {
		t.Fatal(err)
	}
	goldenText(t, "changelogs", out.String())
}
