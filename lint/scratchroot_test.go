package lint

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// scratchRoot makes a root directory from files: path → content, or
// "-> TARGET" for a symlink, or "/" for an empty directory.
func scratchRoot(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		full := filepath.Join(root, p)
		switch {
		case strings.HasPrefix(content, "-> "):
			os.MkdirAll(filepath.Dir(full), 0o755)
			if err := os.Symlink(strings.TrimPrefix(content, "-> "), full); err != nil {
				t.Fatal(err)
			}
		case content == "/":
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
		default:
			mkfile(t, full, content)
		}
	}
	return root
}

// checkRule runs one rule on a rootfs and returns its findings as
// "PATH: MESSAGE".
func checkRule(t *testing.T, r *Rule, in Input) []string {
	t.Helper()
	ctx := context.Background()
	target, err := Open(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	if ok, why := applies(r, target); !ok {
		return []string{"skipped: " + why}
	}
	found, err := r.Check(ctx, target)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range found {
		out = append(out, f.Path+": "+f.Message)
	}
	return out
}
