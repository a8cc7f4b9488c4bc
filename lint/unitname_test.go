package lint

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
)

// TestEscapeUnitPathAsSystemd compares escapeUnitPath with systemd-escape
// --path on names that exercise every rule, and on a path holding every
// byte but NUL and "/".
func TestEscapeUnitPathAsSystemd(t *testing.T) {
	fixtures.RequireTools(t, "systemd-escape")
	var every []byte
	for c := 1; c < 256; c++ {
		if c != '/' {
			every = append(every, byte(c))
		}
	}
	paths := []string{
		"/", "/opt/app/data", "/opt/my-app/data", "/usr/local", "/usr/lib/opt", "/var/lib/volumes/opt-app-data",
		"/srv/da ta", "/.hidden/x", "/a/.b", "/a//b/", "/a/./b", "/./.x", "/opt/ü/日本", `/a\b`, "/a:b_c~d+e@f%g",
		"/" + string(every[:100]) + "/" + string(every[100:]), "/-", "/..a/b..",
	}
	want, err := exec.Command("systemd-escape", append([]string{"--path"}, paths...)...).Output()
	if err != nil {
		t.Fatal(err)
	}
	names := strings.Fields(string(want))
	if len(names) != len(paths) {
		t.Fatalf("systemd-escape printed %d names for %d paths: %q", len(names), len(paths), want)
	}
	for i, p := range paths {
		got, err := escapeUnitPath(p)
		if err != nil || got != names[i] {
			t.Errorf("escapeUnitPath(%q) = %q, %v; systemd-escape --path: %q", p, got, err, names[i])
		}
	}
	// Paths systemd cannot name, refused by both.
	for _, p := range []string{"/a/../b", "/.."} {
		if out, err := exec.Command("systemd-escape", "--path", p).Output(); err == nil {
			t.Errorf("systemd-escape --path %q succeeded: %q", p, out)
		}
		if got, err := escapeUnitPath(p); err == nil {
			t.Errorf("escapeUnitPath(%q) = %q, want an error", p, got)
		}
	}
	if got, err := escapeUnitPath("opt/app"); err == nil {
		t.Errorf("escapeUnitPath of a relative path = %q, want an error", got)
	}
}
