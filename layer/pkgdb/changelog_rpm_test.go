package pkgdb

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// changelogValues are the changelog tags of a header with three entries,
// as rpmbuild writes them: newest first, at noon UTC.
func changelogValues() []tv {
	return []tv{
		i32s(tagChangelogTime, 1717243200, 1709208000, 1709208000),
		strs(tagChangelogName,
			"Jane Doe <jane@example.org> - 1:3.0.2-1",
			"Fedora Release Engineering <releng@fedoraproject.org> - 3.0.1-2",
			"John Roe <john@example.org>"),
		strs(tagChangelogText, "- Update to 3.0.2\n- Fix CVE-2024-1234", "- Rebuilt", "- a change without a version"),
	}
}

func TestRPMChangelog(t *testing.T) {
	blob := makeHeader(true, append(basicValues(), changelogValues()...)...)
	noon := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 12, 0, 0, 0, time.UTC) }
	want := []ChangelogEntry{
		{Version: "1:3.0.2-1", Time: noon(2024, 6, 1), Author: "Jane Doe <jane@example.org>", Text: "- Update to 3.0.2\n- Fix CVE-2024-1234"},
		{Version: "3.0.1-2", Time: noon(2024, 2, 29), Author: "Fedora Release Engineering <releng@fedoraproject.org>", Text: "- Rebuilt"},
		{Time: noon(2024, 2, 29), Author: "John Roe <john@example.org>", Text: "- a change without a version"},
	}
	p, err := packageFromHeader(blob, ReadOptions{Changelogs: true})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(want, p.Changelog) {
		t.Errorf("changelog (-want +got):\n-%+v\n+%+v", want, p.Changelog)
	}
	if got := p.ChangeTimes; !reflect.DeepEqual(got, []int64{1717243200, 1709208000, 1709208000}) {
		t.Errorf("ChangeTimes = %v", got)
	}
	if p, err := packageFromHeader(blob, ReadOptions{}); err != nil || p.Changelog != nil {
		t.Errorf("without ReadOptions.Changelogs: %v entries, %v; want none", len(p.Changelog), err)
	}
	if p, err := packageFromHeader(makeHeader(true, basicValues()...), ReadOptions{Changelogs: true}); err != nil || p.Changelog != nil {
		t.Errorf("a header without a changelog: %+v, %v; want none", p.Changelog, err)
	}

	for _, tc := range []struct {
		name   string
		values []tv
		want   string
	}{
		{"a name short", []tv{i32s(tagChangelogTime, 1, 2), strs(tagChangelogName, "a"), strs(tagChangelogText, "x", "y")},
			"changelog of 2 CHANGELOGTIME, 1 CHANGELOGNAME and 2 CHANGELOGTEXT values"},
		{"no texts", []tv{i32s(tagChangelogTime, 1), strs(tagChangelogName, "a")},
			"changelog of 1 CHANGELOGTIME, 1 CHANGELOGNAME and 0 CHANGELOGTEXT values"},
		{"names not an array", []tv{i32s(tagChangelogTime, 1), str(tagChangelogName, "a"), strs(tagChangelogText, "x")},
			"CHANGELOGNAME: tag 1081 has type 6"},
		{"texts unterminated", []tv{i32s(tagChangelogTime, 1), strs(tagChangelogName, "a"), {tagChangelogText, typeStringArray, 1, []byte("x")}},
			"CHANGELOGTEXT: tag 1082: string 0 not NUL-terminated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := packageFromHeader(makeHeader(false, append(basicValues(), tc.values...)...), ReadOptions{Changelogs: true})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestSplitChangelogName(t *testing.T) {
	for _, tc := range []struct{ in, author, version string }{
		{"Jane Doe <jane@example.org> - 1.2-3", "Jane Doe <jane@example.org>", "1.2-3"},
		{"Jane Doe <jane@example.org> -1.2-3.fc41", "Jane Doe <jane@example.org>", "1.2-3.fc41"},
		{"Jane Doe <jane@example.org> 2:1.2-3", "Jane Doe <jane@example.org>", "2:1.2-3"},
		{"Jane Doe <jane@example.org> - 1.2-3 (rebuild)", "Jane Doe <jane@example.org>", "1.2-3"},
		{"Jane Doe <jane@example.org>", "Jane Doe <jane@example.org>", ""},
		{"Jane Doe <jane@example.org> - see bug 123", "Jane Doe <jane@example.org> - see bug 123", ""},
		{"jane@example.org - 0.9-1", "jane@example.org", "0.9-1"},
		{"Jane Doe", "Jane Doe", ""},
		{"  ", "", ""},
		{"<> -", "<> -", ""},
	} {
		if author, version := splitChangelogName(tc.in); author != tc.author || version != tc.version {
			t.Errorf("splitChangelogName(%q) = %q, %q; want %q, %q", tc.in, author, version, tc.author, tc.version)
		}
	}
}
