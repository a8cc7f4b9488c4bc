package lint

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
)

// releases writes two releases of a derived image, N and N+1, on the clean
// base: N+1 changes /var and /etc content, adds a preset, changes a uid,
// drops a kernel argument. It returns the layout directory.
func releases(t *testing.T) string {
	t.Helper()
	unit := func(name, install string) fixtures.File {
		return fixtures.Reg("usr/lib/systemd/system/"+name, "[Unit]\nDescription="+name+"\n[Service]\nExecStart=/usr/bin/tool\n"+install, 0o644)
	}
	common := []fixtures.File{
		fixtures.Dir("usr/lib/systemd", 0o755), fixtures.Dir("usr/lib/systemd/system", 0o755), fixtures.Dir("usr/lib/systemd/system-preset", 0o755),
		unit("old.service", "[Install]\nWantedBy=multi-user.target\n"),
		fixtures.Reg("usr/lib/systemd/system-preset/50-old.preset", "enable old.service\n", 0o644),
		fixtures.Dir("var/lib/app", 0o755), fixtures.Dir("var/cache", 0o755), fixtures.Dir("etc", 0o755),
	}
	n := append(slices.Clone(common),
		fixtures.Reg("etc/removed.conf", "r=1\n", 0o644),
		fixtures.Reg("var/lib/app/data", "v1\n", 0o644),
		fixtures.Reg("var/cache/x", "v1\n", 0o644),
		fixtures.Reg("etc/app.conf", "level=1\n", 0o644),
		fixtures.Reg("etc/passwd", "root:x:0:0:Super User:/root:/bin/sh\napp:x:990:990::/var/lib/app:/sbin/nologin\n", 0o644),
		fixtures.Reg("etc/group", "root:x:0:\nwheel:x:10:\napp:x:990:\nold:x:980:\n", 0o644),
		fixtures.Reg("usr/lib/bootc/kargs.d/20-app.toml", "kargs = [\"app.debug=1\", \"quiet\"]\n", 0o644),
	)
	next := append(slices.Clone(common),
		fixtures.Reg("var/lib/app/data", "v2\n", 0o644), // changed
		fixtures.Reg("var/lib/app/new", "new\n", 0o644), // added
		fixtures.Dir("var/lib/app2", 0o755), fixtures.Reg("var/lib/app2/a", "a\n", 0o644), fixtures.Reg("var/lib/app2/b", "b\n", 0o644),
		fixtures.Dir("var/lib/declared", 0o755), // added, and tmpfiles.d creates it
		fixtures.Dir("usr/lib/tmpfiles.d", 0o755), fixtures.Reg("usr/lib/tmpfiles.d/app.conf", "d /var/lib/declared 0755 root root - -\n", 0o644),
		fixtures.Reg("var/cache/x", "v2\n", 0o644), // ignored
		fixtures.Reg("etc/app.conf", "level=2\n", 0o644),
		fixtures.Whiteout("etc/removed.conf"),
		fixtures.Reg("etc/new.conf", "n=1\n", 0o644),
		fixtures.Reg("etc/passwd", "root:x:0:0:Super User:/root:/bin/sh\napp:x:991:991::/var/lib/app:/sbin/nologin\n", 0o644),
		fixtures.Reg("etc/group", "root:x:0:\nwheel:x:10:\napp:x:991:\n", 0o644),
		fixtures.Reg("usr/lib/bootc/kargs.d/20-app.toml", "kargs = [\"quiet\"]\n", 0o644),
		unit("app.service", "[Install]\nWantedBy=multi-user.target\n"),
		unit("linked.service", "[Install]\nWantedBy=multi-user.target\n"),
		unit("static.service", ""),
		fixtures.Dir("usr/lib/systemd/system/multi-user.target.wants", 0o755),
		fixtures.Symlink("usr/lib/systemd/system/multi-user.target.wants/linked.service", "../linked.service"),
		fixtures.Reg("usr/lib/systemd/system-preset/80-app.preset", "enable app.service\nenable linked.service\nenable static.service\n", 0o644),
	)
	// Release N+1 is N with a layer on top, as a rebuild of the same
	// Containerfile would not be: each is its own image on the base.
	base := fixtures.Layer(t, fixtures.CleanBaseFiles()...)
	dir := filepath.Join(t.TempDir(), "layout")
	fixtures.WriteOCILayout(t, dir,
		fixtures.Named{Name: "n", Image: fixtures.Image(t, fixtures.CleanBaseLabels, nil, base, fixtures.Layer(t, n...))},
		fixtures.Named{Name: "next", Image: fixtures.Image(t, fixtures.CleanBaseLabels, nil, base, fixtures.Layer(t, n...), fixtures.Layer(t, next...))})
	return dir
}

