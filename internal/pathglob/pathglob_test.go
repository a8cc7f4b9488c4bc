package pathglob

import (
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		name    string
		pattern string
		match   []string
		nomatch []string
	}{
		{"pyc below /usr/lib at any depth", "/usr/lib/**/*.pyc",
			[]string{"/usr/lib/x.pyc", "/usr/lib/python3.11/__pycache__/abc.cpython-311.pyc", "/usr/lib/a/b/c/d.pyc"},
			[]string{"/usr/lib/python3.11/abc.py", "/usr/lib", "/usr/lib64/x.pyc", "/usr/x.pyc", "/usr/lib/x.pyc.bak"}},
		{"a directory matches itself and everything below it", "/etc",
			[]string{"/etc", "/etc/passwd", "/etc/ssh/sshd_config"},
			[]string{"/etcetera", "/etc-", "/usr/etc", "/", "/var/etc/x"}},
		{"a trailing slash changes nothing", "/etc/",
			[]string{"/etc", "/etc/passwd", "/etc/ssh/sshd_config"},
			[]string{"/etcetera", "/usr/etc"}},
		{"repeated slashes change nothing", "//usr//bin",
			[]string{"/usr/bin", "/usr/bin/ls"},
			[]string{"/usr", "/usr/sbin/ls"}},
		{"** at the end: the directory and everything below it", "/etc/**",
			[]string{"/etc", "/etc/passwd", "/etc/a/b/c"},
			[]string{"/etcx/passwd", "/usr/etc/passwd"}},
		{"** at the start: anywhere", "**/*.pyc",
			[]string{"/x.pyc", "/usr/lib/python3/__pycache__/a.pyc"},
			[]string{"/usr/lib/a.py", "/pyc"}},
		{"** in the middle matches no component too", "/usr/**/bin/ls",
			[]string{"/usr/bin/ls", "/usr/local/bin/ls", "/usr/a/b/bin/ls"},
			[]string{"/usr/bin/lsof", "/bin/ls", "/usr/sbin/ls"}},
		{"* stays within a component", "/usr/*/ls",
			[]string{"/usr/bin/ls"},
			[]string{"/usr/local/bin/ls", "/usr/ls"}},
		{"a glob on a directory matches what is below it", "/usr/lib/python3*",
			[]string{"/usr/lib/python3", "/usr/lib/python3.11/os.py", "/usr/lib/python3/dist-packages/x"},
			[]string{"/usr/lib/python2.7/os.py", "/usr/lib/libpython3.so"}},
		{"character class", "/usr/lib/python3.1[01]/os.py",
			[]string{"/usr/lib/python3.10/os.py", "/usr/lib/python3.11/os.py"},
			[]string{"/usr/lib/python3.12/os.py", "/usr/lib/python3.1/os.py"}},
		{"character range", "/etc/rc[0-6].d/*",
			[]string{"/etc/rc0.d/K01nginx", "/etc/rc6.d/K01nginx"},
			[]string{"/etc/rcS.d/S01x", "/etc/rc7.d/x"}},
		{"negated class, shell spelling", "/etc/rc[!0-6].d/*",
			[]string{"/etc/rcS.d/S01x"},
			[]string{"/etc/rc0.d/K01nginx", "/etc/rc5.d/S01x"}},
		{"negated class, Go spelling", "/etc/rc[^0-6].d/*",
			[]string{"/etc/rcS.d/S01x"},
			[]string{"/etc/rc3.d/S01x"}},
		{"a ! inside a class is literal", "/x/[a!]",
			[]string{"/x/a", "/x/!"},
			[]string{"/x/b"}},
		{"escaped wildcard", `/etc/a\*b`,
			[]string{"/etc/a*b"},
			[]string{"/etc/axb"}},
		{"escaped bracket then !", `/x/\[!a]`,
			[]string{"/x/[!a]"},
			[]string{"/x/b", "/x/a"}},
		{"? is one character", "/usr/bin/l?",
			[]string{"/usr/bin/ls", "/usr/bin/ln"},
			[]string{"/usr/bin/l", "/usr/bin/lsof"}},
		{"the root matches everything", "/",
			[]string{"/", "/etc", "/usr/bin/ls"},
			nil},
		{"**/** is **", "/usr/**/**/ls",
			[]string{"/usr/ls", "/usr/bin/ls", "/usr/a/b/c/ls"},
			[]string{"/usr/lsx"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Compile(tc.pattern)
			if err != nil {
				t.Fatalf("Compile(%q): %v", tc.pattern, err)
			}
			if g.String() != tc.pattern {
				t.Errorf("String() = %q, want %q", g.String(), tc.pattern)
			}
			for _, p := range tc.match {
				if !g.Match(p) {
					t.Errorf("%q does not match %q", tc.pattern, p)
				}
			}
			for _, p := range tc.nomatch {
				if g.Match(p) {
					t.Errorf("%q matches %q", tc.pattern, p)
				}
			}
		})
	}
}

func TestCompileRejects(t *testing.T) {
	tests := []struct {
		name, pattern, err string
	}{
		{"empty", "", "empty pattern"},
		{"relative", "etc/passwd", "want an absolute path"},
		{"relative wildcard", "*.pyc", "want an absolute path"},
		{"unclosed class", "/usr/lib/[ab", `component "[ab": malformed`},
		{"empty class", "/usr/[]", `component "[]": malformed`},
		{"trailing backslash", `/usr/a\`, `malformed`},
		{"bad range", "/usr/[z-", "malformed"},
		{"dot-dot", "/usr/../etc", `component "..": paths here are clean`},
		{"dot", "/usr/./bin", `component ".": paths here are clean`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			g, err := Compile(tc.pattern)
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Compile(%q) = %v, %v; want an error saying %q", tc.pattern, g, err, tc.err)
			}
		})
	}
}
