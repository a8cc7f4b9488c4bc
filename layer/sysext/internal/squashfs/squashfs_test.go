package squashfs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/internal/listing"
	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/layer/sysext/internal/squashfs"
)

func md(typ layer.Type, mode, uid, gid uint32) layer.Metadata {
	return layer.Metadata{Type: typ, Mode: mode, UID: uid, GID: gid}
}

func dir(p string, mode uint32) layer.TarEntry {
	return layer.TarEntry{Path: p, Metadata: md(layer.TypeDir, mode, 0, 0)}
}

func reg(p string, content []byte, mode, uid, gid uint32) layer.TarEntry {
	m := md(layer.TypeRegular, mode, uid, gid)
	m.Size = int64(len(content))
	return layer.TarEntry{Path: p, Metadata: m, Content: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(content)), nil
	}}
}

// testEntries is a tree that exercises every part of the format: inode
// and directory tables of several metadata blocks, a directory of more
// entries than a listing header holds, hard links across directories,
// incompressible and multi-block files, every inode type in its basic
// and extended form, owners beyond 16 bits, shared and single xattr sets.
func testEntries() []layer.TarEntry {
	rng := rand.New(rand.NewPCG(1, 2))
	noise := make([]byte, 300<<10)
	for i := range noise {
		noise[i] = byte(rng.UintN(256))
	}
	caps := "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"
	out := []layer.TarEntry{dir("", 0o755), dir("opt", 0o755), dir("opt/app", 0o750)}
	out = append(out, reg("opt/app/data", noise, 0o640, 100000, 100001))
	out = append(out, dir("usr", 0o755), dir("usr/bin", 0o755))
	ping := reg("usr/bin/ping", []byte("ping\n"), 0o755, 0, 0)
	ping.Xattrs = map[string]string{"security.capability": caps}
	arping := reg("usr/bin/arping", []byte("arping\n"), 0o755, 0, 0)
	arping.Xattrs = map[string]string{"security.capability": caps}
	tool := reg("usr/bin/tool", []byte("#!/bin/sh\necho tool\n"), 0o4755, 0, 0)
	tool.Xattrs = map[string]string{"user.origin": "test", "trusted.note": strings.Repeat("v", 300)}
	sym := layer.TarEntry{Path: "usr/bin/tool2", Metadata: md(layer.TypeSymlink, 0o777, 0, 0)}
	sym.Linkname = "tool"
	xsym := layer.TarEntry{Path: "usr/bin/tool3", Metadata: md(layer.TypeSymlink, 0o777, 5, 6)}
	xsym.Linkname, xsym.Xattrs = "/usr/bin/tool", map[string]string{"trusted.kind": "link"}
	out = append(out, arping, ping, tool, sym, xsym)
	out = append(out, layer.TarEntry{Path: "usr/bin/zz-link", Metadata: tool.Metadata, Hardlink: "usr/bin/tool"})
	out = append(out, dir("usr/lib", 0o755), dir("usr/lib/many", 0o755))
	for i := range 700 {
		out = append(out, reg(fmt.Sprintf("usr/lib/many/file-%04d.conf", i), []byte(fmt.Sprintf("n=%d\n", i)), 0o644, uint32(i%3), uint32(i%5)))
	}
	empty := dir("usr/lib/xdir", 0o2775)
	empty.Xattrs = map[string]string{"user.dir": "yes"}
	out = append(out, empty)
	big := bytes.Repeat([]byte("0123456789abcdef"), 40000)
	out = append(out, dir("usr/share", 0o755), reg("usr/share/big", big, 0o644, 0, 0), reg("usr/share/empty", nil, 0o600, 0, 0))
	out = append(out, layer.TarEntry{Path: "usr/share/tool-again", Metadata: tool.Metadata, Hardlink: "usr/bin/tool"})
	chr := layer.TarEntry{Path: "usr/share/tty", Metadata: md(layer.TypeChar, 0o620, 0, 5)}
	chr.Devmajor, chr.Devminor = 4, 300
	blk := layer.TarEntry{Path: "usr/share/disk", Metadata: md(layer.TypeBlock, 0o660, 0, 6)}
	blk.Devmajor, blk.Devminor, blk.Xattrs = 259, 70000, map[string]string{"trusted.x": "1"}
	fifo := layer.TarEntry{Path: "usr/share/pipe", Metadata: md(layer.TypeFIFO, 0o1600, 0, 0)}
	out = append(out, chr, blk, fifo, dir("usr/share/sticky", 0o1777))
	slices.SortStableFunc(out, func(a, b layer.TarEntry) int { return compareTreeOrder(a.Path, b.Path) })
	return out
}

