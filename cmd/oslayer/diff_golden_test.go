package main

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from what oslayer prints now")

// TestDiffGolden runs oslayer diff on the example pair (a committed OCI
// layout, so the output is the same on every machine) and compares its
// stdout with testdata/NAME.golden; -update rewrites them.
func TestDiffGolden(t *testing.T) {
	cache := t.TempDir()
	tests := []struct {
		name string
		args []string
	}{
		{"diff", nil},
		{"diff-stat", []string{"--stat"}},
		{"diff-flat-all", []string{"--flat", "--all"}},
		{"diff-filtered", []string{"--path", "/usr/**", "--path", "/etc/passwd", "--kind", "added,metadata", "--kind", "modified"}},
		{"diff-stat-json", []string{"--format", "json", "--stat", "--path", "/etc/", "--layers"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append(append([]string{"diff"}, tc.args...), example+"base", example+"derived")
			stdout, stderr, code := oslayer(t, cache, args...)
			if code != 0 || stderr != "" {
				t.Fatalf("oslayer %s: exit %d\n%s", strings.Join(args, " "), code, stderr)
			}
			file := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.MkdirAll("testdata", 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(file, []byte(stdout), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (go test ./cmd/oslayer -run TestDiffGolden -update writes it)", err)
			}
			if stdout != string(want) {
				t.Errorf("oslayer %s differs from %s (go test ./cmd/oslayer -run TestDiffGolden -update rewrites it)\ngot:\n%s", strings.Join(args, " "), file, stdout)
			}
		})
	}
}
