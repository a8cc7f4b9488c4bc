package lint

// The unit tests of bootc's crates/lib/src/bootc_kargs.rs (bootc-dev/bootc
// at 534c76ea), translated. The bootc-kargs lint only parses kargs.d; which
// arguments apply to which architecture is decided when bootc deploys, so
// the architecture cases compare the parse, not the selection.

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
)

// test_arch: files with and without match-architectures parse.
func TestBootcKargsArch(t *testing.T) {
	for _, data := range []string{
		`kargs = ["console=tty0", "nosmt"]`,
		"kargs = [\"console=tty0\", \"nosmt\"]\nmatch-architectures = [\"x86_64\"]\n",
		"kargs = [\"console=tty0\", \"nosmt\"]\nmatch-architectures = [\"aarch64\"]\n",
		"kargs = [\"console=tty0\", \"nosmt\"]\nmatch-architectures = [\"x86_64\", \"aarch64\"]\n",
	} {
		if err := parseKargs(data); err != nil {
			t.Errorf("%q: %v", data, err)
		}
	}
}

// test_invalid: an unknown key (here on the kargs line, which is then not
// TOML at all) and a missing kargs key are errors.
func TestBootcKargsInvalid(t *testing.T) {
	for _, data := range []string{`kargs = ["console=tty0", "nosmt"]\nfoo=bar`, `foo=bar`,
		// oslayer: an unknown key on its own line, and kargs of another type.
		"kargs = [\"quiet\"]\nfoo = \"bar\"\n", `kargs = "quiet"`} {
		if err := parseKargs(data); err == nil {
			t.Errorf("%q parsed", data)
		}
	}
}

// test_get_kargs_in_root: no kargs.d, an empty one, a file not named
// *.toml and two good files all pass; a bad *.toml is read, and fails.
func TestBootcKargsInRoot(t *testing.T) {
	const dir = "usr/lib/bootc/kargs.d/"
	good := []string{"f " + dir + "01-foo.toml " + `kargs = ["console=tty0", "nosmt"]`, "f " + dir + "02-bar.toml " + `kargs = ["console=ttyS1"]`}
	runRuleCases(t, []ruleCase{
		{"test_get_kargs_in_root", "no directory", nil, false, "bootc-kargs", nil},
		{"test_get_kargs_in_root", "empty directory", []string{"d " + dir}, false, "bootc-kargs", nil},
		{"test_get_kargs_in_root", "a file not named .toml", []string{"f " + dir + "somegarbage garbage"}, false, "bootc-kargs", nil},
		{"test_get_kargs_in_root", "two files", with(good, "f "+dir+"somegarbage garbage"), false, "bootc-kargs", nil},
		{"test_get_kargs_in_root", "oslayer: a bad file among them", with(good, "f "+dir+"03-bad.toml garbage"), false, "bootc-kargs", []string{"/" + dir + "03-bad.toml"}},
		{"test_get_kargs_in_root", "oslayer: .toml alone is no kargs file", with(good, "f "+dir+".toml garbage"), false, "bootc-kargs", nil},
	})
}

// test_get_kargs_in_ostree: kargs.d is read from the checkout of an
// ostree-encapsulated image's commit.
func TestBootcKargsInOstree(t *testing.T) {
	ctx := context.Background()
	files := func(extra ...fixtures.File) []fixtures.File {
		return append(fixtures.CleanBaseFiles(), append([]fixtures.File{
			fixtures.Reg("usr/lib/bootc/kargs.d/01-foo.toml", `kargs = ["console=tty0", "nosmt"]`, 0o644),
			fixtures.Reg("usr/lib/bootc/kargs.d/02-bar.toml", `kargs = ["console=ttyS1"]`, 0o644),
		}, extra...)...)
	}
	dir := filepath.Join(t.TempDir(), "layout")
	fixtures.WriteOCILayout(t, dir,
		fixtures.Named{Name: "good", Image: fixtures.OstreeImage(t, files(), fixtures.OstreeOptions{})},
		fixtures.Named{Name: "bad", Image: fixtures.OstreeImage(t, files(fixtures.Reg("usr/lib/bootc/kargs.d/03-bad.toml", "foo=bar", 0o644)), fixtures.OstreeOptions{})})
	for name, want := range map[string][]string{"good": nil, "bad": {"/usr/lib/bootc/kargs.d/03-bad.toml"}} {
		t.Run(name, func(t *testing.T) {
			target, err := Open(ctx, Input{Ref: "oci:" + dir + ":" + name, Loader: newLoader(t)})
			if err != nil {
				t.Fatal(err)
			}
			defer target.Close()
			if !target.Tree.Encapsulated {
				t.Fatal("the fixture is not an ostree-encapsulated image")
			}
			res, err := Run(ctx, target)
			if err != nil {
				t.Fatal(err)
			}
			if got := pathsOf(findingsOf(res, "bootc-kargs")); !slices.Equal(got, want) {
				t.Errorf("bootc-kargs findings %v, want %v", got, want)
			}
		})
	}
}
