package lint

// The unit tests of bootc's crates/lib/src/lints.rs (bootc-dev/bootc at
// 534c76ea), translated: each state a test builds is a root here, linted
// as oslayer lint --rootfs does, with the same outcome for the same rule.
// Cases named "oslayer:" pin a deliberate difference or a fixed one.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

func TestBootcLintsRules(t *testing.T) {
	const efi = "f boot/EFI/Linux/foo.efi some dummy efi"
	runtimeDirs := []string{"d run", "d tmp"}
	const bad = "\xff"
	quoted := strconv.QuoteToASCII
	adversarial := []string{"d subdir", "L self self", "L subdir/parent ..", "L broken does-not-exist", "L escape ../../x"}
	baseCopy := "usr/share/doc/bootc/baseimage/base"
	goodCopy := []string{
		"d " + baseCopy + "/sysroot", "L " + baseCopy + "/ostree sysroot/ostree",
		"f " + baseCopy + "/usr/lib/ostree/prepare-root.conf [composefs]\nenabled = true\n",
	}
	runRuleCases(t, []ruleCase{
		{"test_var_run", "empty root passes", nil, false, "var-run", nil},
		{"test_var_run", "var/run a directory", []string{"d var/run/foo"}, false, "var-run", []string{"/var/run"}},
		{"test_var_run", "var/run removed passes again", []string{"d var"}, false, "var-run", nil},

		{"test_api", "passing fixture", passingFixture, false, "api-base-directories", nil},
		{"test_api", "var missing", without(passingFixture, "d var"), false, "api-base-directories", []string{"/var"}},
		// oslayer: this used to stop lint with an rpmdb read error (exit 2).
		{"test_api", "var a file", with(without(passingFixture, "d var"), "f var a file for var"), false, "api-base-directories", []string{"/var"}},

		{"test_kernel_lint", "no kernel passes", nil, false, "kernel", nil},
		{"test_kernel_lint", "two kernels", []string{"f usr/lib/modules/5.7.2/vmlinuz old vmlinuz", "f usr/lib/modules/6.3.1/vmlinuz new vmlinuz"}, false, "kernel",
			[]string{"/usr/lib/modules/5.7.2", "/usr/lib/modules/6.3.1"}},
		{"test_kernel_lint", "one kernel passes again", []string{"f usr/lib/modules/6.3.1/vmlinuz new vmlinuz"}, false, "kernel", nil},
		// oslayer: bootc tests whether vmlinuz exists, following links.
		{"test_kernel_lint", "oslayer: a dangling vmlinuz is no kernel", []string{"f usr/lib/modules/5.7.2/vmlinuz old vmlinuz", "d usr/lib/modules/6.3.1", "L usr/lib/modules/6.3.1/vmlinuz ../../../../boot/vmlinuz-6.3.1"}, false, "kernel", nil},
		{"test_kernel_lint", "oslayer: a vmlinuz link to a file is a kernel", []string{"f usr/lib/modules/5.7.2/vmlinuz old vmlinuz", "f boot/vmlinuz-6.3.1 new", "L usr/lib/modules/6.3.1/vmlinuz /boot/vmlinuz-6.3.1"}, false, "kernel",
			[]string{"/usr/lib/modules/5.7.2", "/usr/lib/modules/6.3.1"}},

		{"test_kargs", "no kargs.d passes", nil, false, "bootc-kargs", nil},
		// oslayer: this used to pass.
		{"test_kargs", "kargs.d a file", []string{"f usr/lib/bootc/kargs.d not a directory"}, false, "bootc-kargs", []string{"/usr/lib/bootc/kargs.d"}},

		{"test_usr_etc", "empty root passes", nil, false, "etc-usretc", nil},
		{"test_usr_etc", "etc and usr/etc", []string{"d etc", "d usr/etc"}, false, "etc-usretc", []string{"/usr/etc"}},
		{"test_usr_etc", "usr/etc alone passes", []string{"d usr/etc"}, false, "etc-usretc", nil},

		{"test_varlog", "no var/log passes", nil, false, "var-log", nil},
		{"test_varlog", "empty var/log passes", []string{"d var/log"}, false, "var-log", nil},
		{"test_varlog", "a symlink passes", []string{"L var/log/README ../../usr/share/doc/systemd/README.logs"}, false, "var-log", nil},
		{"test_varlog", "one log", []string{"L var/log/README ../../usr/share/doc/systemd/README.logs", "f var/log/somefile.log log contents"}, false, "var-log",
			[]string{"/var/log/somefile.log"}},
		{"test_varlog", "three logs, sorted", []string{"f var/log/somefile.log log contents", "f var/log/someproject/audit.log audit log", "f var/log/someproject/info.log info"}, false, "var-log",
			[]string{"/var/log/somefile.log", "/var/log/someproject/audit.log", "/var/log/someproject/info.log"}},

		{"test_boot", "passing fixture", passingFixture, false, "nonempty-boot", nil},
		{"test_boot", "EFI at the root passes", with(passingFixture, "f EFI/Linux/foo.efi some dummy efi"), false, "nonempty-boot", nil},
		{"test_boot", "boot/EFI passes", with(passingFixture, efi), false, "nonempty-boot", nil},
		{"test_boot", "a directory in boot", with(passingFixture, efi, "d boot/somesubdir"), false, "nonempty-boot", []string{"/boot/somesubdir"}},
		{"test_boot", "no boot", without(passingFixture, "d boot"), false, "nonempty-boot", []string{"/boot"}},
		// oslayer: bootc opens /boot following links; a file there stops it.
		{"test_boot", "oslayer: boot a file", with(without(passingFixture, "d boot"), "f boot x"), false, "nonempty-boot", []string{"/boot"}},
		{"test_boot", "oslayer: boot a link to a directory", with(without(passingFixture, "d boot"), "f efi/vmlinuz k", "L boot efi"), false, "nonempty-boot", []string{"/boot/vmlinuz"}},

		{"test_runtime_only_dirs", "stub-resolv.conf parents alone pass", with(runtimeDirs, "d run/systemd/resolve"), false, "nonempty-run-tmp", nil},
		{"test_runtime_only_dirs", "stub-resolv.conf passes", with(runtimeDirs, "f run/systemd/resolve/stub-resolv.conf data"), false, "nonempty-run-tmp", nil},
		{"test_runtime_only_dirs", "other content beside it, every path listed", with(runtimeDirs, "f run/systemd/resolve/something-else data"), false, "nonempty-run-tmp",
			[]string{"/run/systemd", "/run/systemd/resolve", "/run/systemd/resolve/something-else"}},
		{"test_runtime_only_dirs", "an unknown directory, stub parents pruned", with(runtimeDirs, "d run/systemd/resolve", "d run/dnf"), false, "nonempty-run-tmp", []string{"/run/dnf"}},
		{"test_runtime_only_dirs", "a file in /run", with(runtimeDirs, "d run/systemd/resolve", "f run/leaked-file data"), false, "nonempty-run-tmp", []string{"/run/leaked-file"}},
		{"test_runtime_only_dirs", "a file in /tmp", with(runtimeDirs, "d run/systemd/resolve", "f tmp/build-artifact some data"), false, "nonempty-run-tmp", []string{"/tmp/build-artifact"}},
		{"test_runtime_only_dirs", "clean passes", with(runtimeDirs, "d run/systemd/resolve"), false, "nonempty-run-tmp", nil},
		{"test_runtime_only_dirs", "oslayer: nested content is listed path by path", with(runtimeDirs, "f tmp/a/b/c x", "f run/dnf/metadata_lock.pid 1"), false, "nonempty-run-tmp",
			[]string{"/run/dnf", "/run/dnf/metadata_lock.pid", "/tmp/a", "/tmp/a/b", "/tmp/a/b/c"}},

		{"test_non_utf8", "adversarial symlinks pass", adversarial, false, "utf8", nil},
		{"test_non_utf8", "a directory name", with(adversarial, "d subdir/2/bad"+bad+"dir"), false, "utf8", []string{quoted("/subdir/2/bad" + bad + "dir")}},
		{"test_non_utf8", "a file name", with(adversarial, "f regular"+bad+" Hello, world!\n"), false, "utf8", []string{quoted("/regular" + bad)}},
		{"test_non_utf8", "a symlink target", with(adversarial, "L subdir/good-name regular"+bad), false, "utf8", []string{quoted("/subdir/good-name")}},
		{"test_non_utf8", "a self-referential symlink with an invalid name", with(adversarial, "L regular"+bad+" regular"+bad), false, "utf8", []string{quoted("/regular" + bad)}},

		{"test_baseimage_root", "empty root", nil, false, "baseimage-root", []string{"/ostree", "/sysroot"}},
		{"test_baseimage_root", "passing fixture", passingFixture, false, "baseimage-root", nil},
		{"test_baseimage_root", "oslayer: with bootc's reference copy", with(passingFixture, goodCopy...), false, "baseimage-root", nil},
		{"test_baseimage_root", "oslayer: the reference copy lacks sysroot", with(passingFixture, without(goodCopy, "d "+baseCopy+"/sysroot")...), false, "baseimage-root",
			[]string{"/" + baseCopy + "/sysroot"}},
		{"test_baseimage_root", "oslayer: the reference copy's ostree link is wrong", with(passingFixture, "d "+baseCopy+"/sysroot", "L "+baseCopy+"/ostree sysroot"), false, "baseimage-root",
			[]string{"/" + baseCopy + "/ostree"}},
		{"test_baseimage_root", "oslayer: a reference copy reached through a link", with(passingFixture, "d usr/share/doc/bootc/baseimage/real/sysroot", "L "+baseCopy+" real"), false, "baseimage-root",
			[]string{"/usr/share/doc/bootc/baseimage/real/ostree"}},

		{"test_composefs", "empty root", nil, false, "baseimage-composefs", []string{"/usr/lib/ostree/prepare-root.conf"}},
		{"test_composefs", "passing fixture", passingFixture, false, "baseimage-composefs", nil},
		{"test_composefs", "composefs disabled", with(without(passingFixture, passingFixture[len(passingFixture)-1]), "f usr/lib/ostree/prepare-root.conf [composefs]\nenabled = false"), false, "baseimage-composefs",
			[]string{"/usr/lib/ostree/prepare-root.conf"}},
		{"test_composefs", "oslayer: with bootc's reference copy", with(passingFixture, goodCopy...), false, "baseimage-composefs", nil},
		{"test_composefs", "oslayer: the reference copy lacks prepare-root.conf", with(passingFixture, goodCopy[:2]...), false, "baseimage-composefs",
			[]string{"/" + baseCopy + "/usr/lib/ostree/prepare-root.conf"}},
		{"test_composefs", "oslayer: the reference copy disables composefs", with(passingFixture, goodCopy[0], goodCopy[1], "f "+baseCopy+"/etc/ostree/prepare-root.conf [composefs]\nenabled = no\n"), false, "baseimage-composefs",
			[]string{"/" + baseCopy + "/etc/ostree/prepare-root.conf"}},

		{"test_buildah_injected", "etc alone passes", []string{"d etc"}, false, "buildah-injected", nil},
		{"test_buildah_injected", "an empty hostname", []string{"f etc/hostname"}, false, "buildah-injected", []string{"/etc/hostname"}},
		{"test_buildah_injected", "a static hostname passes", []string{"f etc/hostname some static hostname"}, false, "buildah-injected", nil},
	})
}

