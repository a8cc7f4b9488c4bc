package layer

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
)

func indexOf(t *testing.T, files ...fixtures.File) *Index {
	t.Helper()
	idx, err := IndexTar(context.Background(), bytes.NewReader(fixtures.Tar(t, files...)), nil, nil)
	if err != nil {
		t.Fatalf("IndexTar: %v", err)
	}
	return idx
}

func treeOf(t *testing.T, layers ...[]fixtures.File) (*Tree, error) {
	t.Helper()
	tree := NewTree()
	for i, files := range layers {
		if err := tree.Apply(indexOf(t, files...), i); err != nil {
			return tree, err
		}
	}
	return tree, nil
}

// dump renders a tree one line per path: path, type, mode, owner, then the
// content (for small files), link target or layer.
func dump(tree *Tree) []string {
	var out []string
	for p, n := range tree.Walk() {
		if p == "" {
			continue
		}
		line := fmt.Sprintf("%s %s %04o %d:%d L%d", p, n.Type, n.Mode, n.UID, n.GID, n.Layer)
		switch n.Type {
		case TypeSymlink:
			line += " -> " + n.Linkname
		case TypeRegular:
			line += fmt.Sprintf(" %d", n.Size)
		}
		if n.Inode != 0 {
			line += fmt.Sprintf(" ino%d", n.Inode)
		}
		if n.Implicit {
			line += " implicit"
		}
		out = append(out, line)
	}
	return out
}

func sameLines(t *testing.T, want, got []string) {
	t.Helper()
	if !slices.Equal(want, got) {
		t.Errorf("tree mismatch (-want +got):\n-%s\n+%s", strings.Join(want, "\n-"), strings.Join(got, "\n+"))
	}
}

var (
	d   = fixtures.Dir
	reg = fixtures.Reg
	sym = fixtures.Symlink
)

