package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-containerregistry/pkg/compression"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer"
)

const buildConfig = `variant: fcos
version: 1.6.0
passwd:
  users:
    - name: app
      uid: 970
      system: true
      no_create_home: true
storage:
  files:
    - path: /etc/app/app.conf
      mode: 0640
      user: {name: app}
      contents:
        local: app.conf
    - path: /usr/lib/app/run
      mode: 0755
      contents:
        inline: "#!/bin/sh\necho app\n"
  directories:
    - path: /var/lib/app
      mode: 0750
      user: {name: app}
systemd:
  units:
    - name: app.service
      enabled: true
      contents: |
        [Service]
        User=app
        ExecStart=/usr/lib/app/run
        [Install]
        WantedBy=multi-user.target
kernel_arguments:
  should_exist: [console=ttyS0]
`

// butaneChanges is what building with the config changes in the base,
// buildah's own /etc/hosts and /etc/resolv.conf included.
var butaneChanges = []string{
	"/etc/app added",
	"/etc/app/app.conf added",
	"/etc/hosts added",
	"/etc/resolv.conf added",
	"/etc/systemd added",
	"/etc/systemd/system added",
	"/etc/systemd/system-preset added",
	"/etc/systemd/system-preset/20-ignition.preset added",
	"/etc/systemd/system/app.service added",
	"/etc/systemd/system/multi-user.target.wants added",
	"/etc/systemd/system/multi-user.target.wants/app.service added",
	"/usr/lib/app added",
	"/usr/lib/app/run added",
	"/usr/lib/bootc/kargs.d/50-butane-config.toml added",
	"/usr/lib/sysusers.d/butane-config.conf added",
	"/usr/lib/tmpfiles.d/butane-config.conf added",
}

func butaneBase(t *testing.T) string {
	t.Helper()
	layout, err := os.MkdirTemp("", "oslayer-butane-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(layout) })
	// containers/storage refuses layers with duplicate paths: busybox's
	// sh replaces the base's.
	var files []fixtures.File
	for _, f := range fixtures.CleanBaseFiles() {
		if f.Path != "usr/bin/sh" {
			files = append(files, f)
		}
	}
	files = append(files, fixtures.BusyboxFiles(t)...)
	fixtures.WriteOCILayout(t, layout, fixtures.Named{Name: "base", Image: fixtures.Image(t, fixtures.CleanBaseLabels, nil, fixtures.Layer(t, files...))})
	return layout
}

func TestButaneInARealBuild(t *testing.T) {
	bh := fixtures.NewBuildah(t)
	layout := butaneBase(t)
	ctx := t.TempDir()
	bin, _ := os.ReadFile(oslayerBin)
	os.WriteFile(filepath.Join(ctx, "oslayer"), bin, 0o755)
	os.WriteFile(filepath.Join(ctx, "config.bu"), []byte(buildConfig), 0o644)
	os.MkdirAll(filepath.Join(ctx, "files"), 0o755)
	os.WriteFile(filepath.Join(ctx, "files", "app.conf"), []byte("port = 8080\n"), 0o644)
	os.WriteFile(filepath.Join(ctx, "Containerfile"), []byte("FROM oci:"+layout+":base\n"+
		"RUN --mount=type=bind,source=.,target=/ctx /ctx/oslayer butane /ctx/config.bu --files-dir /ctx/files --apply /\n"), 0o644)
	if out, err := bh.TryBud(ctx, "localhost/butane:1"); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	bh.Push("localhost/butane:1", "oci:"+layout+":derived")
	cache := t.TempDir()

	out, stderr, code := oslayer(t, cache, "lint", "--format", "json", "oci:"+layout+":derived", "--base", "oci:"+layout+":base")
	if code != 0 {
		t.Errorf("lint: exit %d\n%s\n%s", code, out, stderr)
	}

	out, stderr, code = oslayer(t, cache, "diff", "--format", "json", "oci:"+layout+":base", "oci:"+layout+":derived")
	if code != 0 {
		t.Fatalf("diff: exit %d\n%s", code, stderr)
	}
	var res diff.Result
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range res.Changes {
		got = append(got, c.Path+" "+c.Kind.String())
	}
	slices.Sort(got)
	if !slices.Equal(got, butaneChanges) {
		t.Errorf("changes (-want +got):\n-%s\n+%s", strings.Join(butaneChanges, "\n-"), strings.Join(got, "\n+"))
	}
	for _, c := range res.Changes {
		if c.Path == "/etc/app/app.conf" && (c.New.Mode != 0o640 || c.New.UID != 970) {
			t.Errorf("app.conf: %+v", c.New)
		}
	}
}

func TestButaneImageToARegistry(t *testing.T) {
	fixtures.RequireTools(t, "skopeo")
	reg := fixtures.StartRegistry(t)
	layout := butaneBase(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "config.bu"), []byte(buildConfig), 0o644)
	os.MkdirAll(filepath.Join(dir, "files"), 0o755)
	os.WriteFile(filepath.Join(dir, "files", "app.conf"), []byte("port = 8080\n"), 0o644)
	cache := t.TempDir()
	var digests []string
	for i := range 2 {
		dest := "docker://" + reg + "/os/butane:" + []string{"a", "b"}[i]
		_, stderr, code := oslayer(t, cache, "butane", filepath.Join(dir, "config.bu"), "--files-dir", filepath.Join(dir, "files"),
			"--base", "oci:"+layout+":base", "--dest", dest, "--tls-verify=false")
		if code != 0 {
			t.Fatalf("butane: exit %d\n%s", code, stderr)
		}
		var inspect struct {
			Digest string
			Layers []string
		}
		out := fixtures.Run(t, "", "skopeo", "inspect", "--tls-verify=false", dest)
		if err := json.Unmarshal([]byte(out), &inspect); err != nil {
			t.Fatal(err)
		}
		if len(inspect.Layers) != 2 {
			t.Errorf("skopeo sees %d layers, want the base's 1 plus 1", len(inspect.Layers))
		}
		digests = append(digests, inspect.Digest)
		raw := fixtures.Run(t, "", "skopeo", "inspect", "--raw", "--tls-verify=false", dest)
		if !strings.Contains(raw, layer.BaseNameAnnotation) {
			t.Errorf("the manifest does not name its base: %s", raw)
		}
	}
	if digests[0] != digests[1] {
		t.Errorf("two runs gave %s and %s: not reproducible", digests[0], digests[1])
	}
	// Read back through skopeo's copy, and found by oslayer from its annotations.
	fixtures.Run(t, "", "skopeo", "copy", "--src-tls-verify=false", "docker://"+reg+"/os/butane:a", "oci:"+layout+":copied")
	out, stderr, code := oslayer(t, cache, "diff", "--format", "json", "oci:"+layout+":copied")
	if code != 0 {
		t.Fatalf("diff of the copy: exit %d\n%s", code, stderr)
	}
	var res diff.Result
	json.Unmarshal([]byte(out), &res)
	if len(res.Changes) != len(butaneChanges)-2 { // no buildah: no /etc/hosts, /etc/resolv.conf
		t.Errorf("%d changes, want %d: %+v", len(res.Changes), len(butaneChanges)-2, res.Changes)
	}
}

