package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const example = "oci:../../examples/layout:"

func TestCLI(t *testing.T) {
	cache := t.TempDir()
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   []string
		stderr   string
		noStdout bool
	}{
		{name: "version", args: []string{"version"}, stdout: []string{"oslayer "}},
		{name: "version as JSON", args: []string{"version", "--format", "json"}, stdout: []string{`"version": "`, `"platform": "`}},
		{name: "version in a bad format", args: []string{"version", "--format", "yaml"}, code: 2,
			stderr: `--format "yaml": want text or json`, noStdout: true},
		{name: "diff of the example", args: []string{"diff", example + "base", example + "derived"},
			stdout: []string{
				"Packages: 1 added, 1 upgraded, 1 downgraded",
				"upgraded    coreutils:amd64  9.4-3 -> 9.5-1",
				"Files: 18 changes",
				"coreutils:amd64 9.4-3 -> 9.5-1 (upgraded): 2 changes (1 modified, 1 removed), -8 B\n  modified  +9 B   /usr/bin/yes  content\n",
				"passwd:amd64 1:4.13+dfsg1-1 -> 1:4.13-1 (downgraded): 2 changes (1 modified, 1 metadata), +43 B\n",
				"  metadata  0 B    /usr/bin/passwd  mode 4755 -> 0755\n",
				"total  10     3         2         1           2        +361 B", // tool and tool2 are one file
			}},
		{name: "exit code with changes", args: []string{"diff", "--exit-code", example + "base", example + "derived"}, code: 1},
		{name: "lint --previous", args: []string{"lint", "--previous", example + "base", "--base", example + "base", example + "derived"}, code: 1,
			stdout: []string{"var-update-lost (fatal)", "etc-merge (warning)", "Upgrade from " + example + "base: downloads "}},
		{name: "lint --etc without --previous", args: []string{"lint", "--etc", "/etc", example + "derived"}, code: 2,
			stderr: "--etc needs --previous", noStdout: true},
		{name: "lint --previous that does not open", args: []string{"lint", "--previous", "oci:/nonexistent:x", example + "derived"}, code: 2,
			stderr: "--previous: opening oci:/nonexistent:x", noStdout: true},
		{name: "lint --etc that is not config-diff", args: []string{"lint", "--previous", example + "base", "--etc", "../../README.md", example + "derived"}, code: 2,
			stderr: "is not an ostree admin config-diff line", noStdout: true},
		{name: "exit code without changes", args: []string{"diff", "--exit-code", example + "base", example + "base"}, code: 0,
			stdout: []string{"Files: 0 changes", "Packages: no changes"}},
		{name: "bad format", args: []string{"diff", "--format", "yaml", example + "base", example + "derived"}, code: 2,
			stderr: `--format "yaml": want text or json`, noStdout: true},
		{name: "too many arguments", args: []string{"diff", "a", "b", "c"}, code: 2, stderr: "accepts between 0 and 2 arg(s)", noStdout: true},
		{name: "missing image", args: []string{"diff", "oci:/nonexistent:x", example + "derived"}, code: 2,
			stderr: "opening oci:/nonexistent:x: not an OCI image layout", noStdout: true},
		{name: "unknown flag", args: []string{"diff", "--frobnicate"}, code: 2, stderr: "unknown flag: --frobnicate", noStdout: true},
		{name: "no base marker", args: []string{"diff", example + "derived"}, code: 2, stderr: "name the base image as the first argument", noStdout: true},
		// Run twice: once reading the layers, once from the cache.
		{name: "a layer bigger than --max-expand", args: []string{"diff", "--max-expand", "100", example + "base", example + "derived"}, code: 2,
			stderr: "add up to more than 100 bytes (--max-expand)", noStdout: true},
		{name: "a layer bigger than --max-expand, cached", args: []string{"diff", "--max-expand", "100", example + "base", example + "derived"}, code: 2,
			stderr: "add up to more than 100 bytes (--max-expand)", noStdout: true},
		{name: "a bad --max-expand", args: []string{"diff", "--max-expand", "lots", example + "base", example + "derived"}, code: 2,
			stderr: `--max-expand "lots": want a positive size`, noStdout: true},
		{name: "a bad --timeout", args: []string{"diff", "--timeout", "0s", example + "base", example + "derived"}, code: 2,
			stderr: "--timeout 0s: want a positive duration", noStdout: true},
		{name: "an unknown kind", args: []string{"diff", "--kind", "added,changed", example + "base", example + "derived"}, code: 2,
			stderr: `--kind "changed": unknown change kind "changed": want one of added, modified, metadata, typechange, removed`, noStdout: true},
		{name: "an empty kind", args: []string{"diff", "--kind", "added,", example + "base", example + "derived"}, code: 2,
			stderr: `--kind "": unknown change kind`, noStdout: true},
		{name: "a malformed glob", args: []string{"diff", "--path", "/etc", "--path", "/usr/lib/[ab", example + "base", example + "derived"}, code: 2,
			stderr: `--path "/usr/lib/[ab": component "[ab": malformed`, noStdout: true},
		{name: "a relative glob", args: []string{"diff", "--path", "*.pyc", example + "base", example + "derived"}, code: 2,
			stderr: `--path "*.pyc": want an absolute path`, noStdout: true},
		{name: "bad filters are refused before any image is read", args: []string{"diff", "--kind", "nope", "oci:/nonexistent:x", "oci:/nonexistent:y"}, code: 2,
			stderr: `--kind "nope"`, noStdout: true},
		{name: "exit code with filtered changes", args: []string{"diff", "--exit-code", "--path", "/etc/passwd", example + "base", example + "derived"}, code: 1,
			stdout: []string{"Files: 1 of 18 changes (filtered: paths /etc/passwd)"}},
		{name: "exit code when the filter keeps nothing, though packages changed", args: []string{"diff", "--exit-code", "--path", "/usr/**", "--kind", "typechange", example + "base", example + "derived"}, code: 0,
			stdout: []string{"Packages: 1 added, 1 upgraded, 1 downgraded", "Files: 0 of 18 changes (filtered: paths /usr/**, kinds typechange)"}},
		{name: "kinds repeated and comma-separated", args: []string{"diff", "--kind", "removed", "--kind", "typechange, metadata", "--format", "json", example + "base", example + "derived"},
			stdout: []string{`"kinds": [
      "metadata",
      "typechange",
      "removed"
    ],
    "unfiltered_changes": 18`}},
		// lint --rootfs with a base once dereferenced a nil tree here.
		{name: "lint of a missing rootfs with a base", args: []string{"lint", "--rootfs", "/nonexistent", "--base", example + "base"}, code: 2,
			stderr: "rootfs /nonexistent: no such file or directory", noStdout: true},
		{name: "diff of a missing rootfs", args: []string{"diff", example + "base", "--rootfs", "/nonexistent"}, code: 2,
			stderr: "rootfs /nonexistent: no such file or directory", noStdout: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := oslayer(t, cache, tc.args...)
			if code != tc.code {
				t.Fatalf("exit code %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			if tc.stderr != "" && !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderr, stderr)
			}
			if tc.noStdout && stdout != "" {
				t.Errorf("stdout should be empty on error, got:\n%s", stdout)
			}
		})
	}
}