func TestApplyMergesLayers(t *testing.T) {
	tests := []struct {
		name   string
		layers [][]fixtures.File
		want   []string
	}{
		{
			name: "whiteout removes a lower file and a lower subtree",
			layers: [][]fixtures.File{
				{d("a", 0o755), reg("a/f", "x", 0o644), d("a/sub", 0o700), reg("a/sub/g", "yy", 0o600)},
				{fixtures.Whiteout("a/f"), fixtures.Whiteout("a/sub")},
			},
			want: []string{"a directory 0755 0:0 L0"},
		},
		{
			name: "opaque directory hides lower children, keeps its own in any order",
			layers: [][]fixtures.File{
				{d("opt", 0o755), d("opt/app", 0o755), reg("opt/app/old", "1", 0o644), reg("opt/app/same", "s", 0o644)},
				{reg("opt/app/early", "e", 0o644), d("opt/app", 0o750), fixtures.Opaque("opt/app"), reg("opt/app/same", "s", 0o644)},
			},
			want: []string{
				"opt directory 0755 0:0 L0",
				"opt/app directory 0750 0:0 L1",
				"opt/app/early file 0644 0:0 L1 1",
				"opt/app/same file 0644 0:0 L1 1",
			},
		},
		{
			name: "whiteout does not hide a file of its own layer",
			layers: [][]fixtures.File{
				{reg("f", "lower", 0o644)},
				{reg("f", "upper!", 0o644), fixtures.Whiteout("f")},
			},
			want: []string{"f file 0644 0:0 L1 6"},
		},
		{
			name: "entries below a symlinked directory land in its target",
			layers: [][]fixtures.File{
				{d("usr", 0o755), d("usr/lib", 0o755), sym("lib", "usr/lib")},
				{reg("lib/libx.so", "elf", 0o755)},
			},
			want: []string{
				"lib symlink 0777 0:0 L0 -> usr/lib",
				"usr directory 0755 0:0 L0",
				"usr/lib directory 0755 0:0 L0",
				"usr/lib/libx.so file 0755 0:0 L1 3",
			},
		},
		{
			name: "symlinks never lead out of the root",
			layers: [][]fixtures.File{
				{d("etc", 0o755), sym("up", "../../../.."), sym("abs", "/etc")},
				{reg("up/etc/a", "1", 0o644), reg("abs/b", "2", 0o644)},
			},
			want: []string{
				"abs symlink 0777 0:0 L0 -> /etc",
				"etc directory 0755 0:0 L0",
				"etc/a file 0644 0:0 L1 1",
				"etc/b file 0644 0:0 L1 1",
				"up symlink 0777 0:0 L0 -> ../../../..",
			},
		},
		{
			name: "a directory replacing a lower symlink takes whiteouts below it",
			layers: [][]fixtures.File{
				{d("usr", 0o755), d("usr/lib", 0o755), reg("usr/lib/keep", "k", 0o644), sym("lib", "usr/lib")},
				{d("lib", 0o755), fixtures.Whiteout("lib/keep"), fixtures.Opaque("lib"), reg("lib/new", "n", 0o644)},
			},
			want: []string{
				"lib directory 0755 0:0 L1",
				"lib/new file 0644 0:0 L1 1",
				"usr directory 0755 0:0 L0",
				"usr/lib directory 0755 0:0 L0",
				"usr/lib/keep file 0644 0:0 L0 1",
			},
		},
		{
			name: "missing parents become implicit directories",
			layers: [][]fixtures.File{
				{reg("a/b/c", "x", 0o644)},
			},
			want: []string{
				"a directory 0755 0:0 L0 implicit",
				"a/b directory 0755 0:0 L0 implicit",
				"a/b/c file 0644 0:0 L0 1",
			},
		},
		{
			name: "a file replacing a directory drops its subtree, and back",
			layers: [][]fixtures.File{
				{d("x", 0o755), reg("x/in", "1", 0o644), reg("y", "file", 0o644)},
				{reg("x", "now a file", 0o600), d("y", 0o700), reg("y/z", "22", 0o644)},
			},
			want: []string{
				"x file 0600 0:0 L1 10",
				"y directory 0700 0:0 L1",
				"y/z file 0644 0:0 L1 2",
			},
		},
		{
			name: "a later duplicate in one layer wins",
			layers: [][]fixtures.File{
				{reg("f", "first", 0o644), reg("f", "second!", 0o600)},
			},
			want: []string{"f file 0600 0:0 L0 7"},
		},
		{
			name: "hardlinks share the target's metadata and inode, and outlive it",
			layers: [][]fixtures.File{
				{d("bin", 0o755), reg("bin/true", "elf", 0o755), fixtures.Hardlink("bin/true2", "bin/true", 0o755)},
				{fixtures.Hardlink("bin/also-true", "bin/true", 0o755)},
				{fixtures.Whiteout("bin/true")},
			},
			want: []string{
				"bin directory 0755 0:0 L0",
				"bin/also-true file 0755 0:0 L1 3 ino1",
				"bin/true2 file 0755 0:0 L0 3 ino1",
			},
		},
		{
			name: "a directory entry updates metadata and keeps children",
			layers: [][]fixtures.File{
				{d("etc", 0o755), reg("etc/hosts", "h", 0o644)},
				{{Path: "etc/", Type: tar.TypeDir, Mode: 0o700, UID: 5, GID: 6}},
			},
			want: []string{
				"etc directory 0700 5:6 L1",
				"etc/hosts file 0644 0:0 L0 1",
			},
		},
		{
			name: "an opaque marker below a lower symlink leaves the symlink's target alone",
			layers: [][]fixtures.File{
				{d("usr", 0o755), d("usr/lib", 0o755), reg("usr/lib/libc.so", "c", 0o644), sym("lib", "usr/lib")},
				{fixtures.Opaque("lib"), reg("lib/new", "n", 0o644)},
			},
			want: []string{
				"lib symlink 0777 0:0 L0 -> usr/lib",
				"usr directory 0755 0:0 L0",
				"usr/lib directory 0755 0:0 L0",
				"usr/lib/libc.so file 0644 0:0 L0 1",
				"usr/lib/new file 0644 0:0 L1 1",
			},
		},
		{
			name: "whiteouts for missing paths are harmless",
			layers: [][]fixtures.File{
				{reg("f", "1", 0o644)},
				{fixtures.Whiteout("nope"), fixtures.Whiteout("deep/er/nope"), fixtures.Opaque("f"), fixtures.Opaque("missing")},
			},
			want: []string{"f file 0644 0:0 L0 1"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tree, err := treeOf(t, tc.layers...)
			if err != nil {
				t.Fatal(err)
			}
			sameLines(t, tc.want, dump(tree))
		})
	}
}