// TestButaneHardLinkBeforeItsTarget: /opt/a.txt is a hard link to
// /opt/b.txt and sorts first; the layer butane writes must still have the
// content first and the link after it, as GNU tar and containers-storage
// need to extract it.
func TestButaneHardLinkBeforeItsTarget(t *testing.T) {
	fixtures.RequireTools(t, "tar")
	dir := t.TempDir()
	config := "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /opt/b.txt\n      contents: {inline: data}\n  links:\n    - path: /opt/a.txt\n      hard: true\n      target: /opt/b.txt\n"
	os.WriteFile(filepath.Join(dir, "c.bu"), []byte(config), 0o644)
	layerTar := filepath.Join(dir, "layer.tar")
	if _, stderr, code := oslayer(t, t.TempDir(), "butane", filepath.Join(dir, "c.bu"), "-o", layerTar); code != 0 {
		t.Fatalf("butane: exit %d\n%s", code, stderr)
	}
	check := func(how, root string) {
		t.Helper()
		var inodes []uint64
		for _, p := range []string{"opt/a.txt", "opt/b.txt"} {
			data, err := os.ReadFile(filepath.Join(root, p))
			st, serr := os.Stat(filepath.Join(root, p))
			if err != nil || serr != nil || string(data) != "data" {
				t.Errorf("%s: /%s = %q, %v", how, p, data, err)
				return
			}
			inodes = append(inodes, statIno(st))
		}
		if inodes[0] != inodes[1] {
			t.Errorf("%s: /opt/a.txt and /opt/b.txt are not one file", how)
		}
	}
	out := t.TempDir()
	fixtures.Run(t, "", "tar", "-C", out, "-xf", layerTar)
	check("GNU tar", out)

	bh := fixtures.NewBuildah(t)
	data, err := os.ReadFile(layerTar)
	if err != nil {
		t.Fatal(err)
	}
	layout, err := os.MkdirTemp("", "oslayer-hardlink-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(layout) })
	fixtures.WriteOCILayout(t, layout, fixtures.Named{Name: "img", Image: fixtures.Image(t, nil, nil, fixtures.LayerFromTar(t, data, compression.GZip))})
	check("containers-storage", bh.Mount(bh.From("oci:"+layout+":img")))
}

func statIno(st os.FileInfo) uint64 { return st.Sys().(*syscall.Stat_t).Ino }
