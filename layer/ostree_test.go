package layer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
)

// object is the repository path an encapsulated layer stores content
// under; the name only has to look like an object's.
func object(content, salt string) string {
	sum := sha256.Sum256([]byte(salt + content))
	h := hex.EncodeToString(sum[:])
	return "sysroot/ostree/repo/objects/" + h[:2] + "/" + h[2:] + ".file"
}

const (
	dpkgStatus = "Package: bash\nStatus: install ok installed\nVersion: 5.2-1\nArchitecture: amd64\n\n"
	passwdData = "root:x:0:0:root:/root:/bin/bash\n"
	sharedData = "d /var/lib/same 0755 - - -\n"
)

// encapsulatedImage is an image in the export format: a layer with the
// repository skeleton and the directories, then a chunk layer holding
// each object once and the checkout paths as hardlinks to it. The object
// of /etc/passwd is not followed by its link (as in a derived layer of the
// vfs driver), and one kept file shares its content with a file that is
// not kept.
func encapsulatedImage(t *testing.T) *Image {
	t.Helper()
	skeleton := []fixtures.File{
		fixtures.Dir("sysroot", 0o755), fixtures.Dir("sysroot/ostree", 0o755), fixtures.Dir("sysroot/ostree/repo", 0o755),
		fixtures.Dir("sysroot/ostree/repo/objects", 0o755), fixtures.Reg("sysroot/ostree/repo/config", "[core]\nrepo_version=1\nmode=bare-split-xattrs\n", 0o644),
	}
	for _, c := range []string{object(dpkgStatus, ""), object(passwdData, ""), object("bash", ""), object(sharedData, ""), object("other", "")} {
		skeleton = append(skeleton, fixtures.Dir(filepath.Dir(c), 0o755))
	}
	commit := strings.TrimSuffix(object("commit", ""), ".file") + ".commit"
	skeleton = append(skeleton, fixtures.Dir(filepath.Dir(commit), 0o755))
	dirs := append(slices.Clone(skeleton), fixtures.Reg(commit, "a commit", 0o644),
		fixtures.Dir("usr", 0o755), fixtures.Dir("usr/bin", 0o755), fixtures.Dir("usr/lib", 0o755),
		fixtures.Dir("usr/lib/tmpfiles.d", 0o755), fixtures.Dir("usr/share", 0o755),
		fixtures.Dir("etc", 0o755), fixtures.Dir("var", 0o755), fixtures.Dir("var/lib", 0o755), fixtures.Dir("var/lib/dpkg", 0o755),
		fixtures.Symlink("ostree", "sysroot/ostree"),
	)
	chunk := append(slices.Clone(skeleton),
		fixtures.Reg(object(dpkgStatus, ""), dpkgStatus, 0o644),
		fixtures.Hardlink("var/lib/dpkg/status", object(dpkgStatus, ""), 0o644),
		fixtures.Reg(object(passwdData, ""), passwdData, 0o644),
		fixtures.Reg(object("bash", ""), "bash", 0o755),
		fixtures.Hardlink("usr/bin/bash", object("bash", ""), 0o755),
		fixtures.Hardlink("usr/bin/sh", object("bash", ""), 0o755),
		fixtures.Reg(object(sharedData, ""), sharedData, 0o644),
		fixtures.Hardlink("usr/lib/tmpfiles.d/same.conf", object(sharedData, ""), 0o644),
		fixtures.Hardlink("usr/share/same", object(sharedData, ""), 0o644),
		fixtures.Reg(object("other", ""), "other", 0o644),
		fixtures.Hardlink("etc/passwd", object(passwdData, ""), 0o644),
	)
	img, err := FromV1(Reference{Transport: TransportOCI, Name: "encapsulated"},
		fixtures.Image(t, map[string]string{"ostree.commit": "abc"}, nil, fixtures.Layer(t, dirs...), fixtures.Layer(t, chunk...)))
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func read(t *testing.T, tree *Tree, p string) (string, error) {
	t.Helper()
	n := tree.Lookup(p)
	if n == nil {
		t.Fatalf("no %s in the tree", p)
	}
	rc, err := tree.Open(n)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return string(b), err
}

func TestEncapsulatedTreeIsTheCheckout(t *testing.T) {
	img := encapsulatedImage(t)
	tree, err := newLoader(t, nil).Tree(context.Background(), img, 2, ContentKept)
	if err != nil {
		t.Fatal(err)
	}
	if !tree.Encapsulated {
		t.Error("the tree does not say it is an encapsulated image's")
	}
	// The chunk layer alone has the repository but no commit.
	chunkOnly, err := newLoader(t, nil).Tree(context.Background(), &Image{Ref: img.Ref, Layers: img.Layers[1:]}, 1, ContentKept)
	if err != nil {
		t.Fatal(err)
	}
	if chunkOnly.Encapsulated || chunkOnly.Lookup("sysroot/ostree") != nil {
		t.Errorf("a repository without a commit: encapsulated %v, sysroot/ostree %v", chunkOnly.Encapsulated, chunkOnly.Lookup("sysroot/ostree"))
	}
	if n := tree.Lookup("sysroot"); n == nil || n.Type != TypeDir || n.NumChildren() != 0 {
		t.Errorf("/sysroot should stay, empty: %v", n)
	}
	for p := range tree.Walk() {
		if p == "sysroot/ostree" || filepath.Dir(p) == "sysroot/ostree" {
			t.Errorf("the repository shows in the tree: /%s", p)
		}
	}
	bash, sh := tree.Lookup("usr/bin/bash"), tree.Lookup("usr/bin/sh")
	if bash.Type != TypeRegular || bash.Mode != 0o755 || bash.Size != 4 || bash.Inode == 0 || bash.Inode != sh.Inode {
		t.Errorf("usr/bin/bash: %+v, sh inode %d", bash.Metadata, sh.Inode)
	}
}

// TestEncapsulatedKeptFilesReadTheSameFromAnyCache reads the kept files of
// an encapsulated image through their hardlinks, cold, warm, warm with the
// content store emptied, and without a cache: every run must give the
// same bytes, and a file that is not kept must stay unreadable even when
// its content is in the store under a kept file's name.
func TestEncapsulatedKeptFilesReadTheSameFromAnyCache(t *testing.T) {
	ctx := context.Background()
	img := encapsulatedImage(t)
	dir := t.TempDir()
	want := map[string]string{"var/lib/dpkg/status": dpkgStatus, "etc/passwd": passwdData, "usr/lib/tmpfiles.d/same.conf": sharedData}
	check := func(name string, l *Loader) {
		t.Helper()
		tree, err := l.Tree(ctx, img, 2, ContentKept)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for p, w := range want {
			if got, err := read(t, tree, p); err != nil || got != w {
				t.Errorf("%s: /%s = %q, %v; want %q", name, p, got, err, w)
			}
		}
		for _, p := range []string{"usr/share/same", "usr/bin/bash"} {
			if _, err := read(t, tree, p); !errors.Is(err, ErrNoContent) {
				t.Errorf("%s: /%s: error %v, want ErrNoContent", name, p, err)
			}
		}
	}
	cache := func() *Cache {
		c, err := OpenCache(dir, testKey)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	check("cold", newLoader(t, cache()))
	check("warm", newLoader(t, cache()))
	files, _ := filepath.Glob(filepath.Join(dir, "content", "*"))
	if len(files) == 0 {
		t.Fatal("the cold run stored no content")
	}
	for _, f := range files {
		os.Remove(f)
	}
	check("warm, content store emptied", newLoader(t, cache()))
	check("no cache", newLoader(t, nil))
}

func TestRereadPolicyReadsEveryFile(t *testing.T) {
	tree, err := newLoader(t, nil).Tree(context.Background(), encapsulatedImage(t), 2, ContentReread)
	if err != nil {
		t.Fatal(err)
	}
	for p, w := range map[string]string{"usr/bin/sh": "bash", "usr/share/same": sharedData, "etc/passwd": passwdData} {
		if got, err := read(t, tree, p); err != nil || got != w {
			t.Errorf("/%s = %q, %v; want %q", p, got, err, w)
		}
	}
}

func TestIsOstreeObject(t *testing.T) {
	for p, want := range map[string]bool{
		object("x", ""): true,
		"sysroot/ostree/repo/objects/ab/" + string(make([]byte, 62)) + ".file":                                  false,
		"sysroot/ostree/repo/objects/ab/0123456789012345678901234567890123456789012345678901234567890.file":     false,
		"sysroot/ostree/repo/objects/AB/01234567890123456789012345678901234567890123456789012345678901.file":    false,
		"sysroot/ostree/repo/objects/ab/01234567890123456789012345678901234567890123456789012345678901.file":    true,
		"sysroot/ostree/repo/objects/ab/01234567890123456789012345678901234567890123456789012345678901.dirtree": false,
		"usr/ostree/repo/objects/ab/01234567890123456789012345678901234567890123456789012345678901.file":        false,
	} {
		if got := isOstreeObject(p); got != want {
			t.Errorf("isOstreeObject(%q) = %v, want %v", p, got, want)
		}
	}
}