func TestButaneCLI(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.bu")
	os.WriteFile(bad, []byte("variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: relative/x\n      contents: {inline: x}\n"), 0o644)
	good := filepath.Join(dir, "good.bu")
	os.WriteFile(good, []byte("variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/x\n      contents: {inline: x}\n"), 0o644)
	warn := filepath.Join(dir, "warn.bu")
	os.WriteFile(warn, []byte("variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/x\n      mode: 04755\n      contents: {inline: x}\n"), 0o644)
	cache := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"errors point into the config", []string{"butane", bad, "-o", filepath.Join(dir, "l.tar")}, 2, "", "bad.bu:5:13: error: path not absolute"},
		{"warnings too", []string{"butane", warn, "-o", filepath.Join(dir, "l.tar")}, 0, "rendered 1 files", "warn.bu:6:13: warning: setuid/setgid/sticky bits are not supported"},
		{"strict fails on warnings", []string{"butane", warn, "--strict", "-o", filepath.Join(dir, "l.tar")}, 2, "", "warnings are fatal with --strict"},
		{"one output", []string{"butane", good}, 2, "", "give exactly one of --apply DIR, -o FILE or --dest REF"},
		{"dest needs base", []string{"butane", good, "--dest", "oci:" + dir + ":x"}, 2, "", "--dest needs --base"},
		{"layer names", []string{"butane", good, "-o", filepath.Join(dir, "l.zip")}, 2, "", "name it .tar, .tar.gz, .tgz or .tar.zst"},
		{"a layer tarball", []string{"butane", good, "-o", filepath.Join(dir, "l.tar.zst")}, 0, "rendered 1 files", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			stdout, stderr, code := oslayer(t, cache, tc.args...)
			if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d (want %d)\nstdout (want %q):\n%s\nstderr (want %q):\n%s", code, tc.code, tc.stdout, stdout, tc.stderr, stderr)
			}
		})
	}
}

// TestTamperedCacheCLI: editing Version: in a cached dpkg status (the
// content store keeps it under its digest) changes nothing oslayer diff
// reports; it warns once that it dropped the entry.
func TestTamperedCacheCLI(t *testing.T) {
	cache := t.TempDir()
	args := []string{"diff", "--format", "json", example + "base", example + "derived"}
	want, stderr, code := oslayer(t, cache, args...)
	if code != 0 || stderr != "" {
		t.Fatalf("cold run: exit %d\n%s", code, stderr)
	}
	files, _ := filepath.Glob(filepath.Join(cache, "oslayer", "content", "*"))
	edited := 0
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if strings.Contains(string(data), "Version: ") {
			os.WriteFile(f, []byte(strings.ReplaceAll(string(data), "Version: ", "Version: 99:")), 0o644)
			edited++
		}
	}
	if edited == 0 {
		t.Fatal("no dpkg status in the content store")
	}
	got, stderr, code := oslayer(t, cache, args...)
	if code != 0 || got != want {
		t.Errorf("after editing the cached status: exit %d, output differs: %v", code, got != want)
	}
	if strings.Count(stderr, "oslayer: warning:") != 1 || !strings.Contains(stderr, "do not verify") {
		t.Errorf("stderr = %q, want one warning that entries were dropped", stderr)
	}
}
