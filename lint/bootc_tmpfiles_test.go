package lint

// The unit tests of bootc's crates/tmpfiles (src/lib.rs and
// src/path_resolution.rs, bootc-dev/bootc at 534c76ea), translated. bootc
// uses that crate twice: var-tmpfiles finds what /var holds undeclared
// (read-only), and var_to_tmpfiles declares it; oslayer's counterparts are
// the var-tmpfiles rule and finalize --fix-var.

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/internal/rootdir"
	"github.com/oslayer/oslayer/layer"
)

func TestBootcTmpfilesEntryGetPath(t *testing.T) {
	for in, want := range map[string]string{
		"z /dev/kvm          0666 - kvm -": "/dev/kvm",
		"d /run/lock/lvm 0700 root root -": "/run/lock/lvm",
		"a+      /var/lib/tpm2-tss/system/keystore   -    -    -     -           default:group:tss:rwx": "/var/lib/tpm2-tss/system/keystore",
		`d "/run/file with spaces/foo" 0700 root root -`:                                                "/run/file with spaces/foo",
		`d /spaces\x20\x20here/foo 0700 root root -`:                                                    "/spaces  here/foo",
		// oslayer: single quotes quote too, as in systemd.
		`d '/run/single quoted' 0700 root root -`: "/run/single quoted",
	} {
		got := parseTmpfiles(in)
		if len(got) != 1 || got[0].Path != want {
			t.Errorf("parseTmpfiles(%q) = %+v, want path %q", in, got, want)
		}
	}
}

// testIDs is bootc's mock_userdb: the test's own uid and gid, named
// testuser and testgroup in the root's passwd and group.
func testIDs() []string {
	return []string{
		fmt.Sprintf("f etc/passwd testuser:x:%d:%d::/:/sbin/nologin\n", os.Getuid(), os.Getgid()),
		fmt.Sprintf("f etc/group testgroup:x:%d:\n", os.Getgid()),
	}
}

// suggestions returns the tmpfiles.d lines var-tmpfiles suggests.
func suggestions(found []Finding) []string {
	var out []string
	for _, f := range found {
		if _, line, ok := strings.Cut(f.Message, "add: "); ok {
			out = append(out, line)
		}
	}
	slices.Sort(out)
	return out
}

