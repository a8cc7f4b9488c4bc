package main

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/internal/listing"
	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/layer/sysext"
)

const fileCapNetRaw = "\x01\x00\x00\x02\x00\x20\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00"

// sysextImages builds a Debian-like base with dpkg and a derived image
// whose layer buildah commits after dpkg installed a package into it (a
// program, a setuid helper, a unit, a conffile in /etc), a hard link and
// xattrs were added; it returns the OCI layout holding base and derived.
func sysextImages(t *testing.T) string {
	t.Helper()
	fixtures.RequireRoot(t)
	pkgs := t.TempDir()
	baseDeb := fixtures.BuildDeb(t, pkgs, fixtures.DebSpec{Name: "base-files", Version: "12.4", Arch: "amd64", Files: []fixtures.DebFile{
		{Path: "/usr/lib/os-release", Content: "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\n"},
		{Path: "/etc/os-release", Symlink: "../usr/lib/os-release"},
		{Path: "/usr/bin/base-tool", Content: "base\n", Mode: 0o755},
		{Path: "/usr/lib/systemd/system/base.target", Content: "[Unit]\n"},
	}})
	hello := fixtures.BuildDeb(t, pkgs, fixtures.DebSpec{Name: "hello", Version: "2.10-3", Arch: "amd64", Files: []fixtures.DebFile{
		{Path: "/usr/bin/hello", Content: "#!/bin/sh\necho hello\n", Mode: 0o755},
		{Path: "/usr/libexec/hello/helper", Content: "helper\n", Mode: 0o750},
		{Path: "/usr/lib/systemd/system/hello.service", Content: "[Service]\nExecStart=/usr/bin/hello\n[Install]\nWantedBy=multi-user.target\n"},
		{Path: "/usr/share/doc/hello/copyright", Content: strings.Repeat("GPL-3+\n", 4000)},
		{Path: "/etc/hello/hello.conf", Content: "greeting=hi\n"},
	}, Conffiles: []string{"/etc/hello/hello.conf"}})
	root := t.TempDir()
	for _, d := range []string{"opt", "var/lib"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	fixtures.InstallDebs(t, root, baseDeb)
	return pkgImages(t, root, func(mnt string) {
		fixtures.InstallDebs(t, mnt, hello)
		if err := os.Link(filepath.Join(mnt, "usr/bin/hello"), filepath.Join(mnt, "usr/bin/hi")); err != nil {
			t.Fatal(err)
		}
		// A setuid helper (dpkg-deb packs what the tree has; BuildDeb makes
		// no setuid files), and a capability on another file: setting one
		// clears setuid bits.
		if err := unix.Chmod(filepath.Join(mnt, "usr/libexec/hello/helper"), 0o4750); err != nil {
			t.Fatal(err)
		}
		if err := unix.Setxattr(filepath.Join(mnt, "usr/bin/hello"), "security.capability", []byte(fileCapNetRaw), 0); err != nil {
			t.Fatal(err)
		}
		if err := unix.Setxattr(filepath.Join(mnt, "usr/bin/hello"), "user.origin", []byte("oslayer test"), 0); err != nil {
			t.Fatal(err)
		}
	})
}

// additions lists what the derived image adds in the kind's hierarchies
// (with their parent directories), from the derived image itself: what
// an extension of it must hold, its release file aside.
func additions(t *testing.T, layout string, k sysext.Kind) []string {
	t.Helper()
	loader, err := layer.NewLoader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer loader.Close()
	src, err := layer.OpenSource(context.Background(), layer.Request{Ref: "oci:" + layout + ":derived", Base: "oci:" + layout + ":base",
		BaseMode: layer.BaseRequired, Content: layer.ContentKept, Loader: loader})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	keep := map[string]bool{}
	for _, c := range diff.Changes(src, diff.CompareOptions{}) {
		p := strings.TrimPrefix(c.Path, "/")
		if c.Kind != diff.Added || !k.Contains(p) {
			continue
		}
		for ; p != "."; p = filepath.Dir(p) {
			keep[p] = true
		}
	}
	return listing.Tree(t, src.Tree, func(p string) bool { return keep[p] })
}

// notRelease leaves out the extension-release files and their directory.
func notRelease(p string) bool {
	return !strings.Contains(p, "extension-release.d")
}

// extracted lists a directory tree a tool extracted or mounted.
func extracted(t *testing.T, dir string) []string {
	t.Helper()
	tree, err := layer.TreeFromDir(context.Background(), dir, layer.DirOptions{Hash: true})
	if err != nil {
		t.Fatal(err)
	}
	return listing.Tree(t, tree, notRelease)
}

func fileDigest(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

// dissect checks an image with systemd-dissect, systemd's own reader of
// extension images: that it is usable as a system extension (for a
// sysext), and, mounted by it, that it holds want. systemd-dissect needs
// loop devices; where it cannot have them it says why, and the mount is
// left out.
func dissect(t *testing.T, img string, sysextImage bool, want []string) {
	t.Helper()
	out, err := exec.Command("systemd-dissect", "--json=short", img).CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "loop") || strings.Contains(string(out), "ermission") {
			t.Logf("systemd-dissect cannot open %s here (no loop devices for this container?): %s", img, out)
			return
		}
		t.Fatalf("systemd-dissect %s: %v\n%s", img, err, out)
	}
	var info map[string]any
	if err := json.Unmarshal(out, &info); err != nil {
		t.Fatalf("systemd-dissect --json: %v\n%s", err, out)
	}
	// systemd before 254 knows no confexts (no useConfigurationExtension,
	// no etc/extension-release.d): for a confext, only its mount is checked.
	use := "useSystemExtension"
	if !sysextImage {
		use = "useConfigurationExtension"
	}
	if v, ok := info[use]; ok && v != true || sysextImage && !ok {
		t.Errorf("systemd-dissect: %s of %s is %v: %s", use, img, v, out)
	} else if !ok {
		t.Logf("this systemd-dissect knows no %s (systemd < 254)", use)
	}
	mnt := filepath.Join(t.TempDir(), "mnt")
	if out, err := exec.Command("systemd-dissect", "--read-only", "--mkdir", "--mount", img, mnt).CombinedOutput(); err != nil {
		t.Logf("systemd-dissect cannot mount %s here: %v: %s", img, err, out)
		return
	}
	defer exec.Command("systemd-dissect", "--umount", mnt).Run()
	listing := extracted(t, mnt)
	sameList(t, "mounted by systemd-dissect "+filepath.Base(img), want, listing)
}