func TestApplyRejectsBadLayers(t *testing.T) {
	tests := []struct {
		name   string
		layers [][]fixtures.File
		want   string
	}{
		{"hardlink to a missing target", [][]fixtures.File{{fixtures.Hardlink("a", "nowhere", 0o644)}}, "/a: hardlink to /nowhere: no such file"},
		{"hardlink to a directory", [][]fixtures.File{{d("dir", 0o755), fixtures.Hardlink("a", "dir", 0o644)}}, "hardlink to directory /dir"},
		{"parent is a regular file", [][]fixtures.File{{reg("f", "", 0o644), reg("f/g", "", 0o644)}}, "/f/g: parent /f: not a directory"},
		{"parent is a dangling symlink", [][]fixtures.File{{sym("s", "missing"), reg("s/g", "", 0o644)}}, "/s/g: parent /s is a symlink to missing missing"},
		{"symlink loop", [][]fixtures.File{{sym("a", "b"), sym("b", "a"), reg("a/x", "", 0o644)}}, "too many levels of symbolic links"},
		{"root replaced by a file", [][]fixtures.File{{{Path: ".", Type: tar.TypeReg}}}, "the root must be a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := treeOf(t, tc.layers...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestIndexTarRejectsBadEntries(t *testing.T) {
	tests := []struct {
		name  string
		files []fixtures.File
		want  string
	}{
		{"dot-dot", []fixtures.File{reg("a/../../etc/passwd", "", 0o644)}, `contains ".."`},
		{"absolute", []fixtures.File{reg("/etc/passwd", "", 0o644)}, "is absolute"},
		{"non-UTF-8 name", []fixtures.File{reg("bad\xff", "", 0o644)}, "not valid UTF-8"},
		{"non-UTF-8 symlink target", []fixtures.File{sym("s", "t\xfe")}, "not valid UTF-8"},
		{"hardlink escaping", []fixtures.File{fixtures.Hardlink("h", "../x", 0o644)}, `hardlink target: name "../x" contains ".."`},
		{"empty whiteout", []fixtures.File{{Path: "dir/.wh.", Type: tar.TypeReg}}, "whiteout names no file"},
		{"whiteout of dot-dot", []fixtures.File{{Path: "dir/.wh..", Type: tar.TypeReg}}, "whiteout names no file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := IndexTar(context.Background(), bytes.NewReader(fixtures.Tar(t, tc.files...)), nil, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestIndexTarRejectsBrokenStreams(t *testing.T) {
	good := fixtures.Tar(t, reg("a", strings.Repeat("x", 2000), 0o644), reg("b", "y", 0o644))
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"not a tar", bytes.Repeat([]byte("this is not a tar archive "), 40), "reading tar header after offset 0"},
		{"truncated in content", good[:1024], `entry "a": reading content`},
		{"truncated in header", good[:2560+100], "reading tar header"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := IndexTar(context.Background(), bytes.NewReader(tc.data), nil, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestIndexTarRecordsMetadataDigestsAndOffsets(t *testing.T) {
	content := "#!/bin/sh\necho hello\n"
	data := fixtures.Tar(t,
		fixtures.Dir("usr/bin", 0o755),
		fixtures.File{Path: "usr/bin/ping", Mode: 0o4755, UID: 0, GID: 3, Content: content,
			Xattrs: map[string]string{"security.capability": "\x01\x00\x00\x02", "user.component": "iputils"}},
		fixtures.File{Path: "dev/null", Type: tar.TypeChar, Mode: 0o666},
		fixtures.File{Path: "run/fifo", Type: tar.TypeFifo, Mode: 0o600},
		fixtures.Symlink("usr/bin/sh", "bash"),
		fixtures.File{Path: "ignored/.wh..wh.plnk", Type: tar.TypeReg},
	)
	idx, err := IndexTar(context.Background(), bytes.NewReader(data), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if idx.Size != int64(len(data)) {
		t.Errorf("Size = %d, want %d", idx.Size, len(data))
	}
	if len(idx.Entries) != 5 {
		t.Fatalf("got %d entries, want 5 (AUFS metadata skipped): %+v", len(idx.Entries), idx.Entries)
	}
	ping := idx.Entries[1]
	if ping.Path != "usr/bin/ping" || ping.Mode != 0o4755 || ping.GID != 3 || ping.Size != int64(len(content)) {
		t.Errorf("ping entry = %+v", ping)
	}
	if want := Digest(sha256.Sum256([]byte(content))); ping.Digest != want {
		t.Errorf("digest = %s, want %s", ping.Digest, want)
	}
	if got := string(data[ping.Offset : ping.Offset+ping.Size]); got != content {
		t.Errorf("content at offset %d = %q", ping.Offset, got)
	}
	if ping.Xattrs["security.capability"] != "\x01\x00\x00\x02" || ping.Xattrs["user.component"] != "iputils" {
		t.Errorf("xattrs = %q", ping.Xattrs)
	}
	if idx.Entries[2].Type != TypeChar || idx.Entries[3].Type != TypeFIFO || idx.Entries[4].Linkname != "bash" {
		t.Errorf("special entries = %+v", idx.Entries[2:])
	}
}

func TestLibarchiveXattrs(t *testing.T) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{Name: "f", Mode: 0o644, Typeflag: tar.TypeReg, Format: tar.FormatPAX,
		PAXRecords: map[string]string{"LIBARCHIVE.xattr.user.my%20attr": "dmFsdWU="}}
	if err := tw.WriteHeader(hdr); err != nil {
		t.Fatal(err)
	}
	tw.Close()
	idx, err := IndexTar(context.Background(), &buf, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := idx.Entries[0].Xattrs["user.my attr"]; got != "value" {
		t.Errorf("xattr = %q, want %q", got, "value")
	}
}

func TestCaptureAndTreeFS(t *testing.T) {
	store, err := NewStore(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	data := fixtures.Tar(t,
		d("usr", 0o755), d("usr/lib", 0o755), d("usr/lib/db", 0o755),
		reg("usr/lib/db/status", "Package: x\n", 0o644),
		reg("usr/lib/db/other", "not kept", 0o644),
		d("var", 0o755), d("var/lib", 0o755), sym("var/lib/db", "/usr/lib/db"),
	)
	capture := func(p string) bool { return strings.HasSuffix(p, "/status") }
	idx, err := IndexTar(context.Background(), bytes.NewReader(data), capture, store)
	if err != nil {
		t.Fatal(err)
	}
	tree := NewTree()
	if err := tree.Apply(idx, 0); err != nil {
		t.Fatal(err)
	}
	tree.content = func(n *Node) (io.ReadCloser, error) {
		if !store.Has(n.Digest) {
			return nil, ErrNoContent
		}
		return store.Open(n.Digest)
	}
	fsys := tree.FS()
	got, err := fs.ReadFile(fsys, "var/lib/db/status")
	if err != nil || string(got) != "Package: x\n" {
		t.Errorf("ReadFile through symlink = %q, %v", got, err)
	}
	if _, err := fs.ReadFile(fsys, "usr/lib/db/other"); err == nil || !strings.Contains(err.Error(), "content not kept") {
		t.Errorf("ReadFile of a file not kept: err = %v", err)
	}
	ents, err := fs.ReadDir(fsys, "var/lib/db")
	if err != nil || len(ents) != 2 || ents[0].Name() != "other" || ents[1].Name() != "status" {
		t.Errorf("ReadDir = %v, %v", ents, err)
	}
	if _, err := fs.Stat(fsys, "var/lib/nope"); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Stat missing: %v", err)
	}
}

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{
		"./":            "",
		".":             "",
		"./usr/bin/ls":  "usr/bin/ls",
		"usr//bin/./ls": "usr/bin/ls",
		"etc/":          "etc",
	} {
		got, err := CleanPath(in)
		if err != nil || got != want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestPycBelongsToItsSource(t *testing.T) {
	o := Owners{"/usr/lib/python3.11/json/decoder.py": {"libpython3.11-stdlib"}, "/usr/lib/python3/dist-packages/apt/__init__.py": {"python3-apt"}}
	for p, want := range map[string]string{
		"/usr/lib/python3.11/json/__pycache__/decoder.cpython-311.pyc":            "libpython3.11-stdlib",
		"/usr/lib/python3.11/json/__pycache__/decoder.cpython-311.opt-1.pyc":      "libpython3.11-stdlib",
		"/usr/lib/python3/dist-packages/apt/__pycache__/__init__.cpython-311.pyc": "python3-apt",
		"/usr/lib/python3.11/json/__pycache__/encoder.cpython-311.pyc":            "",
		"/usr/lib/python3.11/json/decoder.pyc":                                    "",
		"/usr/lib/python3.11/json/__pycache__/decoder.pyc":                        "",
	} {
		if got := o.Of(p, false); got != want {
			t.Errorf("Of(%s) = %q, want %q", p, got, want)
		}
	}
}