// compareTreeOrder orders paths parents first, siblings by name.
func compareTreeOrder(a, b string) int {
	return slices.Compare(strings.Split(a, "/"), strings.Split(b, "/"))
}

func write(t testing.TB, entries []layer.TarEntry, opts squashfs.Options) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "test.raw")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := squashfs.Write(context.Background(), f, entries, opts); err != nil {
		t.Fatal(err)
	}
	return p
}

// readTree reads a filesystem with Reader into a Tree, hashing every
// file: what listing.Tree needs.
func readTree(t *testing.T, img string) *layer.Tree {
	t.Helper()
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	rd, err := squashfs.Open(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	var idx layer.Index
	first := map[uint32]string{}
	err = rd.Walk(func(sf *squashfs.File) error {
		e := layer.Entry{Path: sf.Path, Metadata: sf.Metadata, Offset: -1}
		if sf.Type == layer.TypeRegular {
			if p, ok := first[sf.Inode]; ok {
				e.Hardlink = p
			} else {
				first[sf.Inode] = sf.Path
				r, err := rd.Open(sf)
				if err != nil {
					return err
				}
				h := sha256.New()
				if _, err := io.Copy(h, r); err != nil {
					return err
				}
				copy(e.Digest[:], h.Sum(nil))
			}
		}
		idx.Entries = append(idx.Entries, e)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tree := layer.NewTree()
	if err := tree.Apply(&idx, 0); err != nil {
		t.Fatal(err)
	}
	return tree
}

func TestReadBack(t *testing.T) {
	entries := testEntries()
	want := listing.Entries(t, entries)
	tree := readTree(t, write(t, entries, squashfs.Options{ModTime: 1700000000}))
	if got := listing.Tree(t, tree, nil); !slices.Equal(got, want) {
		t.Errorf("read back (-want +got):\n-%s\n+%s", strings.Join(want, "\n-"), strings.Join(got, "\n+"))
	}
	for p, n := range tree.Walk() {
		if n.ModTime != 1700000000*1e9 {
			t.Errorf("/%s: mtime %d", p, n.ModTime)
		}
	}
}

// TestReadMksquashfs reads what squashfs-tools writes, in every
// compression Reader knows, with fragments (mksquashfs packs tails), its
// own inode numbering and xattrs read from a real directory.
func TestReadMksquashfs(t *testing.T) {
	fixtures.RequireRoot(t)
	fixtures.RequireTools(t, "mksquashfs", "unsquashfs")
	entries := testEntries()
	want := listing.Entries(t, entries)
	src := filepath.Join(t.TempDir(), "src")
	fixtures.Run(t, "", "unsquashfs", "-no-progress", "-d", src, write(t, entries, squashfs.Options{}))
	for _, comp := range []string{"gzip", "xz", "zstd"} {
		t.Run(comp, func(t *testing.T) {
			img := filepath.Join(t.TempDir(), "m.raw")
			fixtures.Run(t, "", "mksquashfs", src, img, "-comp", comp, "-no-progress", "-quiet", "-processors", "1")
			if got := listing.Tree(t, readTree(t, img), nil); !slices.Equal(got, want) {
				t.Errorf("read (-want +got):\n-%s\n+%s", strings.Join(want, "\n-"), strings.Join(got, "\n+"))
			}
		})
	}
}

// TestUnsquashfs extracts the filesystem with squashfs-tools, as root so
// that owners, devices and trusted xattrs are made, and compares every
// path, its metadata and content with the entries. When this machine lets
// it, the kernel mounts it too, and shows the same.
func TestUnsquashfs(t *testing.T) {
	fixtures.RequireRoot(t)
	fixtures.RequireTools(t, "unsquashfs")
	entries := testEntries()
	want := listing.Entries(t, entries)
	img := write(t, entries, squashfs.Options{ModTime: 1700000000})
	out := filepath.Join(t.TempDir(), "x")
	fixtures.Run(t, "", "unsquashfs", "-no-progress", "-d", out, img)
	tree, err := layer.TreeFromDir(context.Background(), out, layer.DirOptions{Hash: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := listing.Tree(t, tree, nil); !slices.Equal(got, want) {
		t.Errorf("unsquashfs extracted (-want +got):\n-%s\n+%s", strings.Join(want, "\n-"), strings.Join(got, "\n+"))
	}
	super := fixtures.Run(t, "", "unsquashfs", "-s", img)
	for _, s := range []string{"Compression gzip", "Block size 131072", "Number of inodes 721", "Number of fragments 0"} {
		if !strings.Contains(super, s) {
			t.Errorf("unsquashfs -s does not say %q:\n%s", s, super)
		}
	}
	mnt := t.TempDir()
	if msg, err := exec.Command("mount", "-t", "squashfs", "-o", "loop,ro", img, mnt).CombinedOutput(); err != nil {
		t.Logf("the kernel cannot mount here (%v: %s); unsquashfs was the oracle", err, msg)
		return
	}
	defer unix.Unmount(mnt, unix.MNT_DETACH)
	tree, err = layer.TreeFromDir(context.Background(), mnt, layer.DirOptions{Hash: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := listing.Tree(t, tree, nil); !slices.Equal(got, want) {
		t.Errorf("kernel mount (-want +got):\n-%s\n+%s", strings.Join(want, "\n-"), strings.Join(got, "\n+"))
	}
}

func TestReproducible(t *testing.T) {
	a, err := os.ReadFile(write(t, testEntries(), squashfs.Options{ModTime: 42}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(write(t, testEntries(), squashfs.Options{ModTime: 42}))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Error("two writes of the same entries differ")
	}
	if len(a)%4096 != 0 {
		t.Errorf("size %d is not a multiple of 4 KiB", len(a))
	}
	c, err := os.ReadFile(write(t, testEntries(), squashfs.Options{ModTime: 43}))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(a, c) {
		t.Error("the time changed nothing")
	}
}

func TestRefused(t *testing.T) {
	link := layer.TarEntry{Path: "b", Metadata: md(layer.TypeRegular, 0o644, 0, 0), Hardlink: "a"}
	bad := reg("a", nil, 0o644, 0, 0)
	bad.Xattrs = map[string]string{"system.posix_acl_access": "x"}
	cases := []struct {
		name    string
		entries []layer.TarEntry
		want    string
	}{
		{"missing parent", []layer.TarEntry{reg("usr/x", nil, 0o644, 0, 0)}, "its parent directory"},
		{"listed twice", []layer.TarEntry{dir("usr", 0o755), dir("usr", 0o755)}, "listed twice"},
		{"link before its target", []layer.TarEntry{link, reg("a", nil, 0o644, 0, 0)}, "hard link to /a"},
		{"dot dot", []layer.TarEntry{dir("..", 0o755)}, "not a valid name"},
		{"whiteout", []layer.TarEntry{{Path: "x", Whiteout: true}}, "whiteout"},
		{"acl xattr", []layer.TarEntry{bad}, "only user., trusted. and security."},
		{"short content", []layer.TarEntry{{Path: "f", Metadata: layer.Metadata{Type: layer.TypeRegular, Size: 10},
			Content: func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("abc")), nil }}}, "unexpected EOF"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := os.Create(filepath.Join(t.TempDir(), "x.raw"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			err = squashfs.Write(context.Background(), f, tc.entries, squashfs.Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}
