package butane

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ignconfig "github.com/coreos/ignition/v2/config"

	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer"
)

func render(t *testing.T, target *Target, config string, opts RenderOptions) (*Result, error) {
	t.Helper()
	cfg, msgs, err := Translate("test.bu", []byte(config), Options{})
	if err != nil {
		return nil, err
	}
	_ = msgs
	return Render(context.Background(), cfg, target, opts)
}

func gzipBomb(t *testing.T, size int) string {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zw.Write(make([]byte, size))
	zw.Close()
	return "data:;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())
}

func TestHostileConfigsAreRejected(t *testing.T) {
	target, _ := imageTarget(t)
	const head = "variant: fcos\nversion: 1.5.0\n"
	tests := []struct {
		name, config, want string
	}{
		{"dot-dot path", head + "storage:\n  files:\n    - path: /etc/../../etc/shadow\n      contents: {inline: x}\n", "path is not fully simplified"},
		{"relative path", head + "storage:\n  files:\n    - path: etc/x\n      contents: {inline: x}\n", "absolute"},
		{"under /proc", head + "storage:\n  files:\n    - path: /proc/sys/kernel/x\n      contents: {inline: x}\n", "/proc, which is virtual or a tmpfs"},
		{"under /sys", head + "storage:\n  directories:\n    - path: /sys/fs/x\n", "/sys, which is virtual or a tmpfs"},
		{"under /run", head + "storage:\n  files:\n    - path: /run/x\n      contents: {inline: x}\n", "/run, which is virtual or a tmpfs"},
		{"hard link escaping", head + "storage:\n  links:\n    - path: /etc/esc\n      hard: true\n      target: /../../etc/shadow\n", `contains ".."`},
		{"writing through a link the config makes", head + "storage:\n  links:\n    - path: /opt/esc\n      target: /\n  files:\n    - path: /opt/esc/etc/x\n      contents: {inline: x}\n", "file path includes link in config"},
		{"mode beyond 07777", head + "storage:\n  files:\n    - path: /etc/x\n      mode: 0170000\n      contents: {inline: x}\n", "mode"},
		{"enormous inline data", head + "storage:\n  files:\n    - path: /etc/x\n      contents:\n        source: \"" + gzipBomb(t, MaxFileSize+1) + "\"\n        compression: gzip\n", "more than the 67108864 bytes"},
		{"remote source", head + "storage:\n  files:\n    - path: /etc/x\n      contents: {source: \"https://example.com/x\"}\n", "--allow-remote"},
		{"s3 source", head + "storage:\n  files:\n    - path: /etc/x\n      contents: {source: \"s3://bucket/x\"}\n", "fetched by Ignition at first boot"},
		{"wrong verification hash", head + "storage:\n  files:\n    - path: /etc/x\n      contents:\n        inline: x\n        verification: {hash: sha256-0000000000000000000000000000000000000000000000000000000000000000}\n", "verification failed"},
		{"existing file without overwrite", head + "storage:\n  files:\n    - path: /etc/issue\n      contents: {inline: x}\n", "set overwrite: true"},
		{"replacing a base file under /usr", head + "storage:\n  files:\n    - path: /usr/bin/tool\n      overwrite: true\n      contents: {inline: x}\n", "base override: pass --allow-override"},
		{"appending to a base file", head + "storage:\n  files:\n    - path: /etc/issue\n      append: [{inline: more}]\n", "appending to base file /etc/issue is a base override"},
		{"unknown owner", head + "storage:\n  files:\n    - path: /etc/x\n      user: {name: nobody-here}\n      contents: {inline: x}\n", `user "nobody-here" is not in the target`},
		{"user without uid", head + "passwd:\n  users:\n    - name: alice\n", "no uid"},
		{"changing an existing user", head + "passwd:\n  users:\n    - name: root\n      shell: /bin/sh\n      gecos: Superuser\n", "passwd.users root: the user exists in the target, and systemd-sysusers only creates users: shell, gecos cannot be applied"},
		{"another uid for an existing user", head + "passwd:\n  users:\n    - name: root\n      uid: 5\n", "uid cannot be applied"},
		{"uid beyond 32 bits", head + "storage:\n  files:\n    - path: /etc/x\n      user: {id: 4294967296}\n      contents: {inline: x}\n", "uid 4294967296 is out of range"},
		{"owner by name with a uid beyond 32 bits", head + "passwd:\n  users:\n    - name: evil\n      uid: 4294967296\nstorage:\n  files:\n    - path: /etc/x\n      user: {name: evil}\n      contents: {inline: x}\n", "uid 4294967296 is out of range"},
		{"negative gid", head + "storage:\n  files:\n    - path: /etc/x\n      group: {id: -1}\n      contents: {inline: x}\n", "gid -1 is out of range"},
		{"firstboot parts without --firstboot-out", head + "storage:\n  disks:\n    - device: /dev/vdb\n      wipe_table: true\n", "only Ignition can do at first boot: storage.disks (1)"},
		{"enabling a unit nobody has", head + "systemd:\n  units:\n    - name: ghost.service\n      enabled: true\n", "neither in the config nor in the target"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := render(t, target, tc.config, RenderOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestAllowedOverrides(t *testing.T) {
	target, _ := imageTarget(t)
	res, err := render(t, target, "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/issue\n      append: [{inline: \"more\\n\"}]\n", RenderOptions{AllowOverride: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := string(res.Entries[0].Data); got != "Fixture OS\nmore\n" {
		t.Errorf("appended content = %q", got)
	}
}

// TestApplyNeverWritesOutsideTheRoot renders onto a root whose /etc/evil is
// a symlink out of it, planted as an earlier layer could.
func TestApplyNeverWritesOutsideTheRoot(t *testing.T) {
	ctx := context.Background()
	root, outside := t.TempDir(), t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/passwd"), []byte("root:x:0:0::/root:/bin/sh\n"), 0o644)
	os.Symlink(outside, filepath.Join(root, "etc/evil"))
	os.Symlink("../../../../../"+outside, filepath.Join(root, "etc/evil-rel"))
	src, err := layer.OpenSource(ctx, layer.Request{Rootfs: root})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	target := NewTarget(src)
	for _, p := range []string{"/etc/evil/x", "/etc/evil-rel/x"} {
		res, err := render(t, target, "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: "+p+"\n      contents: {inline: pwned}\n", RenderOptions{})
		if err == nil {
			err = res.Apply(root)
		}
		if _, serr := os.Stat(filepath.Join(outside, "x")); serr == nil {
			t.Fatalf("%s was written outside the root", p)
		}
		t.Logf("%s: %v", p, err)
	}
	// A normal config lands where it should, with Ignition's defaults.
	// Setuid bits take effect from Ignition spec 3.6 (fcos 1.7) on.
	res, err := render(t, target, "variant: fcos\nversion: 1.7.0\nstorage:\n  files:\n    - path: /opt/app/bin/run\n      mode: 04755\n      contents: {inline: run}\n  links:\n    - path: /opt/app/run2\n      hard: true\n      target: /opt/app/bin/run\n", RenderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Apply(root); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(root, "opt/app/bin/run"))
	if err != nil || fi.Mode().Perm() != 0o755 || fi.Mode()&os.ModeSetuid == 0 {
		t.Errorf("run: %v %v", fi, err)
	}
	if di, _ := os.Stat(filepath.Join(root, "opt/app/bin")); di == nil || di.Mode().Perm() != 0o755 {
		t.Errorf("parent directory mode: %v", di)
	}
	if fi2, _ := os.Stat(filepath.Join(root, "opt/app/run2")); fi2 == nil || !os.SameFile(fi, fi2) {
		t.Error("the hard link is not the same file")
	}
}

func TestLayersAreReproducible(t *testing.T) {
	target, base := imageTarget(t)
	input, _ := os.ReadFile("testdata/golden/fcos-1.4-storage.bu")
	digests := map[string]bool{}
	for range 2 {
		cfg, _, err := Translate("fcos-1.4-storage.bu", input, Options{FilesDir: "testdata/golden/files"})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Render(context.Background(), cfg, target, RenderOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []layer.Compression{layer.None, layer.Gzip, layer.Zstd} {
			var buf bytes.Buffer
			if err := res.WriteLayer(&buf, target, c, time.Unix(1700000000, 0)); err != nil {
				t.Fatal(err)
			}
			digests[string(c)+":"+digestOf(buf.Bytes())] = true
		}
		img, err := res.Image(base, target, cfg.Name, layer.Gzip, time.Unix(1700000000, 0))
		if err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		digests["image:"+d.String()] = true
	}
	if len(digests) != 4 {
		t.Errorf("two renders gave %d different outputs, want 4 (three layers and one image, each the same twice): %v", len(digests), digests)
	}
}

func digestOf(b []byte) string {
	s := sha256.Sum256(b)
	return string(s[:])
}

// TestFirstbootConfigValidates checks the split-off config with the
// Ignition library and with Debian's ignition-validate. Ignition 2.14
// knows spec 3.3 as its newest stable version (3.4 only as experimental),
// so the config is fcos 1.4.
func TestFirstbootConfigValidates(t *testing.T) {
	target, _ := imageTarget(t)
	input, _ := os.ReadFile("testdata/golden/fcos-1.4-firstboot.bu")
	cfg, _, err := Translate("fcos-1.4-firstboot.bu", input, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Render(context.Background(), cfg, target, RenderOptions{Firstboot: true})
	if err != nil {
		t.Fatal(err)
	}
	data, err := res.Firstboot.Config()
	if err != nil {
		t.Fatal(err)
	}
	parsed, rep, err := ignconfig.Parse(data)
	if err != nil || len(rep.Entries) > 0 {
		t.Fatalf("Ignition rejects the firstboot config: %v %v", err, rep)
	}
	if len(parsed.Storage.Files) != 1 || len(parsed.Storage.Disks) != 1 || len(parsed.Systemd.Units) != 1 ||
		len(parsed.Passwd.Users) != 1 || parsed.Passwd.Users[0].SSHAuthorizedKeys != nil || len(parsed.KernelArguments.ShouldExist) != 0 {
		t.Errorf("the firstboot config holds more or less than the firstboot parts: %s", data)
	}
	fixtures.RequireTools(t, "ignition-validate")
	file := filepath.Join(t.TempDir(), "firstboot.ign")
	os.WriteFile(file, data, 0o644)
	if out, err := exec.Command("ignition-validate", file).CombinedOutput(); err != nil {
		t.Errorf("ignition-validate: %v\n%s", err, out)
	}
}

// TestAppendNeedsATarget: with no image or root, an append would become
// the whole file and replace the real one when the layer is stacked.
func TestAppendNeedsATarget(t *testing.T) {
	const config = "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/issue\n      append: [{inline: more}]\n"
	if _, err := render(t, NewTarget(nil), config, RenderOptions{}); err == nil || !strings.Contains(err.Error(), "append needs the file it appends to") {
		t.Errorf("error = %v", err)
	}
	// Contents and an append in the config itself need no target.
	res, err := render(t, NewTarget(nil), "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/motd\n      contents: {inline: \"a\\n\"}\n      append: [{inline: \"b\\n\"}]\n", RenderOptions{})
	if err != nil || len(res.Entries) == 0 {
		t.Fatalf("contents plus append: %v", err)
	}
	for _, e := range res.Entries {
		if e.Path == "/etc/motd" && string(e.Data) != "a\nb\n" {
			t.Errorf("/etc/motd = %q", e.Data)
		}
	}
}