// fixVarLines returns what finalize --fix-var --dry-run would declare.
func fixVarLines(t *testing.T, dir string) []string {
	t.Helper()
	rep, err := Finalize(context.Background(), FinalizeOptions{Root: dir, FixVar: true, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	return rep.VarLines
}

// test_tmpfiles_d_translation: what /var holds undeclared is suggested as
// d and L lines, owners by name, /etc/tmpfiles.d read too; a second run in
// a later layer declares only what that layer added.
func TestBootcTmpfilesTranslation(t *testing.T) {
	root := with(testIDs(),
		"f usr/lib/tmpfiles.d/systemd.conf d /var/lib 0755 - - -\nd /var/lib/private 0700 root root -\nd /var/log/private 0700 root root -\n",
		"f etc/tmpfiles.d/user.conf d /var/lib/user 0755 root root - -\n",
		"d var/lib/systemd", "d var/lib/private", "d var/lib/nfs", "d var/lib/user",
		"d var/lib/test 0777", "d var/lib/test/nested 0777",
		"L var/lib/test/nested/symlink ../", "L var/lib/test/absolute-symlink /var/lib/foo",
	)
	dir := mkroot(t, root...)
	want := []string{
		"L /var/lib/test/absolute-symlink - - - - /var/lib/foo",
		"L /var/lib/test/nested/symlink - - - - ../",
		"d /var/lib/nfs 0755 testuser testgroup - -",
		"d /var/lib/systemd 0755 testuser testgroup - -",
		"d /var/lib/test 0777 testuser testgroup - -",
		"d /var/lib/test/nested 0777 testuser testgroup - -",
	}
	found := findingsOf(lintRoot(t, dir, true), "var-tmpfiles")
	if got := suggestions(found); len(found) != len(want) || !slices.Equal(got, want) {
		t.Errorf("suggested (-want +got):\n-%s\n+%s\nall: %+v", strings.Join(want, "\n-"), strings.Join(got, "\n+"), found)
	}

	// The layered build: the first run declared everything, a later layer
	// adds a directory, the second run declares that one alone.
	if _, err := Finalize(context.Background(), FinalizeOptions{Root: dir, FixVar: true}); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(dir+"/var/lib/gen2-test", 0o755); err != nil {
		t.Fatal(err)
	}
	rep, err := Finalize(context.Background(), FinalizeOptions{Root: dir, FixVar: true})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"C /var/lib/gen2-test - - - - /usr/share/factory/var/lib/gen2-test"}; !slices.Equal(rep.VarLines, want) {
		t.Errorf("second run declared %q, want %q", rep.VarLines, want)
	}
	if found := findingsOf(lintRoot(t, dir, true), "var-tmpfiles"); len(found) != 0 {
		t.Errorf("after two --fix-var runs: %+v", found)
	}
}

// test_tmpfiles_d_root_alias, test_tmpfiles_d_home_alias and
// test_tmpfiles_d_nested_symlink: a path declared through a symlink covers
// what is at the link's target, for var-tmpfiles and --fix-var alike.
func TestBootcTmpfilesAliases(t *testing.T) {
	for _, tc := range []struct {
		upstream string
		root     []string
	}{
		{"test_tmpfiles_d_root_alias", []string{
			"f usr/lib/tmpfiles.d/systemd.conf d /var/roothome 0700 root root -\nd /root/.ssh 0700 root root -\n",
			"d var/roothome/.ssh", "L root var/roothome"}},
		{"test_tmpfiles_d_home_alias", []string{
			"f usr/lib/tmpfiles.d/systemd.conf d /var/home 0755 root root -\nd /home/testuser 0700 testuser testuser -\n",
			"d var/home/testuser", "L home /var/home"}},
		{"test_tmpfiles_d_nested_symlink", []string{
			"f usr/lib/tmpfiles.d/systemd.conf d /var/lib 0755 root root -\nd /var/lib/machines 0755 root root -\nL /var/lib/portables - - - - machines\nd /var/lib/portables/myimage 0755 root root -\n",
			"d var/lib/machines/myimage", "L var/lib/portables machines"}},
		// oslayer: the standard Fedora and CentOS layout, all three at once.
		{"oslayer: the Fedora layout", []string{
			"f usr/lib/tmpfiles.d/fedora.conf d /var/roothome 0700 root root -\nd /root/.ssh 0700 root root -\nd /var/home 0755 root root -\nd /home/core 0700 - - -\nd /var/lib 0755 - - -\nd /var/lib/machines 0700 - - -\nL /var/lib/portables - - - - machines\nd /var/lib/portables/x 0700 - - -\n",
			"d var/roothome/.ssh", "L root var/roothome", "d var/home/core", "L home var/home",
			"d var/lib/machines/x", "L var/lib/portables machines"}},
	} {
		t.Run(tc.upstream, func(t *testing.T) {
			dir := mkroot(t, tc.root...)
			if found := findingsOf(lintRoot(t, dir, true), "var-tmpfiles"); len(found) != 0 {
				t.Errorf("var-tmpfiles: %+v", found)
			}
			if lines := fixVarLines(t, dir); len(lines) != 0 {
				t.Errorf("--fix-var would declare %q", lines)
			}
		})
	}
	// And without the link, the same declarations cover nothing.
	dir := mkroot(t, "f usr/lib/tmpfiles.d/systemd.conf d /var/roothome 0700 root root -\nd /root/.ssh 0700 root root -\n", "d var/roothome/.ssh", "d root")
	if found := findingsOf(lintRoot(t, dir, true), "var-tmpfiles"); !slices.Equal(pathsOf(found), []string{"/var/roothome/.ssh"}) {
		t.Errorf("/root a directory: %+v", found)
	}
}

// test_log_regfile: regular files in /var cannot be declared; bootc
// records them as ignored. Build logs are to be deleted, and --fix-var
// does not copy them to every machine.
func TestBootcTmpfilesLogRegfile(t *testing.T) {
	dir := mkroot(t, "d usr/lib/tmpfiles.d", "f var/log/dnf/dnf.log some dnf log", "f var/log/foo/foo.log some other log")
	found := findingsOf(lintRoot(t, dir, true), "var-tmpfiles")
	var files []string
	for _, f := range found {
		if strings.HasSuffix(f.Path, ".log") {
			files = append(files, f.Path)
			if !strings.Contains(f.Message, "delete it") {
				t.Errorf("%s: %q does not say to delete it", f.Path, f.Message)
			}
		}
	}
	if want := []string{"/var/log/dnf/dnf.log", "/var/log/foo/foo.log"}; !slices.Equal(files, want) {
		t.Errorf("undeclarable files %v, want %v (all: %+v)", files, want, found)
	}
	if lines, want := fixVarLines(t, dir), []string{fmt.Sprintf("d /var/log 0755 %d %d - -", os.Getuid(), os.Getgid())}; !slices.Equal(lines, want) {
		t.Errorf("--fix-var would declare %q, want %q", lines, want)
	}
}

// oslayer: what to do about a path depends on what it is: caches, logs
// and repository metadata are deleted, content a machine needs is
// declared or shipped in the factory.
func TestVarTmpfilesAdvice(t *testing.T) {
	dir := mkroot(t, "d usr/lib/tmpfiles.d",
		"f usr/lib/tmpfiles.d/base.conf d /var/cache 0755 - - -\nd /var/log 0755 - - -\nd /var/lib 0755 - - -\nd /var/lib/apt 0755 - - -\nd /var/lib/dnf 0755 - - -\n",
		"f var/cache/dnf/repomd.xml x", "d var/log/httpd", "f var/lib/apt/lists/deb.debian.org_InRelease x",
		"f var/lib/dnf/repos/fedora-1234/countme 1", "f var/lib/app/state.db x", "d var/lib/app2",
		"f usr/lib/passwd app:x:990:990::/:/sbin/nologin\n", "f usr/lib/group app:x:990:\n",
	)
	want := map[string]string{
		"/var/cache/dnf":                              "oslayer finalize empties /var/cache",
		"/var/cache/dnf/repomd.xml":                   "oslayer finalize empties /var/cache",
		"/var/log/httpd":                              "delete it in the build (rm -rf /var/log/...); if a service needs the directory, declare it: d /var/log/httpd",
		"/var/lib/apt/lists":                          "add: d /var/lib/apt/lists 0755",
		"/var/lib/apt/lists/deb.debian.org_InRelease": "rm -rf /var/lib/apt/lists/*",
		"/var/lib/dnf/repos":                          "add: d /var/lib/dnf/repos 0755",
		"/var/lib/dnf/repos/fedora-1234":              "rm -rf /var/lib/dnf/repos/*",
		"/var/lib/dnf/repos/fedora-1234/countme":      "rm -rf /var/lib/dnf/repos/*",
		"/var/lib/app":                                "add: d /var/lib/app 0755",
		"/var/lib/app/state.db":                       "ship it under /usr/share/factory/var/lib/app/state.db and copy it with a C line",
		"/var/lib/app2":                               "add: d /var/lib/app2 0755",
	}
	found := findingsOf(lintRoot(t, dir, true), "var-tmpfiles")
	if len(found) != len(want) {
		t.Errorf("%d findings, want %d: %+v", len(found), len(want), found)
	}
	for _, f := range found {
		if w, ok := want[f.Path]; !ok || !strings.Contains(f.Message, w) {
			t.Errorf("%s: %q, want it to say %q", f.Path, f.Message, w)
		}
	}

	// Owners are named from the image's passwd and group, /usr/lib's
	// (nss-altfiles) when /etc has none.
	if os.Getuid() != 0 {
		t.Skip("chown to another user needs root")
	}
	if err := os.Chown(dir+"/var/lib/app2", 990, 990); err != nil {
		t.Fatal(err)
	}
	found = findingsOf(lintRoot(t, dir, true), "var-tmpfiles")
	for _, f := range found {
		if f.Path == "/var/lib/app2" && !strings.HasSuffix(f.Message, "add: d /var/lib/app2 0755 app app - -") {
			t.Errorf("owner not named: %q", f.Message)
		}
	}
}

// test_canonicalize_escape_path and test_translate_to_tmpfiles_d. oslayer
// writes a path that needs escaping quoted, not with bootc's \x20: systemd
// 252 (CentOS Stream 9, RHEL 9, Debian 12) unquotes the path field but does
// not decode C escapes there, and would create a directory named
// "foo\x20bar"; later versions read both forms the same.
func TestBootcTmpfilesEscape(t *testing.T) {
	for _, p := range []string{"/", "/var", "/var/foo", "/run/foo"} {
		if got := tmpfilesPath(p); got != p {
			t.Errorf("tmpfilesPath(%q) = %q", p, got)
		}
	}
	dir := func(p string, mode uint32, user, group string) string { return tmpfilesDirLine(p, mode, user, group) }
	for _, tc := range []struct {
		name, line, path, want string
	}{
		{"a space", dir("/var/foo bar", 0o755, "root", "root"), "/var/foo bar", `d "/var/foo bar" 0755 root root - -`},
		{"a target below /var/run", tmpfilesLinkLine("/var/lib/x", "/var/run"), "/var/lib/x", "L /var/lib/x - - - - /run"},
		{"a target below /var/run, with a space", tmpfilesLinkLine("/var/lib/x", "/var/run/foo bar"), "/var/lib/x", `L /var/lib/x - - - - /run/foo\x20bar`},
		// oslayer: bootc writes the declared path /var/run as /run, which
		// declares another path; oslayer keeps the path the line creates.
		{"oslayer: the declared path /var/run", tmpfilesLinkLine("/var/run", "../run"), "/var/run", "L /var/run - - - - ../run"},
		{"oslayer: UTF-8 as it is", dir("/var/lib/café", 0o755, "root", "root"), "/var/lib/café", "d /var/lib/café 0755 root root - -"},
		{"oslayer: quotes and a backslash", dir("/var/a\"b'c\\d", 0o700, "root", "root"), "/var/a\"b'c\\d", `d "/var/a\"b'c\\d" 0700 root root - -`},
		{"test_translate_to_tmpfiles_d directory", dir("/var/foo bar", 0o721, "testuser", "testgroup"), "/var/foo bar", `d "/var/foo bar" 0721 testuser testgroup - -`},
		{"test_translate_to_tmpfiles_d symlink", tmpfilesLinkLine("/var/foo bar", "/mytarget"), "/var/foo bar", `L "/var/foo bar" - - - - /mytarget`},
	} {
		if tc.line != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, tc.line, tc.want)
		}
		// What is written reads back as the path.
		if got := parseTmpfiles(tc.line); len(got) != 1 || got[0].Path != tc.path {
			t.Errorf("%s: reads back as %+v", tc.name, got)
		}
	}
}

