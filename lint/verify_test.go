package lint

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
)

// TestVerifyDpkgHonoursPathExclude installs a real package with dpkg
// --path-exclude: a documentation file dpkg left out is no change when the
// image's dpkg.cfg.d says so, and a removal when it does not.
func TestVerifyDpkgHonoursPathExclude(t *testing.T) {
	fixtures.RequireRoot(t)
	ctx := context.Background()
	deb := fixtures.BuildDeb(t, t.TempDir(), fixtures.DebSpec{Name: "hello", Version: "1.0-1", Arch: "amd64", Files: []fixtures.DebFile{
		{Path: "/usr/bin/hello", Content: "hello\n", Mode: 0o755},
		{Path: "/usr/share/doc/hello/README", Content: "readme\n"},
	}})
	root := t.TempDir()
	fixtures.InstallDebsWith(t, root, []string{"--path-exclude=/usr/share/doc/*"}, deb)
	if _, err := os.Stat(filepath.Join(root, "usr/share/doc/hello/README")); !os.IsNotExist(err) {
		t.Fatalf("dpkg installed the excluded file: %v", err)
	}
	paths := func() []string {
		target, err := Open(ctx, Input{Rootfs: root})
		if err != nil {
			t.Fatal(err)
		}
		changes, err := target.Verified(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, c := range changes {
			out = append(out, c.Path+" "+c.Kind.String()+" "+c.Package)
		}
		return out
	}
	if got := paths(); !slices.Equal(got, []string{"/usr/share/doc/hello removed hello", "/usr/share/doc/hello/README removed hello"}) {
		t.Errorf("without the image's filter: %q", got)
	}
	mkfile(t, filepath.Join(root, "etc/dpkg/dpkg.cfg.d/excludes"), "# docs\npath-exclude /usr/share/doc/*\n")
	if got := paths(); len(got) != 0 {
		t.Errorf("with path-exclude in the image: %q", got)
	}
	os.WriteFile(filepath.Join(root, "usr/bin/hello"), []byte("patched\n"), 0o755)
	if got := paths(); !slices.Equal(got, []string{"/usr/bin/hello modified hello"}) {
		t.Errorf("after patching: %q", got)
	}
}
