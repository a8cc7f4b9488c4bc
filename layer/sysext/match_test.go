package sysext

import (
	"strings"
	"testing"
)

// TestMatch is systemd's extension_release_validate() (at the commit of
// pull request 37648, src/shared/extension-util.c) as a table: host
// os-release and extension-release pairs, and whether systemd-sysext
// merge (scope "system") takes the extension. want is "" for a match,
// else a word of the reason.
func TestMatch(t *testing.T) {
	fedora := map[string]string{"ID": "fedora", "VERSION_ID": "42"}
	flatcar := map[string]string{"ID": "flatcar", "VERSION_ID": "4081.2.0", "SYSEXT_LEVEL": "1.0"}
	arch := map[string]string{"ID": "arch"} // a rolling release: no version
	bazzite := map[string]string{"ID": "bazzite", "ID_LIKE": "fedora rhel", "VERSION_ID": "42"}
	levelOnly := map[string]string{"ID": "acme", "SYSEXT_LEVEL": "3"}
	confLevel := map[string]string{"ID": "acme", "VERSION_ID": "7", "CONFEXT_LEVEL": "c1"}
	cases := []struct {
		name string
		host map[string]string
		arch string
		kind Kind
		ext  map[string]string
		want string
	}{
		{"same ID and VERSION_ID", fedora, "x86-64", System, map[string]string{"ID": "fedora", "VERSION_ID": "42"}, ""},
		{"other VERSION_ID", fedora, "x86-64", System, map[string]string{"ID": "fedora", "VERSION_ID": "41"}, "VERSION_ID=41"},
		{"no VERSION_ID", fedora, "x86-64", System, map[string]string{"ID": "fedora"}, "no VERSION_ID"},
		{"other ID", fedora, "x86-64", System, map[string]string{"ID": "debian", "VERSION_ID": "42"}, "ID=debian"},
		{"no ID", fedora, "x86-64", System, map[string]string{"VERSION_ID": "42"}, "no ID"},
		{"empty release", fedora, "x86-64", System, map[string]string{}, "no fields"},
		{"_any skips the version", fedora, "x86-64", System, map[string]string{"ID": "_any", "VERSION_ID": "1"}, ""},
		{"_any still checks the architecture", fedora, "x86-64", System, map[string]string{"ID": "_any", "ARCHITECTURE": "arm64"}, "ARCHITECTURE=arm64"},
		{"architecture _any", fedora, "x86-64", System, map[string]string{"ID": "fedora", "VERSION_ID": "42", "ARCHITECTURE": "_any"}, ""},
		{"same architecture", fedora, "x86-64", System, map[string]string{"ID": "fedora", "VERSION_ID": "42", "ARCHITECTURE": "x86-64"}, ""},
		{"level on both sides wins over VERSION_ID", flatcar, "x86-64", System, map[string]string{"ID": "flatcar", "SYSEXT_LEVEL": "1.0", "VERSION_ID": "1"}, ""},
		{"other level", flatcar, "x86-64", System, map[string]string{"ID": "flatcar", "SYSEXT_LEVEL": "2.0"}, "SYSEXT_LEVEL=2.0"},
		{"no level: VERSION_ID instead", flatcar, "x86-64", System, map[string]string{"ID": "flatcar", "VERSION_ID": "4081.2.0"}, ""},
		{"no level, other VERSION_ID", flatcar, "x86-64", System, map[string]string{"ID": "flatcar", "VERSION_ID": "4081.3.0"}, "VERSION_ID=4081.3.0"},
		{"a confext compares CONFEXT_LEVEL, not SYSEXT_LEVEL", flatcar, "x86-64", Config, map[string]string{"ID": "flatcar", "SYSEXT_LEVEL": "1.0"}, "no VERSION_ID"},
		{"CONFEXT_LEVEL", confLevel, "x86-64", Config, map[string]string{"ID": "acme", "CONFEXT_LEVEL": "c1"}, ""},
		{"a sysext ignores CONFEXT_LEVEL", confLevel, "x86-64", System, map[string]string{"ID": "acme", "CONFEXT_LEVEL": "c1"}, "no VERSION_ID"},
		{"rolling release host: ID alone", arch, "x86-64", System, map[string]string{"ID": "arch", "VERSION_ID": "anything"}, ""},
		{"host with a level but no VERSION_ID, extension with neither", levelOnly, "x86-64", System, map[string]string{"ID": "acme"}, ""},
		{"host with a level but no VERSION_ID, other level", levelOnly, "x86-64", System, map[string]string{"ID": "acme", "SYSEXT_LEVEL": "4"}, "SYSEXT_LEVEL=4"},
		{"ID_LIKE", bazzite, "x86-64", System, map[string]string{"ID": "fedora", "VERSION_ID": "42"}, ""},
		{"not in ID_LIKE", bazzite, "x86-64", System, map[string]string{"ID": "debian", "VERSION_ID": "42"}, "like fedora rhel"},
		{"scope portable only", fedora, "x86-64", System, map[string]string{"ID": "fedora", "VERSION_ID": "42", "SYSEXT_SCOPE": "portable"}, "does not include system"},
		{"scope initrd system", fedora, "x86-64", System, map[string]string{"ID": "fedora", "VERSION_ID": "42", "SYSEXT_SCOPE": "initrd system"}, ""},
		{"CONFEXT_SCOPE for a confext", fedora, "x86-64", Config, map[string]string{"ID": "fedora", "VERSION_ID": "42", "CONFEXT_SCOPE": "initrd", "SYSEXT_SCOPE": "system"}, "CONFEXT_SCOPE"},
		{"unknown host architecture is not compared", fedora, "", System, map[string]string{"ID": "fedora", "VERSION_ID": "42", "ARCHITECTURE": "s390x"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := Match(NewHost(tc.host, tc.arch), tc.kind, tc.ext)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("no match: %v", err)
			case tc.want != "" && err == nil:
				t.Errorf("matches, want no match (%s)", tc.want)
			case tc.want != "" && !strings.Contains(err.Error(), tc.want):
				t.Errorf("no match %q, want one saying %q", err, tc.want)
			}
		})
	}
	if !LikeOnly(NewHost(bazzite, ""), map[string]string{"ID": "fedora"}) || LikeOnly(NewHost(fedora, ""), map[string]string{"ID": "fedora"}) {
		t.Error("LikeOnly")
	}
}