func upgradeFindings(t *testing.T, dir, etc string) *Result {
	t.Helper()
	target, err := Open(context.Background(), Input{Ref: "oci:" + dir + ":next", Previous: "oci:" + dir + ":n", Etc: etc, Loader: newLoader(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer target.Close()
	res, err := Run(context.Background(), target)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func upgradeLines(res *Result) []string {
	var out []string
	for _, f := range res.Findings {
		r, _ := RuleByID(f.Rule)
		if r.Upgrade {
			out = append(out, f.Rule+" "+string(f.Level)+" "+f.Path+": "+f.Message)
		}
	}
	return out
}

// TestUpgradeRules: what release N+1 will not deliver to machines that run
// N, rule by rule, and the download; with a machine's /etc, what that
// machine ends up with.
func TestUpgradeRules(t *testing.T) {
	dir := releases(t)
	res := upgradeFindings(t, dir, "")
	want := []string{
		"account-changed warning /etc/group: group app has id 991 in the new release, 990 in the previous one: its files on upgraded machines keep 990",
		"account-changed warning /etc/group: group old (id 980) is gone in the new release: its files on upgraded machines keep id 980",
		"account-changed warning /etc/passwd: user app has id 991 in the new release, 990 in the previous one: its files on upgraded machines keep 990",
		"etc-merge warning /etc/app.conf: the new release changes it (content): machines that modified this file keep their own version",
		"etc-merge warning /etc/group: the new release changes it (content): machines that modified this file keep their own version",
		"etc-merge warning /etc/passwd: the new release changes it (content): machines that modified this file keep their own version",
		"etc-merge warning /etc/removed.conf: the new release removes it: machines that modified this file keep their own version",
		"kernel-args-removed info /usr/lib/bootc/kargs.d/20-app.toml: the new release drops \"app.debug=1\": bootc removes it from the kernel command line of upgraded machines",
		"preset-update-lost warning /usr/lib/systemd/system/app.service: /usr/lib/systemd/system-preset/80-app.preset enables app.service only through a preset the previous release did not have: upgraded machines never enable it; fix: ln -s ../app.service /usr/lib/systemd/system/multi-user.target.wants/app.service",
		"var-update-lost fatal /var/lib/app/data: the new release changes this file (content): upgraded machines keep the previous release's",
		"var-update-lost fatal /var/lib/app/new: the new release adds this file: upgraded machines never get it",
		"var-update-lost fatal /var/lib/app2: the new release adds this directory with 2 paths below it: upgraded machines never get them",
	}
	got := upgradeLines(res)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("findings (-want +got):\n-%s\n+%s", strings.Join(want, "\n-"), strings.Join(got, "\n+"))
	}
	if res.Update == nil || res.Update.Download == nil || res.Update.Download.NewLayers != 1 || res.Update.Download.Download == 0 {
		t.Errorf("update: %+v", res.Update)
	}
	var text bytes.Buffer
	WriteText(&text, res, TextOptions{})
	if !strings.Contains(text.String(), "Upgrade from oci:"+dir+":n: downloads ") || !strings.Contains(text.String(), "in 1 of 3 layers") {
		t.Errorf("no download line:\n%s", text.String())
	}

	// A machine that modified app.conf, added new.conf, deleted
	// removed.conf's sibling... as a copy of its /etc and as config-diff.
	etc := t.TempDir()
	for name, content := range map[string]string{"app.conf": "level=1\nlocal=yes\n", "new.conf": "mine\n", "passwd": "root:x:0:0:Super User:/root:/bin/sh\napp:x:990:990::/var/lib/app:/sbin/nologin\n", "removed.conf": "r=1\n"} {
		os.WriteFile(filepath.Join(etc, name), []byte(content), 0o644)
	}
	configDiff := filepath.Join(t.TempDir(), "config-diff")
	os.WriteFile(configDiff, []byte("M    app.conf\nA    new.conf\nD    group\n"), 0o644)
	wantMachine := []string{
		"etc-merge info /etc/passwd: the new release changes it (content); this machine left it untouched and gets the new release's",
		"etc-merge info /etc/removed.conf: the new release removes it; this machine left it untouched, so it is removed there too",
		"etc-merge warning /etc/app.conf: the new release changes it (content); this machine modified it and keeps its own version (conflict)",
		"etc-merge warning /etc/group: the new release changes it (content); this machine deleted it, and it stays deleted",
		"etc-merge warning /etc/new.conf: the new release adds it; this machine has a file of its own there and keeps it (conflict)",
	}
	for _, src := range []string{etc, configDiff} {
		var got []string
		for _, l := range upgradeLines(upgradeFindings(t, dir, src)) {
			if strings.HasPrefix(l, "etc-merge") {
				got = append(got, l)
			}
		}
		slices.Sort(got)
		if !slices.Equal(got, wantMachine) {
			t.Errorf("--etc %s (-want +got):\n-%s\n+%s", src, strings.Join(wantMachine, "\n-"), strings.Join(got, "\n+"))
		}
	}
}