// bootc runs buildah-injected on alternative roots only, var-tmpfiles on
// the live root only (RootType).
func TestBootcLintsRootTypes(t *testing.T) {
	root := mkroot(t, "f etc/hostname", "d var/lib/app")
	for _, tc := range []struct {
		running bool
		rule    string
		status  Status
	}{
		{false, "buildah-injected", Failed},
		{true, "buildah-injected", Skipped},
		{false, "var-tmpfiles", Skipped},
		{true, "var-tmpfiles", Failed},
	} {
		t.Run(fmt.Sprintf("%s running=%v", tc.rule, tc.running), func(t *testing.T) {
			c := checkOf(t, lintRoot(t, root, tc.running), tc.rule)
			if c.Status != tc.status {
				t.Errorf("%s: %s (%s), want %s", tc.rule, c.Status, c.Reason, tc.status)
			}
			if c.Status == Skipped && tc.rule == "var-tmpfiles" && !strings.Contains(c.Reason, "live root") {
				t.Errorf("var-tmpfiles skipped without saying why: %q", c.Reason)
			}
		})
	}
}

// bootcRules are the checks of bootc container lint.
func bootcRules() []*Rule {
	return slices.DeleteFunc(Rules(), func(r *Rule) bool { return r.Source != "bootc" })
}