// resolvers are the two file systems realDir resolves in: an image's or a
// rootfs's tree (lint), and a root directory read through descriptors
// (finalize --fix-var).
func resolvers(t *testing.T, dir string) map[string]fs.ReadLinkFS {
	t.Helper()
	tree, err := layer.TreeFromDir(context.Background(), dir, layer.DirOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := rootdir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return map[string]fs.ReadLinkFS{"tree": tree.FS(), "rootdir": r.ReadFS()}
}

// resolveCase is a declared path and the real directory its parent is
// (ok false: none, nothing can exist below it).
type resolveCase struct {
	path, parent string
	ok           bool
}

func checkResolve(t *testing.T, dir string, cases []resolveCase) {
	t.Helper()
	for name, fsys := range resolvers(t, dir) {
		for _, tc := range cases {
			parent := strings.Trim(path.Dir(tc.path), "/")
			got, ok := realDir(fsys, parent)
			if ok != tc.ok || got != tc.parent {
				t.Errorf("%s: parent of %s resolves to %q, %v; want %q, %v", name, tc.path, got, ok, tc.parent, tc.ok)
			}
		}
	}
}

// test_resolve_parent_identity.
func TestBootcResolveParentIdentity(t *testing.T) {
	dir := mkroot(t,
		"d var/lib/plain",
		"d var/roothome/.ssh", "L root var/roothome",
		"d var/lib/machines", "L var/lib/portables machines",
		"d var/home", "L home /var/home",
		"L leaf-is-a-symlink var/roothome",
		"L root-link /", "d foo/bar",
		"d c", "L a b", "L b /c",
		"L var/dangling /var/nonexistent-target",
		"d real", "L alias real",
	)
	checkResolve(t, dir, []resolveCase{
		{"/var/lib/plain/file", "var/lib/plain", true},
		{"/root/.ssh", "var/roothome", true},
		{"/var/lib/portables/myimage", "var/lib/machines", true},
		{"/home/testuser", "var/home", true},
		{"/nonexistent/deep/path", "", false},
		{"/leaf-is-a-symlink", "", true},
		{"/root-link/foo/bar", "foo", true},
		{"/a/x", "c", true},
		{"/var/dangling/sub/leaf", "", false},
		{"/alias/missing/leaf", "", false},
	})
}

// test_resolve_parent_identity_symlink_loop: bootc stops with an I/O
// error; oslayer resolves nothing, so the line declares nothing.
func TestBootcResolveParentIdentitySymlinkLoop(t *testing.T) {
	dir := mkroot(t, "L var/a /var/b", "L var/b /var/a", "L var/self self")
	checkResolve(t, dir, []resolveCase{{"/var/a/file", "", false}, {"/var/self/file", "", false}})
}

// test_resolve_parent_identity_permission_denied: a parent that cannot be
// read resolves to nothing. (lint reads a rootfs whole first, and stops
// on what it cannot read; this is finalize --fix-var's reader.)
func TestBootcResolveParentIdentityPermissionDenied(t *testing.T) {
	if os.Getuid() == 0 {
		t.Skip("root reads any directory")
	}
	dir := mkroot(t, "d noaccess 0000")
	t.Cleanup(func() { os.Chmod(dir+"/noaccess", 0o755) })
	r, err := rootdir.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got, ok := realDir(r.ReadFS(), "noaccess/child"); ok {
		t.Errorf("resolved %q", got)
	}
}

// test_resolve_parent_identity_chain: 25 links in a row resolve; past the
// kernel's 40 they do not.
func TestBootcResolveParentIdentityChain(t *testing.T) {
	chain := func(prefix string, n int) []string {
		var out []string
		for i := range n {
			target := fmt.Sprintf("%s%d", prefix, i+1)
			if i == n-1 {
				target = "target"
			}
			out = append(out, fmt.Sprintf("L %s%d %s", prefix, i, target))
		}
		return out
	}
	dir := mkroot(t, with(with(chain("chain", 25), chain("long", rootdir.MaxLinks+1)...), "d target/leaf")...)
	checkResolve(t, dir, []resolveCase{
		{"/chain0/leaf/subpath", "target/leaf", true},
		{"/long0/leaf/subpath", "", false},
	})
}

// oslayer: tmpfiles.d is read as systemd-tmpfiles reads it: a file in
// /etc/tmpfiles.d replaces the /usr/lib file of the same name (bootc
// merges their lines path by path), a file of another name adds to them,
// and a link to /dev/null masks.
func TestTmpfilesEtcMasksUsrLib(t *testing.T) {
	base := []string{"f usr/lib/tmpfiles.d/app.conf d /var/lib 0755 - - -\nd /var/lib/app 0755 - - -\n", "d var/lib/app", "d var/lib/other"}
	for _, tc := range []struct {
		name  string
		extra []string
		want  []string
	}{
		{"no /etc file", nil, []string{"/var/lib/other"}},
		{"another name adds", []string{"f etc/tmpfiles.d/local.conf d /var/lib/other 0755 - - -\n"}, nil},
		{"the same name replaces", []string{"f etc/tmpfiles.d/app.conf d /var/lib 0755 - - -\nd /var/lib/other 0755 - - -\n"}, []string{"/var/lib/app"}},
		{"a link to /dev/null masks", []string{"L etc/tmpfiles.d/app.conf /dev/null"}, []string{"/var/lib", "/var/lib/app", "/var/lib/other"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := pathsOf(findingsOf(lintRoot(t, mkroot(t, with(base, tc.extra...)...), true), "var-tmpfiles")); !slices.Equal(got, tc.want) {
				t.Errorf("findings %v, want %v", got, tc.want)
			}
		})
	}
}
