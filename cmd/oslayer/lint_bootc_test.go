package main

import (
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/lint"
)

// bootcRoot writes a root that passes bootc's checks (bootc's
// passing_fixture), plus files (path → content; "/" ending a path makes a
// directory).
func bootcRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	all := map[string]string{
		"dev/": "", "proc/": "", "sys/": "", "run/": "", "tmp/": "", "var/": "", "boot/": "", "sysroot/": "",
		"usr/lib/modules/5.7.2/vmlinuz":    "vmlinuz",
		"usr/lib/ostree/prepare-root.conf": "[composefs]\nenabled = true\n",
	}
	for p, c := range files {
		all[p] = c
	}
	for p, c := range all {
		full := filepath.Join(root, p)
		if strings.HasSuffix(p, "/") {
			os.MkdirAll(full, 0o755)
			continue
		}
		os.MkdirAll(filepath.Dir(full), 0o755)
		if err := os.WriteFile(full, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("sysroot/ostree", filepath.Join(root, "ostree")); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestLintBootcDifferencesCLI: what users of bootc container lint found
// oslayer doing differently, through the command line.
func TestLintBootcDifferencesCLI(t *testing.T) {
	cache := t.TempDir()

	t.Run("/var a file is the api-base-directories finding", func(t *testing.T) {
		root := bootcRoot(t, nil)
		os.Remove(filepath.Join(root, "var"))
		os.WriteFile(filepath.Join(root, "var"), []byte("a file for var"), 0o644)
		stdout, stderr, code := oslayer(t, cache, "lint", "--rootfs", root)
		if code != 1 || !strings.Contains(stdout, "api-base-directories (fatal)") || !strings.Contains(stdout, "/var: /var is a file, not a directory") {
			t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
		}
	})

	t.Run("var-tmpfiles is skipped on --rootfs DIR, saying why", func(t *testing.T) {
		root := bootcRoot(t, map[string]string{"var/lib/app/": ""})
		stdout, stderr, code := oslayer(t, cache, "lint", "--rootfs", root)
		if code != 0 || !regexp.MustCompile(`skipped\s+var-tmpfiles\s+bootc checks /var only on the live root`).MatchString(stdout) {
			t.Errorf("exit %d\n%s\n%s", code, stdout, stderr)
		}
	})

	t.Run("--skip a,b is --skip a --skip b", func(t *testing.T) {
		root := bootcRoot(t, map[string]string{"var/log/build.log": "log", "boot/vmlinuz": "k"})
		skipped := func(args ...string) []string {
			stdout, stderr, code := oslayer(t, cache, append([]string{"lint", "--rootfs", root, "--format", "json"}, args...)...)
			var res lint.Result
			if err := json.Unmarshal([]byte(stdout), &res); err != nil || code != 0 {
				t.Fatalf("exit %d, %v\n%s\n%s", code, err, stdout, stderr)
			}
			var out []string
			for _, c := range res.Checks {
				if c.Status == lint.Skipped && c.Reason == "skipped with --skip" {
					out = append(out, c.Rule)
				}
			}
			if len(res.Findings) != 0 {
				t.Errorf("%v: findings %+v", args, res.Findings)
			}
			return out
		}
		comma, repeated := skipped("--skip", "var-log,nonempty-boot"), skipped("--skip", "var-log", "--skip", "nonempty-boot")
		if strings.Join(comma, " ") != "nonempty-boot var-log" || strings.Join(repeated, " ") != strings.Join(comma, " ") {
			t.Errorf("--skip a,b skipped %v, --skip a --skip b %v", comma, repeated)
		}
		if _, stderr, code := oslayer(t, cache, "lint", "--rootfs", root, "--skip", "var-log,nope"); code != 2 || !strings.Contains(stderr, `no rule "nope"`) {
			t.Errorf("an unknown rule in a list: exit %d\n%s", code, stderr)
		}
	})

	t.Run("text and JUnit agree on what failed", func(t *testing.T) {
		failedText := regexp.MustCompile(`Checks: \d+ passed \(\d+ with warnings\), (\d+) failed, \d+ skipped\.`)
		for _, tc := range []struct {
			name  string
			files map[string]string
			flags []string
			want  int
		}{
			{"a warning", map[string]string{"tmp/leftover": "x"}, nil, 0},
			{"a warning, fatal", map[string]string{"tmp/leftover": "x"}, []string{"--fatal-warnings"}, 1},
			{"a fatal finding and a warning", map[string]string{"tmp/leftover": "x", "var/run/": ""}, nil, 1},
			{"a fatal finding and a warning, fatal", map[string]string{"tmp/leftover": "x", "var/run/": ""}, []string{"--fatal-warnings"}, 2},
		} {
			t.Run(tc.name, func(t *testing.T) {
				root := bootcRoot(t, tc.files)
				text, _, code := oslayer(t, cache, append([]string{"lint", "--rootfs", root}, tc.flags...)...)
				m := failedText.FindStringSubmatch(text)
				if m == nil {
					t.Fatalf("no count line:\n%s", text)
				}
				junit, _, jcode := oslayer(t, cache, append([]string{"lint", "--rootfs", root, "--format", "junit"}, tc.flags...)...)
				var doc struct {
					Failures int `xml:"failures,attr"`
				}
				if err := xml.Unmarshal([]byte(junit), &doc); err != nil {
					t.Fatal(err)
				}
				if n, _ := strconv.Atoi(m[1]); n != tc.want || doc.Failures != tc.want || code != jcode || (code == 1) != (tc.want > 0) {
					t.Errorf("text says %s failed (exit %d), JUnit %d (exit %d); want %d\n%s", m[1], code, doc.Failures, jcode, tc.want, text)
				}
			})
		}
	})
}