// test_lint_main: the passing fixture passes with fatal warnings; a
// /var/run directory fails.
func TestBootcLintsMain(t *testing.T) {
	if res := lintRoot(t, mkroot(t, passingFixture...), false); res.Failed(true) {
		t.Errorf("the passing fixture fails with --fatal-warnings: %+v", res.Findings)
	}
	if res := lintRoot(t, mkroot(t, with(passingFixture, "d var/run/foo")...), false); !res.Failed(true) {
		t.Error("a /var/run directory passes")
	}
}

// test_lint_inner: on an alternative root, every bootc check runs and
// passes but the live-root-only var-tmpfiles; --skip var-log skips one
// more; a log then makes var-log the one warning.
func TestBootcLintsInner(t *testing.T) {
	count := func(res *Result) (passed, skipped, warnings, fatal []string) {
		for _, r := range bootcRules() {
			c := checkOf(t, res, r.ID)
			switch {
			case c.Status == Skipped:
				skipped = append(skipped, r.ID)
			case c.Status == Passed:
				passed = append(passed, r.ID)
			case r.Level == Fatal:
				fatal = append(fatal, r.ID)
			default:
				warnings = append(warnings, r.ID)
			}
		}
		return
	}
	all := len(bootcRules())
	for _, tc := range []struct {
		name     string
		root     []string
		skip     []string
		skipped  []string
		warnings []string
	}{
		{"every lint runs", passingFixture, nil, []string{"var-tmpfiles"}, nil},
		{"var-log skipped", passingFixture, []string{"var-log"}, []string{"var-log", "var-tmpfiles"}, nil},
		{"a log warns", with(passingFixture, "f var/log/dnf/dnf.log dummy dnf log"), nil, []string{"var-tmpfiles"}, []string{"var-log"}},
		{"a skipped log does not", with(passingFixture, "f var/log/dnf/dnf.log dummy dnf log"), []string{"var-log"}, []string{"var-log", "var-tmpfiles"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			passed, skipped, warnings, fatal := count(lintRoot(t, mkroot(t, tc.root...), false, tc.skip...))
			if !slices.Equal(skipped, tc.skipped) || !slices.Equal(warnings, tc.warnings) || len(fatal) != 0 ||
				len(passed) != all-len(tc.skipped)-len(tc.warnings) {
				t.Errorf("passed %v, skipped %v (want %v), warnings %v (want %v), fatal %v", passed, skipped, tc.skipped, warnings, tc.warnings, fatal)
			}
		})
	}
}

