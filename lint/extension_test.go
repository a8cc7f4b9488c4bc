package lint

import (
	"context"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/layer/sysext"
)

// extFile is one path of a test extension.
type extFile struct {
	path, content, link string
	mode                uint32
	dir                 bool
	xattrs              map[string]string
}

// writeExtension writes a squashfs extension called name holding files
// (their parent directories added) and returns its path.
func writeExtension(t *testing.T, name string, files ...extFile) string {
	t.Helper()
	byPath := map[string]layer.TarEntry{"": {Metadata: layer.Metadata{Type: layer.TypeDir, Mode: 0o755}}}
	for _, f := range files {
		e := layer.TarEntry{Path: f.path, Metadata: layer.Metadata{Type: layer.TypeRegular, Mode: f.mode, Xattrs: f.xattrs}}
		switch {
		case f.dir:
			e.Type = layer.TypeDir
		case f.link != "":
			e.Type, e.Linkname, e.Mode = layer.TypeSymlink, f.link, 0o777
		default:
			content := f.content
			e.Size = int64(len(content))
			e.Content = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(content)), nil }
		}
		byPath[f.path] = e
		for d := path.Dir(f.path); d != "."; d = path.Dir(d) {
			if _, ok := byPath[d]; !ok {
				byPath[d] = layer.TarEntry{Path: d, Metadata: layer.Metadata{Type: layer.TypeDir, Mode: 0o755}}
			}
		}
	}
	var entries []layer.TarEntry
	for _, e := range byPath {
		entries = append(entries, e)
	}
	slices.SortFunc(entries, func(a, b layer.TarEntry) int {
		if a.Path == "" || b.Path == "" {
			return len(a.Path) - len(b.Path)
		}
		return slices.Compare(strings.Split(a.Path, "/"), strings.Split(b.Path, "/"))
	})
	p := filepath.Join(t.TempDir(), name+sysext.ImageSuffix)
	if err := sysext.Write(context.Background(), &sysext.Image{Kind: sysext.System, Name: name, Entries: entries}, sysext.Squashfs, p, sysext.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return p
}

func release(name, content string) extFile {
	return extFile{path: "usr/lib/extension-release.d/extension-release." + name, content: content, mode: 0o644}
}

