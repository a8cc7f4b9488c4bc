package lint

// The unit tests of bootc's crates/sysusers (src/lib.rs and
// src/nameservice/{passwd,group}.rs, bootc-dev/bootc at 534c76ea),
// translated. lint reads of a sysusers.d line only which users and groups
// it makes systemd-sysusers create, so that is what is compared (bootc's
// tests also compare ids, GECOS, home and shell, which no check reads).

import (
	"slices"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/internal/passwd"
)

const sysusersRef = `# Comment here
u root 0 "Super User" /root /bin/bash
# This one omits the shell
u root    0     "Super User" /root
u bin 1:1 "bin" /bin -
# Another comment
u daemon 2:2 "daemon" /sbin -
u adm 3:4 "adm" /var/adm -
u lp 4:7 "lp" /var/spool/lpd -
u sync 5:0 "sync" /sbin /bin/sync
u shutdown 6:0 "shutdown" /sbin /sbin/shutdown
u halt 7:0 "halt" /sbin /sbin/halt
u mail 8:12 "mail" /var/spool/mail -
u operator 11:0 "operator" /root -
u games 12:100 "games" /usr/games -
u ftp 14:50 "FTP User" /var/ftp -
u nobody 65534:65534 "Kernel Overflow User" - -
# Newer systemd uses locked references
u! systemd-coredump - "systemd Core Dumper"
`

const sysgroupsRef = `# A comment here
g root 0
g bin 1
g daemon 2
g sys 3
g adm 4
g tty 5
g disk 6
g lp 7
g mem 8
g kmem 9
g wheel 10
g cdrom 11
g mail 12
g man 15
g dialout 18
g floppy 19
g games 20
g utmp 22
g tape 33
g kvm 36
g video 39
g ftp 50
g lock 54
g audio 63
g users 100
g clock 103
g input 104
g render 105
g sgx 106
g nobody 65534
`

// parseAll parses every line of a sysusers.d file, failing on errors.
func parseAll(t *testing.T, data string) []sysusersEntry {
	t.Helper()
	var out []sysusersEntry
	for _, line := range strings.Split(data, "\n") {
		e, ok, err := parseSysusersLine(line)
		if err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		if ok {
			out = append(out, e)
		}
	}
	return out
}