// test_list: every lint is listed, bootc's under their ids.
func TestBootcLintsList(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteRules(&buf, true); err != nil {
		t.Fatal(err)
	}
	var list struct {
		Rules []struct{ ID, Source string }
	}
	if err := json.Unmarshal(buf.Bytes(), &list); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range list.Rules {
		if r.Source == "bootc" {
			got = append(got, r.ID)
		}
	}
	want := []string{"api-base-directories", "baseimage-composefs", "baseimage-root", "bootc-kargs", "buildah-injected", "etc-usretc",
		"kernel", "nonempty-boot", "nonempty-run-tmp", "sysusers", "utf8", "var-log", "var-run", "var-tmpfiles"}
	if len(list.Rules) != len(Rules()) || !slices.Equal(got, want) {
		t.Errorf("%d rules listed (want %d); bootc's: %v, want %v", len(list.Rules), len(Rules()), got, want)
	}
}

// test_format_items_no_truncate, test_format_items_truncate and
// test_format_items_display_impl: the text output lists at most 5 findings
// per rule and says how many more, all with --no-truncate, and nothing
// for a rule without findings.
func TestBootcLintsFormatItems(t *testing.T) {
	items := func(n int) []string {
		var out []string
		for i := 1; i <= n; i++ {
			out = append(out, fmt.Sprintf("item%d", i))
		}
		return out
	}
	for _, tc := range []struct {
		upstream   string
		noTruncate bool
		messages   []string
		want       []string // the lines listed under the rule, "" for none
	}{
		{"test_format_items_no_truncate", true, nil, nil},
		{"test_format_items_no_truncate", true, items(1), items(1)},
		{"test_format_items_no_truncate", true, items(3), items(3)},
		{"test_format_items_no_truncate", true, items(8), items(8)},
		{"test_format_items_truncate", false, nil, nil},
		{"test_format_items_truncate", false, items(2), items(2)},
		{"test_format_items_truncate", false, items(MaxItems), items(MaxItems)},
		{"test_format_items_truncate", false, items(MaxItems + 2), append(items(MaxItems), "...and 2 more (--no-truncate lists them)")},
		{"test_format_items_truncate", false, items(MaxItems + 1), append(items(MaxItems), "...and 1 more (--no-truncate lists them)")},
		{"test_format_items_display_impl", false, []string{"1", "2", "3"}, []string{"1", "2", "3"}},
	} {
		t.Run(fmt.Sprintf("%s/%d", tc.upstream, len(tc.messages)), func(t *testing.T) {
			res := &Result{Target: "/", Mode: "rootfs", Checks: []Check{{Rule: "var-log", Level: Warning, Status: Passed}}}
			for _, m := range tc.messages {
				res.Findings = append(res.Findings, Finding{Rule: "var-log", Level: Warning, Message: m})
			}
			var buf bytes.Buffer
			if err := WriteText(&buf, res, TextOptions{NoTruncate: tc.noTruncate}); err != nil {
				t.Fatal(err)
			}
			var got []string
			in := false
			for _, line := range strings.Split(buf.String(), "\n") {
				switch {
				case strings.HasPrefix(line, "var-log (warning)"):
					in = true
				case in && strings.HasPrefix(line, "  fix: "):
					in = false
				case in:
					got = append(got, strings.TrimPrefix(line, "  "))
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("listed (-want +got):\n-%s\n+%s\n%s", strings.Join(tc.want, "\n-"), strings.Join(got, "\n+"), buf.String())
			}
		})
	}
}
