package lint

import (
	"bufio"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// sysusersDirs hold sysusers.d configuration; a file in /etc replaces the
// file of the same name in /usr/lib, as systemd-sysusers reads them.
var sysusersDirs = []string{"etc/sysusers.d", "usr/lib/sysusers.d"}

// sysusersKind is the type of a sysusers.d line.
type sysusersKind byte

// The line types lint reads; others are skipped, as systemd-sysusers'
// newer types are by older versions.
const (
	sysusersUser   sysusersKind = 'u' // u and u!
	sysusersGroup  sysusersKind = 'g'
	sysusersMember sysusersKind = 'm'
	sysusersRange  sysusersKind = 'r'
)

// sysusersEntry is one parsed sysusers.d line, as far as lint needs it:
// which users and groups it makes systemd-sysusers create.
type sysusersEntry struct {
	Kind sysusersKind
	// Name is the user (u, m) or group (g) named.
	Name string
	// Group is, for u, the group named in a "UID:GROUP" id (the user
	// joins it, it must exist: no group is created); for m, the group the
	// user is added to.
	Group string
}

// declares returns the users and groups systemd-sysusers creates for the
// entry when they do not exist: u creates the user and, unless its id
// names a group, the group of the same name; g the group; m the group and,
// implicitly, the user as a u line would.
func (e sysusersEntry) declares() (users, groups []string) {
	switch e.Kind {
	case sysusersUser:
		if e.Group != "" {
			return []string{e.Name}, nil
		}
		return []string{e.Name}, []string{e.Name}
	case sysusersGroup:
		return nil, []string{e.Name}
	case sysusersMember:
		return []string{e.Name}, []string{e.Name, e.Group}
	}
	return nil, nil
}

// parseSysusersLine parses one line of sysusers.d ("TYPE NAME ID GECOS
// HOME SHELL"). It returns ok false for comments, blank lines and types
// lint does not read, and an error for a line systemd-sysusers rejects: no
// name, an id that is not a number, "-" or an absolute path (u: "UID:GID",
// "UID:GROUP", "-:GID"), a range that is not "FROM-TO".
func parseSysusersLine(line string) (sysusersEntry, bool, error) {
	f := splitQuoted(line)
	if len(f) == 0 || strings.HasPrefix(f[0], "#") {
		return sysusersEntry{}, false, nil
	}
	field := func(i int) string {
		if i < len(f) {
			return f[i]
		}
		return "-"
	}
	var e sysusersEntry
	switch f[0] {
	case "u", "u!":
		e.Kind = sysusersUser
	case "g":
		e.Kind = sysusersGroup
	case "m":
		e.Kind = sysusersMember
	case "r":
		e.Kind = sysusersRange
	default:
		return sysusersEntry{}, false, nil
	}
	if len(f) < 2 || (f[1] == "-" && e.Kind != sysusersRange) {
		return e, true, fmt.Errorf("no name")
	}
	e.Name = f[1]
	switch e.Kind {
	case sysusersUser:
		uid, gid, named := strings.Cut(field(2), ":")
		if !sysusersID(uid, true) {
			return e, true, fmt.Errorf("user %s: id %q is not a number, - or a path", e.Name, field(2))
		}
		switch {
		case !named:
		case gid == "" || gid == "-":
			return e, true, fmt.Errorf("user %s: no group after the colon in %q", e.Name, field(2))
		case !sysusersID(gid, false):
			e.Group = gid
		}
	case sysusersGroup:
		if !sysusersID(field(2), true) {
			return e, true, fmt.Errorf("group %s: id %q is not a number, - or a path", e.Name, field(2))
		}
	case sysusersMember:
		if field(2) == "-" {
			return e, true, fmt.Errorf("member %s: no group", e.Name)
		}
		e.Group = f[2]
	case sysusersRange:
		from, to, ok := strings.Cut(field(2), "-")
		if !ok || !sysusersID(from, false) || !sysusersID(to, false) {
			return e, true, fmt.Errorf("range %q is not FROM-TO", field(2))
		}
	}
	return e, true, nil
}

// sysusersID reports whether s is a numeric id, an absolute path (the id
// of that file's owner) or, when dash is set, "-" (allocate one).
func sysusersID(s string, dash bool) bool {
	if dash && s == "-" || strings.HasPrefix(s, "/") {
		return true
	}
	_, err := strconv.ParseUint(s, 10, 32)
	return err == nil
}

// sysusers is what a root's sysusers.d declares.
type sysusers struct {
	Users, Groups map[string]bool
	// Problems are the lines that do not parse.
	Problems []sysusersProblem
}

// sysusersProblem is a sysusers.d line that does not parse.
type sysusersProblem struct {
	File string // absolute path
	Line int
	Err  error
}

// readSysusers reads every sysusers.d file of the root.
func readSysusers(fsys fs.FS) sysusers {
	out := sysusers{Users: map[string]bool{}, Groups: map[string]bool{}}
	files := confFiles(fsys, sysusersDirs, ".conf")
	for _, p := range slices.Sorted(maps.Keys(files)) {
		sc := bufio.NewScanner(strings.NewReader(files[p]))
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for n := 1; sc.Scan(); n++ {
			e, ok, err := parseSysusersLine(sc.Text())
			if err != nil {
				out.Problems = append(out.Problems, sysusersProblem{File: "/" + p, Line: n, Err: err})
				continue
			}
			if !ok {
				continue
			}
			users, groups := e.declares()
			for _, u := range users {
				out.Users[u] = true
			}
			for _, g := range groups {
				out.Groups[g] = true
			}
		}
	}
	return out
}
