package lint

// Helpers for the translations of bootc's unit tests (bootc_*_test.go):
// bootc builds a root directory per test and calls a check on it; these
// build the same root and lint it as oslayer lint --rootfs does.

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// mkroot builds a root directory from entries, in order:
//
//	"d PATH [MODE]"     a directory (octal MODE, default 0755)
//	"f PATH [CONTENT]"  a regular file (CONTENT runs to the end of the entry)
//	"L PATH TARGET"     a symbolic link
//
// Missing parents are created 0755.
func mkroot(t *testing.T, entries ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, e := range entries {
		kind, rest, _ := strings.Cut(e, " ")
		p, arg, _ := strings.Cut(rest, " ")
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch kind {
		case "d":
			mode := uint64(0o755)
			if arg != "" {
				if mode, err = strconv.ParseUint(arg, 8, 32); err != nil {
					t.Fatalf("entry %q: %v", e, err)
				}
			}
			if err = os.MkdirAll(full, 0o755); err == nil {
				err = os.Chmod(full, os.FileMode(mode))
			}
		case "f":
			err = os.WriteFile(full, []byte(arg), 0o644)
		case "L":
			err = os.Symlink(arg, full)
		default:
			t.Fatalf("entry %q: unknown kind %q", e, kind)
		}
		if err != nil {
			t.Fatalf("entry %q: %v", e, err)
		}
	}
	return root
}

// with returns a copy of base with more entries.
func with(base []string, more ...string) []string {
	return append(slices.Clone(base), more...)
}

// without returns a copy of base without the entries named.
func without(base []string, drop ...string) []string {
	return slices.DeleteFunc(slices.Clone(base), func(e string) bool { return slices.Contains(drop, e) })
}

// passingFixture is bootc's passing_fixture() (lints.rs): the API
// directories, one kernel, an empty /boot, /sysroot, the /ostree link and
// bootc's own prepare-root.conf (baseimage/base), which enables composefs.
var passingFixture = []string{
	"d dev", "d proc", "d sys", "d run", "d tmp", "d var",
	"f usr/lib/modules/5.7.2/vmlinuz vmlinuz",
	"d boot", "d sysroot", "L ostree sysroot/ostree",
	"f usr/lib/ostree/prepare-root.conf [composefs]\nenabled = true\n",
}

// lintRoot lints the root directory as oslayer lint --rootfs does. With
// running it stands in for the live root of a build ("/" inside a RUN
// step: bootc's RootType::Running), as finalize lints it.
func lintRoot(t *testing.T, dir string, running bool, skip ...string) *Result {
	t.Helper()
	ctx := context.Background()
	target, err := Open(ctx, Input{Rootfs: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	target.Running = running
	target.Options.Skip = skip
	res, err := Run(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// findingsOf returns the findings of one rule, in the order Run gives them
// (by path).
func findingsOf(res *Result, rule string) []Finding {
	var out []Finding
	for _, f := range res.Findings {
		if f.Rule == rule {
			out = append(out, f)
		}
	}
	return out
}

// pathsOf returns the paths of findings.
func pathsOf(found []Finding) []string {
	var out []string
	for _, f := range found {
		out = append(out, f.Path)
	}
	return out
}

// checkOf returns the outcome of one rule.
func checkOf(t *testing.T, res *Result, rule string) Check {
	t.Helper()
	for _, c := range res.Checks {
		if c.Rule == rule {
			return c
		}
	}
	t.Fatalf("no check %s", rule)
	return Check{}
}

// ruleCase is one state of a bootc test: a root, and the paths the rule
// finds there (none: it passes).
type ruleCase struct {
	upstream string // the bootc test it comes from
	name     string
	root     []string
	running  bool
	rule     string
	want     []string
}

// runRuleCases lints each case's root and compares the rule's findings.
func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.upstream+"/"+tc.name, func(t *testing.T) {
			res := lintRoot(t, mkroot(t, tc.root...), tc.running)
			if c := checkOf(t, res, tc.rule); c.Status == Skipped {
				t.Fatalf("%s skipped: %s", tc.rule, c.Reason)
			}
			found := findingsOf(res, tc.rule)
			if got := pathsOf(found); !slices.Equal(got, tc.want) {
				t.Errorf("%s findings (-want +got):\n-%s\n+%s\nall: %+v", tc.rule, strings.Join(tc.want, "\n-"), strings.Join(got, "\n+"), found)
			}
		})
	}
}