// TestExtensionRules trips each extension rule, next to near misses that
// do not.
func TestExtensionRules(t *testing.T) {
	host := []fixtures.File{
		fixtures.Dir("usr", 0o755), fixtures.Dir("usr/lib", 0o755), fixtures.Dir("usr/bin", 0o755),
		fixtures.Reg("usr/lib/os-release", "ID=fixture\nID_LIKE=debian\nVERSION_ID=7\nSYSEXT_LEVEL=1.0\n", 0o644),
		fixtures.Reg("usr/bin/same", "same\n", 0o755), fixtures.Reg("usr/bin/other", "host\n", 0o755),
		fixtures.Symlink("usr/lib64", "lib"), fixtures.Dir("usr/share", 0o755), fixtures.Dir("usr/share/doc", 0o755),
		fixtures.Reg("usr/share/doc/a", "a\n", 0o644), fixtures.Reg("usr/share/doc/b", "b\n", 0o644),
	}
	dir := t.TempDir()
	fixtures.WriteOCILayout(t, dir, fixtures.Named{Name: "host", Image: fixtures.Image(t, nil, nil, fixtures.Layer(t, host...))})
	good := release("x", "ID=fixture\nSYSEXT_LEVEL=1.0\nARCHITECTURE=x86-64\n")
	cases := []struct {
		name    string
		files   []extFile
		mutable func(dir string)
		want    []string
	}{
		{"clean", []extFile{good, {path: "usr/bin/new", content: "new\n", mode: 0o755}}, nil, nil},
		{"another version", []extFile{release("x", "ID=fixture\nSYSEXT_LEVEL=2.0\n")},
			nil, []string{"extension-release fatal /usr/lib/extension-release.d/extension-release.x"}},
		{"another architecture", []extFile{release("x", "ID=fixture\nSYSEXT_LEVEL=1.0\nARCHITECTURE=arm64\n")},
			nil, []string{"extension-release fatal /usr/lib/extension-release.d/extension-release.x"}},
		{"only through ID_LIKE", []extFile{release("x", "ID=debian\nVERSION_ID=7\n")},
			nil, []string{"extension-release warning /usr/lib/extension-release.d/extension-release.x"}},
		{"named for another image", []extFile{release("y", "ID=fixture\nSYSEXT_LEVEL=1.0\n"), {path: "usr/bin/new", content: "new\n", mode: 0o755}},
			nil, []string{"extension-release fatal /usr/lib/extension-release.d/extension-release.x"}},
		{"another name, relaxed", []extFile{{path: "usr/lib/extension-release.d/extension-release.y", content: "ID=_any\n", mode: 0o644,
			xattrs: map[string]string{"user.extension-release.strict": "0"}}},
			nil, []string{"extension-release info /usr/lib/extension-release.d/extension-release.y"}},
		{"outside its hierarchies", []extFile{good, {path: "var/lib/x/state", content: "0\n", mode: 0o644}, {path: "usr/lib/os-release", content: "ID=x\n", mode: 0o644}},
			nil, []string{"extension-hierarchy fatal /usr/lib/os-release", "extension-hierarchy fatal /var", "extension-shadow warning /usr/lib/os-release"}},
		{"a unit, no reload", []extFile{good, {path: "usr/lib/systemd/system/x.service", content: "[Service]\n", mode: 0o644}},
			nil, []string{"extension-reload warning /usr/lib/extension-release.d/extension-release.x"}},
		{"a unit and a reload", []extFile{release("x", "ID=fixture\nSYSEXT_LEVEL=1.0\nEXTENSION_RELOAD_MANAGER=1\n"),
			{path: "usr/lib/systemd/system/x.service", content: "[Service]\n", mode: 0o644}}, nil, nil},
		{"shadows", []extFile{good, {path: "usr/bin/same", content: "same\n", mode: 0o755}, {path: "usr/bin/other", content: "ext\n", mode: 0o755},
			{path: "usr/lib64/libx.so", content: "x", mode: 0o644}, {path: "usr/share/doc", content: "not a dir", mode: 0o644}},
			nil, []string{"extension-shadow info /usr/bin/same", "extension-shadow warning /usr/bin/other", "extension-shadow warning /usr/lib64", "extension-shadow warning /usr/share/doc"}},
		{"local changes above it", []extFile{good, {path: "usr/bin/new", content: "new\n", mode: 0o755}, {path: "usr/bin/kept", content: "kept\n", mode: 0o755},
			{path: "usr/share/x/a", content: "a", mode: 0o644}},
			func(dir string) {
				write := func(p, content string) {
					os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755)
					os.WriteFile(filepath.Join(dir, p), []byte(content), 0o755)
				}
				write("usr/bin/new", "edited\n")
				write("usr/bin/kept", "kept\n")
				write("usr/bin/local-only", "mine\n")
				os.MkdirAll(filepath.Join(dir, "usr/share/x"), 0o755)
				unix.Setxattr(filepath.Join(dir, "usr/share/x"), "user.overlay.opaque", []byte("y"), 0)
			}, []string{"mutable-shadow info /usr/bin/kept", "mutable-shadow warning /usr/bin/new", "mutable-shadow warning /usr/share/x"}},
		{"a mutable directory of another mode", []extFile{good}, func(dir string) { os.Mkdir(filepath.Join(dir, "usr"), 0o700) },
			[]string{"mutable-shadow warning /usr"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := ExtensionInput{Path: writeExtension(t, "x", tc.files...), Host: "oci:" + dir + ":host", Loader: newLoader(t)}
			if tc.mutable != nil {
				in.MutableDir = t.TempDir()
				os.Chmod(in.MutableDir, 0o755)
				tc.mutable(in.MutableDir)
			}
			target, err := OpenExtension(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			defer target.Close()
			res, err := Run(context.Background(), target)
			if err != nil {
				t.Fatal(err)
			}
			if res.Mode != "extension" {
				t.Errorf("mode %q", res.Mode)
			}
			for _, c := range res.Checks {
				if r, _ := RuleByID(c.Rule); !r.Extension {
					t.Errorf("rule %s ran on an extension", c.Rule)
				}
			}
			if got := findingLines(res); !slices.Equal(got, tc.want) {
				t.Errorf("findings (-want +got):\n-%s\n+%s", strings.Join(tc.want, "\n-"), strings.Join(got, "\n+"))
			}
		})
	}
}

// TestExtensionWhiteout: a file deleted on the machine, kept as an
// overlayfs whiteout in the upper directory, hides the extension's.
func TestExtensionWhiteout(t *testing.T) {
	fixtures.RequireRoot(t) // mknod
	dir := t.TempDir()
	fixtures.WriteOCILayout(t, dir, fixtures.Named{Name: "host", Image: fixtures.Image(t, nil, nil, fixtures.Layer(t,
		fixtures.Dir("usr", 0o755), fixtures.Dir("usr/lib", 0o755), fixtures.Reg("usr/lib/os-release", "ID=fixture\n", 0o644)))})
	mutable := t.TempDir()
	os.Chmod(mutable, 0o755)
	os.MkdirAll(filepath.Join(mutable, "usr/bin"), 0o755)
	if err := unix.Mknod(filepath.Join(mutable, "usr/bin/gone"), unix.S_IFCHR, 0); err != nil {
		t.Fatal(err)
	}
	ext := writeExtension(t, "x", release("x", "ID=_any\n"), extFile{path: "usr/bin/gone", content: "x\n", mode: 0o755})
	target, err := OpenExtension(context.Background(), ExtensionInput{Path: ext, Host: "oci:" + dir + ":host", MutableDir: mutable, Loader: newLoader(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	res, err := Run(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	if got := findingLines(res); !slices.Equal(got, []string{"mutable-shadow warning /usr/bin/gone"}) || !strings.Contains(res.Findings[0].Message, "whiteout") {
		t.Errorf("findings %v", res.Findings)
	}
}