// TestSysextOfARealBuildahBuild: a package installed into /usr by dpkg in
// a buildah build, a unit and an /etc config become a sysext (squashfs)
// and a confext (EROFS), checked with squashfs-tools, erofs-utils and
// systemd-dissect against what the derived layers add, byte for byte, and
// made twice the same; lint checks them against hosts as systemd would.
func TestSysextOfARealBuildahBuild(t *testing.T) {
	fixtures.RequireTools(t, "unsquashfs", "mkfs.erofs", "fsck.erofs", "dump.erofs", "systemd-dissect", "skopeo")
	layout := sysextImages(t)
	base, derived := "oci:"+layout+":base", "oci:"+layout+":derived"
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	cache := t.TempDir()
	dir := t.TempDir()

	// The package database in /var and the conffile in /etc are not a
	// sysext's: refused, with lint's advice, unless left out.
	_, stderr, code := oslayer(t, cache, "sysext", base, derived, "-o", filepath.Join(dir, "refused.raw"))
	if code != 1 || !strings.Contains(stderr, "/var/lib/dpkg/status modified outside") || !strings.Contains(stderr, "/etc/hello added outside") ||
		!strings.Contains(stderr, "ship it under /usr/share/factory/var/lib/dpkg/info") {
		t.Errorf("exit code %d, want 1 naming /var and /etc paths; stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "refused.raw")); err == nil {
		t.Error("refused.raw written")
	}

	sys := filepath.Join(dir, "hello.raw")
	out, stderr, code := oslayer(t, cache, "sysext", base, derived, "-o", sys, "--ignore-outside", "--format", "json")
	if code != 0 {
		t.Fatalf("sysext: exit code %d\n%s", code, stderr)
	}
	var rep struct {
		Images []struct {
			Kind    string         `json:"kind"`
			Release sysext.Release `json:"release"`
			SHA256  string         `json:"sha256"`
		} `json:"images"`
		Ignored int `json:"ignored"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(rep.Images) != 1 || rep.Images[0].SHA256 != "sha256:"+fileDigest(t, sys) || rep.Ignored == 0 {
		t.Errorf("report %s", out)
	}
	conf := filepath.Join(dir, "hello-config.raw")
	if _, stderr, code := oslayer(t, cache, "sysext", base, derived, "--confext", "--fs", "erofs", "-o", conf, "--ignore-outside"); code != 0 {
		t.Fatalf("confext: exit code %d\n%s", code, stderr)
	}
	wantSys, wantConf := additions(t, layout, sysext.System), additions(t, layout, sysext.Config)
	for _, want := range []string{"/usr/bin/hello file 0755 0:0 21", "/usr/bin/hi file 0755 0:0 21", "/usr/libexec/hello/helper file 4750 0:0",
		"/usr/lib/systemd/system/hello.service file", "security.capability=", "user.origin="} {
		if !slices.ContainsFunc(wantSys, func(l string) bool { return strings.Contains(l, want) }) {
			t.Fatalf("the derived image lacks %q (buildah dropped it?):\n%s", want, strings.Join(wantSys, "\n"))
		}
	}

	t.Run("squashfs-tools", func(t *testing.T) {
		super := fixtures.Run(t, "", "unsquashfs", "-s", sys)
		for _, s := range []string{"Compression gzip", "Creation or last append time Tue Nov 14 22:13:20 2023", "Fragments are not stored"} {
			if !strings.Contains(super, s) {
				t.Errorf("unsquashfs -s does not say %q:\n%s", s, super)
			}
		}
		lln := fixtures.Run(t, "", "unsquashfs", "-lln", sys)
		for _, s := range []string{"-rwxr-xr-x 0/0                      21 2023-11-14 22:13 squashfs-root/usr/bin/hello",
			"-rwsr-x--- 0/0                       7 2023-11-14 22:13 squashfs-root/usr/libexec/hello/helper",
			"squashfs-root/usr/lib/extension-release.d/extension-release.hello"} {
			if !strings.Contains(lln, s) {
				t.Errorf("unsquashfs -lln lacks %q:\n%s", s, lln)
			}
		}
		x := filepath.Join(t.TempDir(), "x")
		fixtures.Run(t, "", "unsquashfs", "-no-progress", "-d", x, sys)
		sameList(t, "extracted by unsquashfs", wantSys, extracted(t, x))
		release, err := os.ReadFile(filepath.Join(x, "usr/lib/extension-release.d/extension-release.hello"))
		if err != nil || string(release) != "ID=debian\nVERSION_ID=12\nARCHITECTURE=x86-64\nEXTENSION_RELOAD_MANAGER=1\n" {
			t.Errorf("extension-release.hello: %q %v", release, err)
		}
	})
	t.Run("erofs-utils", func(t *testing.T) {
		fixtures.Run(t, "", "fsck.erofs", conf)
		super := fixtures.Run(t, "", "dump.erofs", "-s", conf)
		if !strings.Contains(super, "Filesystem created:") || !strings.Contains(super, "2023-11-14") && !strings.Contains(super, "Nov 14") {
			t.Errorf("dump.erofs -s:\n%s", super)
		}
		inode := fixtures.Run(t, "", "dump.erofs", "--path=/etc/hello/hello.conf", conf)
		if !strings.Contains(inode, "Uid: 0   Gid: 0") || !strings.Contains(inode, "Access: 0644") {
			t.Errorf("dump.erofs --path=/etc/hello/hello.conf:\n%s", inode)
		}
		x := filepath.Join(t.TempDir(), "x")
		fixtures.Run(t, "", "fsck.erofs", "--extract="+x, "--preserve", conf)
		// fsck.erofs extracts neither xattrs nor hard links.
		sameList(t, "extracted by fsck.erofs", listing.WithoutXattrsAndLinks(wantConf), listing.WithoutXattrsAndLinks(extracted(t, x)))
	})
	t.Run("systemd-dissect", func(t *testing.T) {
		// systemd 252's dissect has no --mtree (253 added it): the images
		// are mounted and listed instead.
		dissect(t, sys, true, wantSys)
		dissect(t, conf, false, wantConf)
	})
	t.Run("reproducible", func(t *testing.T) {
		again := t.TempDir()
		t.Setenv("TMPDIR", t.TempDir())
		for _, args := range [][]string{{"-o", filepath.Join(again, "hello.raw")}, {"--confext", "--fs", "erofs", "-o", filepath.Join(again, "hello-config.raw")}} {
			if _, stderr, code := oslayer(t, t.TempDir(), append([]string{"sysext", base, derived, "--ignore-outside", "--no-cache"}, args...)...); code != 0 {
				t.Fatalf("exit code %d\n%s", code, stderr)
			}
		}
		for _, name := range []string{"hello.raw", "hello-config.raw"} {
			if a, b := fileDigest(t, filepath.Join(dir, name)), fileDigest(t, filepath.Join(again, name)); a != b {
				t.Errorf("%s: %s, then %s", name, a, b)
			}
		}
	})
	t.Run("split into directories", func(t *testing.T) {
		split := filepath.Join(t.TempDir(), "out") + "/"
		if _, stderr, code := oslayer(t, cache, "sysext", base, derived, "--split", "--name", "hello", "--fs", "directory", "--ignore-outside", "-o", split); code != 0 {
			t.Fatalf("exit code %d\n%s", code, stderr)
		}
		sameList(t, "extensions/hello", wantSys, extracted(t, filepath.Join(split, "extensions/hello")))
		sameList(t, "confexts/hello", wantConf, extracted(t, filepath.Join(split, "confexts/hello")))
	})
	t.Run("lint", func(t *testing.T) {
		if out, stderr, code := oslayer(t, cache, "lint", sys, "--host", base); code != 0 {
			t.Errorf("lint against its base: exit code %d\n%s%s", code, out, stderr)
		}
		// A host of another release: systemd would not merge it.
		other := fixtures.Image(t, nil, nil, fixtures.Layer(t, fixtures.Dir("usr", 0o755), fixtures.Dir("usr/lib", 0o755),
			fixtures.Reg("usr/lib/os-release", "ID=debian\nVERSION_ID=13\n", 0o644),
			fixtures.Dir("usr/bin", 0o755), fixtures.Reg("usr/bin/hello", "hello from the host\n", 0o755)))
		hosts := t.TempDir()
		fixtures.WriteOCILayout(t, hosts, fixtures.Named{Name: "trixie", Image: other})
		out, _, code := oslayer(t, cache, "lint", sys, "--host", "oci:"+hosts+":trixie", "--format", "json")
		for _, want := range []string{`"rule": "extension-release"`, "VERSION_ID=12, but the host's is 13", `"rule": "extension-shadow"`, `"path": "/usr/bin/hello"`} {
			if !strings.Contains(out, want) {
				t.Errorf("lint against trixie lacks %q:\n%s", want, out)
			}
		}
		if code != 1 {
			t.Errorf("lint against trixie: exit code %d, want 1", code)
		}
		// A machine's local changes above the extension.
		mutable := t.TempDir()
		if err := os.MkdirAll(filepath.Join(mutable, "usr/bin"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(mutable, "usr/bin/hello"), []byte("edited on the machine\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mknod(filepath.Join(mutable, "usr/bin/hi"), unix.S_IFCHR, 0); err != nil {
			t.Fatal(err)
		}
		out, _, code = oslayer(t, cache, "lint", sys, "--host", base, "--mutable-dir", mutable, "--fatal-warnings")
		for _, want := range []string{"mutable-shadow", "/usr/bin/hello", "a local file shadows the extension's file", "/usr/bin/hi", "whiteout"} {
			if !strings.Contains(out, want) {
				t.Errorf("lint --mutable-dir lacks %q:\n%s", want, out)
			}
		}
		if code != 1 {
			t.Errorf("lint --mutable-dir --fatal-warnings: exit code %d, want 1", code)
		}
	})
	t.Run("pushed as an OCI artifact", func(t *testing.T) {
		reg := fixtures.StartRegistry(t)
		ref := reg + "/ext/hello:12"
		digestFile := filepath.Join(t.TempDir(), "digest")
		if _, stderr, code := oslayer(t, cache, "sysext", base, derived, "-o", filepath.Join(t.TempDir(), "hello.raw"), "--ignore-outside",
			"--dest", "docker://"+ref, "--dest-tls-verify=false", "--digestfile", digestFile); code != 0 {
			t.Fatalf("exit code %d\n%s", code, stderr)
		}
		raw := fixtures.Run(t, "", "skopeo", "inspect", "--raw", "--tls-verify=false", "docker://"+ref)
		var m struct {
			ArtifactType string `json:"artifactType"`
			Config       struct {
				MediaType string `json:"mediaType"`
			} `json:"config"`
			Layers []struct {
				MediaType   string            `json:"mediaType"`
				Digest      string            `json:"digest"`
				Annotations map[string]string `json:"annotations"`
			} `json:"layers"`
			Annotations map[string]string `json:"annotations"`
		}
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatalf("%v\n%s", err, raw)
		}
		if m.ArtifactType != sysext.ArtifactTypeSysext || m.Config.MediaType != "application/vnd.oci.empty.v1+json" || len(m.Layers) != 1 ||
			m.Layers[0].MediaType != sysext.LayerTypeSquashfs || m.Layers[0].Digest != "sha256:"+fileDigest(t, sys) ||
			m.Layers[0].Annotations["org.opencontainers.image.title"] != "hello.raw" ||
			m.Annotations[sysext.AnnotationID] != "debian" || m.Annotations[sysext.AnnotationVersionID] != "12" || m.Annotations[sysext.AnnotationName] != "hello" {
			t.Errorf("manifest:\n%s", raw)
		}
		if d, _ := os.ReadFile(digestFile); !strings.HasPrefix(string(d), "sha256:") {
			t.Errorf("digest file %q", d)
		}
		// skopeo copies the artifact whole: its one blob is the image.
		copied := t.TempDir()
		fixtures.Run(t, "", "skopeo", "copy", "--src-tls-verify=false", "docker://"+ref, "oci:"+copied+":hello")
		if got := fileDigest(t, filepath.Join(copied, "blobs/sha256", strings.TrimPrefix(m.Layers[0].Digest, "sha256:"))); got != fileDigest(t, sys) {
			t.Errorf("the copied blob is %s, not the image", got)
		}
	})
}

// TestSysextRefuses: hostile content and wrong usage end with exit code 2,
// a message naming what is wrong, and nothing written.
func TestSysextRefuses(t *testing.T) {
	layout := t.TempDir()
	baseFiles := []fixtures.File{fixtures.Dir("usr", 0o755), fixtures.Dir("usr/bin", 0o755), fixtures.Dir("usr/lib", 0o755),
		fixtures.Reg("usr/lib/os-release", "ID=fixture\nVERSION_ID=1\n", 0o644)}
	baseLayer := fixtures.Layer(t, baseFiles...)
	images := []fixtures.Named{{Name: "base", Image: fixtures.Image(t, nil, nil, baseLayer)}}
	hostile := map[string]fixtures.File{
		"device":  {Path: "usr/bin/mem", Type: tar.TypeChar, Mode: 0o600},
		"escape":  fixtures.Symlink("usr/bin/shadow", "../../../etc/shadow"),
		"dotdot":  fixtures.Reg("usr/../../etc/evil", "x\n", 0o644),
		"good":    fixtures.Reg("usr/bin/hello", "hello\n", 0o755),
		"abslink": fixtures.Symlink("usr/bin/sh", "/usr/bin/hello"),
	}
	for name, f := range hostile {
		images = append(images, fixtures.Named{Name: name, Image: fixtures.Image(t, nil, nil, baseLayer, fixtures.Layer(t, f))})
	}
	fixtures.WriteOCILayout(t, layout, images...)
	base := "oci:" + layout + ":base"
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"a device node", []string{base, "oci:" + layout + ":device", "-o", "OUT/x.raw"}, "/usr/bin/mem: a char-device"},
		{"a symlink climbing out", []string{base, "oci:" + layout + ":escape", "-o", "OUT/x.raw"}, "/usr/bin/shadow: symlink to ../../../etc/shadow climbs out"},
		{"a path with ..", []string{base, "oci:" + layout + ":dotdot", "-o", "OUT/x.raw"}, "usr/../../etc/evil"},
		{"no -o", []string{base, "oci:" + layout + ":good"}, "-o NAME.raw or -o DIR/ is required"},
		{"not .raw", []string{base, "oci:" + layout + ":good", "-o", "OUT/x.img"}, "systemd takes only .raw files"},
		{"--fs for a directory", []string{base, "oci:" + layout + ":good", "-o", "OUT/x/", "--fs", "erofs"}, "--fs erofs does not apply"},
		{"--split without --name", []string{base, "oci:" + layout + ":good", "--split", "-o", "OUT/"}, "--split needs --name"},
		{"--split to a file", []string{base, "oci:" + layout + ":good", "--split", "--name", "x", "-o", "OUT/x.raw"}, "with --split, -o is a directory"},
		{"--dest of a directory", []string{base, "oci:" + layout + ":good", "-o", "OUT/x/", "--dest", "oci:OUT/l"}, "--dest pushes one image file"},
		{"a hidden name", []string{base, "oci:" + layout + ":good", "-o", "OUT/.x.raw"}, "systemd ignores hidden names"},
		{"--any-os with --id", []string{base, "oci:" + layout + ":good", "-o", "OUT/x.raw", "--any-os", "--id", "fixture"}, "give it or --id, not both"},
		{"a bad --version-id", []string{base, "oci:" + layout + ":good", "-o", "OUT/x.raw", "--version-id", "1 2"}, `--version-id "1 2"`},
		{"a bad SOURCE_DATE_EPOCH", []string{base, "oci:" + layout + ":good", "-o", "OUT/x.raw"}, "SOURCE_DATE_EPOCH"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			if tc.name == "a bad SOURCE_DATE_EPOCH" {
				t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
			}
			args := []string{"sysext"}
			for _, a := range tc.args {
				args = append(args, strings.ReplaceAll(a, "OUT", out))
			}
			_, stderr, code := oslayer(t, t.TempDir(), args...)
			if code != 2 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit code %d, want 2 and a message saying %q:\n%s", code, tc.want, stderr)
			}
			if names, _ := os.ReadDir(out); len(names) > 0 {
				t.Errorf("%s written", names[0].Name())
			}
		})
	}
	// An absolute symlink is resolved on the host: it is fine.
	out := filepath.Join(t.TempDir(), "sh.raw")
	if _, stderr, code := oslayer(t, t.TempDir(), "sysext", base, "oci:"+layout+":abslink", "-o", out); code != 0 {
		t.Errorf("an absolute symlink: exit code %d\n%s", code, stderr)
	}
}