// TestNewRelease is the release oslayer writes for a base, with each
// override, and that it matches the base as systemd matches it.
func TestNewRelease(t *testing.T) {
	fedora := map[string]string{"ID": "fedora", "VERSION_ID": "42"}
	flatcar := map[string]string{"ID": "flatcar", "VERSION_ID": "4081.2.0", "SYSEXT_LEVEL": "1.0"}
	cases := []struct {
		name string
		host map[string]string
		kind Kind
		opts ReleaseOptions
		want string
	}{
		{"VERSION_ID from the base", fedora, System, ReleaseOptions{}, "ID=fedora\nVERSION_ID=42\nARCHITECTURE=x86-64\n"},
		{"the base's level", flatcar, System, ReleaseOptions{}, "ID=flatcar\nSYSEXT_LEVEL=1.0\nARCHITECTURE=x86-64\n"},
		{"a confext of a base with a SYSEXT_LEVEL only", flatcar, Config, ReleaseOptions{}, "ID=flatcar\nVERSION_ID=4081.2.0\nARCHITECTURE=x86-64\n"},
		{"--level", fedora, Config, ReleaseOptions{Level: "2"}, "ID=fedora\nCONFEXT_LEVEL=2\nARCHITECTURE=x86-64\n"},
		{"--version-id over the base's level", flatcar, System, ReleaseOptions{VersionID: "4081.2.0"}, "ID=flatcar\nVERSION_ID=4081.2.0\nARCHITECTURE=x86-64\n"},
		{"--id", fedora, System, ReleaseOptions{ID: "fedora-coreos"}, "ID=fedora-coreos\nVERSION_ID=42\nARCHITECTURE=x86-64\n"},
		{"--any-os", fedora, System, ReleaseOptions{AnyOS: true}, "ID=_any\nARCHITECTURE=x86-64\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.opts.Validate(); err != nil {
				t.Fatal(err)
			}
			r, err := NewRelease(tc.kind, tc.host, "x86-64", tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := string(r.Bytes(tc.kind)); got != tc.want {
				t.Errorf("release\n%s\nwant\n%s", got, tc.want)
			}
			fields, err := ParseRelease(r.Bytes(tc.kind))
			if err != nil {
				t.Fatal(err)
			}
			matches := Match(NewHost(tc.host, "x86-64"), tc.kind, fields) == nil
			if overridden := tc.opts.ID != "" || tc.opts.Level != ""; matches == overridden {
				t.Errorf("matches the base: %v", matches)
			}
		})
	}
	if _, err := NewRelease(System, map[string]string{"VERSION_ID": "1"}, "", ReleaseOptions{}); err == nil {
		t.Error("a base without ID gives a release")
	}
	for _, bad := range []ReleaseOptions{{ID: "Fedora"}, {AnyOS: true, ID: "x"}, {AnyOS: true, Level: "1"}, {VersionID: "1", Level: "1"}, {VersionID: "4 2"}} {
		if bad.Validate() == nil {
			t.Errorf("%+v passes", bad)
		}
	}
}

func TestParseRelease(t *testing.T) {
	in := "# comment\n\nNAME=\"Fedora Linux\"\nID=fedora\nVERSION_ID=42\nPRETTY_NAME='Fedora 42'\nQUOTED=\"a \\\"b\\\" \\$c\"\nHOME_URL=\"https://fedoraproject.org/\"\n"
	got, err := ParseRelease([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"NAME": "Fedora Linux", "ID": "fedora", "VERSION_ID": "42", "PRETTY_NAME": "Fedora 42", "QUOTED": `a "b" $c`, "HOME_URL": "https://fedoraproject.org/"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s=%q, want %q", k, got[k], v)
		}
	}
	for _, bad := range []string{"no equals\n", "ID=two words\n", "1X=a\n", "A=\"open\"quote\"\n"} {
		if _, err := ParseRelease([]byte(bad)); err == nil {
			t.Errorf("%q parses", bad)
		}
	}
	if q := quote(`say "hi" $x`); q != `"say \"hi\" \$x"` {
		t.Errorf("quote: %s", q)
	}
}
