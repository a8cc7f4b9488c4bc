package lint

// The unit tests of bootc's crates/ostree-ext/src/ostree_prepareroot.rs
// (bootc-dev/bootc at 534c76ea), translated, and of the code
// baseimage-composefs shares with opt-state.

import (
	"testing"
)

// test_tristate and test_composefs_state.
func TestBootcComposefsState(t *testing.T) {
	for v, want := range map[string]composefsMode{
		"yes": composefsYes, "true": composefsYes, "1": composefsYes,
		"maybe": composefsMaybe,
		"no":    composefsNo, "false": composefsNo, "0": composefsNo,
		"signed": composefsSigned, "verity": composefsVerity,
	} {
		if got, err := parseComposefsMode(v); got != want || err != nil {
			t.Errorf("%q: %v, %v; want %v", v, got, err, want)
		}
	}
	for _, v := range []string{"", "junk", "fal", "tr1"} {
		got, err := parseComposefsMode(v)
		if err == nil || got.enabled() {
			t.Errorf("%q: %v, %v; want an error, disabled", v, got, err)
		}
	}
	for mode, enabled := range map[composefsMode]bool{composefsYes: true, composefsMaybe: true, composefsSigned: true, composefsVerity: true,
		composefsNo: false, composefsUnset: false, composefsInvalid: false} {
		if mode.enabled() != enabled {
			t.Errorf("%v enabled = %v", mode, !enabled)
		}
	}
}

// test_overlayfs_enabled.
func TestBootcOverlayfsEnabled(t *testing.T) {
	d0 := "[foo]\nbar = baz\n[root]\n"
	d1 := "[root]\ntransient = false\n    "
	d2 := "[composefs]\nenabled = false\n    "
	for v, want := range map[string]bool{
		"": false, d0: false, d1: false, d2: false,
		d0 + "\n[root]\ntransient = true":                                true,
		d1 + "\n[composefs]\nenabled = true\n[other]\nsomekey = someval": true,
		d1 + "\n[composefs]\nenabled = yes":                              true,
		d1 + "\n[composefs]\nenabled = signed":                           true,
	} {
		pr := parsePrepareRoot(v)
		if pr.overlayfsEnabled() != want || len(pr.Errors) > 0 {
			t.Errorf("%q: enabled %v (want %v), errors %v", v, pr.overlayfsEnabled(), want, pr.Errors)
		}
	}
}

// bootc stops with an error on a prepare-root.conf GKeyFile refuses, or
// whose transient is no boolean: fatal findings here; an invalid composefs
// value is, for bootc, composefs not enabled: a warning.
func TestPrepareRootErrors(t *testing.T) {
	const conf = "f usr/lib/ostree/prepare-root.conf "
	for _, tc := range []struct {
		name, content string
		want          Level
	}{
		{"not a key = value pair", "[composefs]\nenabled = true\njunk\n", Fatal},
		{"a key before any group", "enabled = true\n[composefs]\nenabled = true\n", Fatal},
		{"an unterminated group", "[composefs\nenabled = true\n", Fatal},
		{"transient not a boolean", "[composefs]\nenabled = true\n[root]\ntransient = yes\n", Fatal},
		{"an invalid composefs value", "[composefs]\nenabled = junk\n", Warning},
		{"comments and blank lines", "# comment\n\n  # indented comment\n[composefs]\nenabled = true\n", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			found := findingsOf(lintRoot(t, mkroot(t, conf+tc.content), false), "baseimage-composefs")
			switch {
			case tc.want == "" && len(found) > 0, tc.want != "" && levelOf(found) != tc.want:
				t.Errorf("findings %+v, want %s ones at most", found, tc.want)
			}
		})
	}
}