func TestBootcSysusersParse(t *testing.T) {
	user := func(name string) sysusersEntry { return sysusersEntry{Kind: sysusersUser, Name: name} }
	group := func(name string) sysusersEntry { return sysusersEntry{Kind: sysusersGroup, Name: name} }
	for _, tc := range []struct {
		upstream, data string
		want           []sysusersEntry
	}{
		{"test_sysusers_parse SYSUSERS_REF", sysusersRef, []sysusersEntry{
			user("root"), user("root"), user("bin"), user("daemon"), user("adm"), user("lp"), user("sync"), user("shutdown"),
			user("halt"), user("mail"), user("operator"), user("games"), user("ftp"), user("nobody"), user("systemd-coredump")}},
		// u qemu 107:qemu joins the group qemu, which must exist: no
		// group is created (bootc counts one; systemd-sysusers does not).
		{"test_sysusers_parse OTHER_SYSUSERS_REF", "u qemu 107:qemu \"qemu user\" - -\nu vboxadd -:1 - /var/run/vboxadd -\n", []sysusersEntry{
			{Kind: sysusersUser, Name: "qemu", Group: "qemu"}, user("vboxadd")}},
		{"test_sysusers_parse OTHER_SYSUSERS_EXAMPLES", "u user_name  /file/owned/by/user \"User Description\" /home/dir /path/to/shell\ng group_name /file/owned/by/group\n# Note no GECOS field\nu otheruser -\n# And finally, no numeric specification at all\nu justusername\ng justgroupname\n",
			[]sysusersEntry{user("user_name"), group("group_name"), user("otheruser"), user("justusername"), group("justgroupname")}},
		// bootc skips m lines; systemd-sysusers creates the user and the
		// group they name, and so they declare both here.
		{"test_sysusers_parse OTHER_SYSUSERS_UNHANDLED", "m     user_name  group_name\nr     -          42-43\n", []sysusersEntry{
			{Kind: sysusersMember, Name: "user_name", Group: "group_name"}, {Kind: sysusersRange, Name: "-"}}},
	} {
		t.Run(tc.upstream, func(t *testing.T) {
			if got := parseAll(t, tc.data); !slices.Equal(got, tc.want) {
				t.Errorf("parsed %+v\nwant %+v", got, tc.want)
			}
		})
	}

	// test_sysgroups_parse: 30 groups, root and bin first.
	groups := parseAll(t, sysgroupsRef)
	if len(groups) != 30 || groups[0] != group("root") || groups[1] != group("bin") {
		t.Errorf("groups: %+v", groups)
	}

	// What bootc's parser rejects, and systemd-sysusers too.
	for _, bad := range []string{"u", "u name notanumber", "g group notanumber", "r - 42", "r - a-b", "m user_name", "u name 1:"} {
		if _, _, err := parseSysusersLine(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

// test_missing: users and groups of /etc/passwd and /etc/group that
// sysusers.d does not declare.
func TestBootcSysusersMissing(t *testing.T) {
	setup := "f usr/lib/sysusers.d/setup.conf " + sysusersRef + sysgroupsRef
	passwdFile := "f etc/passwd root:x:0:0:Super User:/root:/bin/bash\npassim:x:982:982:Local Caching Server:/usr/share/empty:/usr/bin/nologin\navahi:x:70:70:Avahi mDNS/DNS-SD Stack:/var/run/avahi-daemon:/sbin/nologin\n"
	groupFile := "f etc/group root:x:0:\nadm:x:4:\nwheel:x:10:\nsudo:x:16:\nsystemd-journal:x:190:\nprintadmin:x:983:\nrpc:x:32:\npassim:x:982:\navahi:x:70:\nsshd:x:981:\n"
	for _, tc := range []struct {
		name          string
		root          []string
		users, groups []string
	}{
		{"test_missing: empty passwd and group", []string{setup, "f etc/passwd", "f etc/group"}, nil, nil},
		{"test_missing", []string{setup, passwdFile, groupFile}, []string{"avahi", "passim"},
			[]string{"avahi", "passim", "printadmin", "rpc", "sshd", "sudo", "systemd-journal"}},
		// oslayer: sysusers.d is read as systemd-sysusers reads it.
		{"oslayer: /etc/sysusers.d is read", []string{setup, passwdFile, groupFile, "f etc/sysusers.d/local.conf u avahi 70 \"Avahi\"\nu passim 982\n"}, nil,
			[]string{"printadmin", "rpc", "sshd", "sudo", "systemd-journal"}},
		{"oslayer: /etc/sysusers.d masks the /usr/lib file of the same name", []string{setup, passwdFile, groupFile, "f etc/sysusers.d/setup.conf u avahi 70\nu passim 982\n"},
			[]string{"root"}, []string{"adm", "printadmin", "root", "rpc", "sshd", "sudo", "systemd-journal", "wheel"}},
		{"oslayer: u NAME UID:GROUP creates no group NAME", []string{setup, passwdFile, groupFile, "f usr/lib/sysusers.d/x.conf u avahi 70:avahi\nu passim 982:982\n"}, nil,
			[]string{"avahi", "printadmin", "rpc", "sshd", "sudo", "systemd-journal"}},
		{"oslayer: m USER GROUP creates the user (and its group) and the group", []string{setup, passwdFile, groupFile, "f usr/lib/sysusers.d/x.conf m avahi printadmin\nm passim sshd\n"}, nil,
			[]string{"rpc", "sudo", "systemd-journal"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var users, groups []string
			for _, f := range findingsOf(lintRoot(t, mkroot(t, tc.root...), false), "sysusers") {
				name := strings.Fields(f.Message)[1]
				switch f.Path {
				case "/etc/passwd":
					users = append(users, name)
				case "/etc/group":
					groups = append(groups, name)
				default:
					t.Errorf("finding %+v", f)
				}
			}
			slices.Sort(users)
			slices.Sort(groups)
			if !slices.Equal(users, tc.users) || !slices.Equal(groups, tc.groups) {
				t.Errorf("missing users %v (want %v), groups %v (want %v)", users, tc.users, groups, tc.groups)
			}
		})
	}

	// bootc stops with an error on a line that does not parse: a fatal
	// finding naming the file and line here.
	res := lintRoot(t, mkroot(t, "f usr/lib/sysusers.d/bad.conf g ok 5\nu broken notanumber\n"), false)
	found := findingsOf(res, "sysusers")
	if len(found) != 1 || found[0].Level != Fatal || found[0].Path != "/usr/lib/sysusers.d/bad.conf" || !strings.Contains(found[0].Message, "line 2") || !res.Failed(false) {
		t.Errorf("a bad line: %+v", found)
	}
}

// nameservice passwd.rs and group.rs test_parse_lines: comments, blank
// lines and NIS compat lines (+, -) are skipped. (Their test_write_entry
// has no counterpart: oslayer never writes passwd or group; shadow.rs and
// gshadow.rs are not used by any lint.)
func TestBootcNameserviceParse(t *testing.T) {
	users := passwd.Parse(`
root:x:0:0:root:/root:/bin/bash

+userA
-userB

daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
systemd-coredump:x:1:1:systemd Core Dumper:/:/usr/sbin/nologin

+@groupA
-@groupB

# Dummy comment
someuser:x:1000:1000:Foo BAR,,,:/home/foobar:/bin/bash

+
`)
	if len(users) != 4 || users[3] != (passwd.Entry{Name: "someuser", ID: 1000}) {
		t.Errorf("passwd: %+v", users)
	}
	groups := passwd.Parse(`
+groupA
-groupB

root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
www-data:x:33:
backup:x:34:
operator:x:37:

# Dummy comment
staff:x:50:operator

+
`)
	if len(groups) != 9 || groups[8] != (passwd.Entry{Name: "staff", ID: 50}) {
		t.Errorf("group: %+v", groups)
	}
}
