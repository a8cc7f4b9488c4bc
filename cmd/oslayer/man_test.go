package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/oslayer/oslayer/fixtures"
)

// pageNames are the man pages the command tree asks for: one for every
// command a user can run, cobra's completion commands included, none for
// help or hidden ones.
func pageNames() []string {
	root := newRootCmd()
	root.InitDefaultCompletionCmd()
	var out []string
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		out = append(out, strings.ReplaceAll(c.CommandPath(), " ", "-")+".1")
		for _, sub := range c.Commands() {
			if sub.IsAvailableCommand() {
				walk(sub)
			}
		}
	}
	walk(root)
	slices.Sort(out)
	return out
}

// TestManPages: oslayer man DIR writes a page for every command, each a
// man(7) page that groff formats without a warning, showing the command's
// help as the terminal does; the same epoch gives the same pages.
func TestManPages(t *testing.T) {
	fixtures.RequireTools(t, "groff")
	dir := filepath.Join(t.TempDir(), "man1")
	env := append(os.Environ(), "SOURCE_DATE_EPOCH=1767225600") // 2026-01-01
	run := func(dir string) {
		t.Helper()
		cmd := exec.Command(oslayerBin, "man", dir)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil || len(out) != 0 {
			t.Fatalf("oslayer man: %v\n%s", err, out)
		}
	}
	run(dir)

	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := pageNames()
	if len(want) < 11 || !slices.Contains(want, "oslayer-diff.1") || slices.Contains(want, "oslayer-man.1") {
		t.Fatalf("the command tree asks for pages %q", want)
	}
	if !slices.Equal(got, want) {
		t.Errorf("pages written:\n%q\nwant:\n%q", got, want)
	}

	for _, name := range got {
		page, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		title := strings.ToUpper(strings.TrimSuffix(name, ".1"))
		if want := `.TH "` + title + `" "1" "Jan 2026" "oslayer `; !bytes.Contains(page, []byte(want)) {
			t.Errorf("%s: no header %q:\n%.200s", name, want, page)
		}
		for _, section := range []string{".SH NAME", ".SH SYNOPSIS", ".SH DESCRIPTION", ".SH OPTIONS"} {
			if !bytes.Contains(page, []byte("\n"+section+"\n")) {
				t.Errorf("%s: no %s", name, section)
			}
		}
		// -ww: every warning, such as an unknown macro or escape.
		cmd := exec.Command("groff", "-man", "-Tutf8", "-ww", "-z", filepath.Join(dir, name))
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil || stderr.Len() != 0 {
			t.Errorf("%s: groff: %v\n%s", name, err, stderr.String())
		}
	}

	// Help text reads as on the terminal: brackets, angle brackets,
	// asterisks and indented lines are not taken for Markdown.
	for name, texts := range map[string][]string{
		"oslayer-lint.1": {
			"platform to pick from multi-platform images, as os/arch[/variant] (default linux/<this machine's arch>)",
			"(* within a component, ** across; repeatable)",
			"-q, --quiet[=false] draw no progress bars",
		},
		"oslayer-butane.1": {"$SOURCE_DATE_EPOCH"},
		"oslayer.1":        {"oci:DIR[:REF]", "-v, --version[=false] version for oslayer"},
	} {
		out, err := exec.Command("groff", "-man", "-Tutf8", "-P-cbou", filepath.Join(dir, name)).Output()
		if err != nil {
			t.Fatal(err)
		}
		text := strings.Join(strings.Fields(string(out)), " ")
		for _, want := range texts {
			if !strings.Contains(text, want) {
				t.Errorf("%s does not show %q:\n%s", name, want, out)
			}
		}
	}
	// Indented lines keep their lines.
	out, err := exec.Command("groff", "-man", "-Tutf8", "-P-cbou", filepath.Join(dir, "oslayer-butane.1")).Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(out), "\n")
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	for _, want := range []string{
		"--apply DIR        write into a root directory (inside a Containerfile: --apply /)",
		"-o FILE            write a layer tarball (.tar, .tar.gz, .tar.zst), on top of --base if given",
		"--base REF --dest REF   write an image: the base plus one layer",
	} {
		if !slices.Contains(lines, want) {
			t.Errorf("oslayer-butane.1 has no line %q:\n%s", want, out)
		}
	}

	again := filepath.Join(t.TempDir(), "again")
	run(again)
	for _, name := range got {
		a, _ := os.ReadFile(filepath.Join(dir, name))
		b, _ := os.ReadFile(filepath.Join(again, name))
		if !bytes.Equal(a, b) {
			t.Errorf("%s differs between two runs", name)
		}
	}
}

// TestManIsHidden: oslayer man is for packagers: not listed in the help.
func TestManIsHidden(t *testing.T) {
	stdout, _, code := oslayer(t, t.TempDir(), "--help")
	if code != 0 || strings.Contains(stdout, "\n  man ") || !strings.Contains(stdout, "\n  version ") {
		t.Errorf("oslayer --help (exit %d) lists man, or not version:\n%s", code, stdout)
	}
}
