package butane

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/oslayer/oslayer/internal/passwd"
	"github.com/oslayer/oslayer/layer"
)

// users declares the config's users and groups for systemd-sysusers
// (/usr/lib/sysusers.d), which creates them at boot on every deployment;
// homes and SSH keys become tmpfiles.d lines, since homes live under /var.
// Password hashes are left for first boot.
func (r *renderer) users(context.Context) error {
	var lines []string
	for _, g := range r.cfg.Ign.Passwd.Groups {
		if isFalse(g.ShouldExist) {
			continue
		}
		id := "-"
		if g.Gid != nil {
			id = strconv.Itoa(*g.Gid)
		}
		lines = append(lines, fmt.Sprintf("g %s %s", g.Name, id))
	}
	for _, u := range r.cfg.Ign.Passwd.Users {
		what := "passwd.users " + u.Name
		if isFalse(u.ShouldExist) {
			continue
		}
		existingID, exists := r.acct.existingUser(u.Name, r)
		if exists {
			// sysusers.d only creates users: what would change an existing
			// one must not be dropped without a word.
			var fields []string
			for _, f := range []struct {
				name string
				set  bool
			}{
				{"shell", u.Shell != nil}, {"gecos", u.Gecos != nil}, {"home_dir", u.HomeDir != nil},
				{"primary_group", u.PrimaryGroup != nil}, {"uid", u.UID != nil && *u.UID != existingID},
			} {
				if f.set {
					fields = append(fields, f.name)
				}
			}
			if len(fields) > 0 {
				return fmt.Errorf("%s: the user exists in the target, and systemd-sysusers only creates users: %s cannot be applied; change them in the Containerfile (usermod) or leave them out (groups and ssh_authorized_keys are applied)",
					what, strings.Join(fields, ", "))
			}
		}
		home := "/home/" + u.Name
		if u.Name == "root" {
			home = "/root"
		}
		if u.HomeDir != nil && *u.HomeDir != "" {
			home = *u.HomeDir
		}
		group := u.Name
		if u.PrimaryGroup != nil && *u.PrimaryGroup != "" {
			group = *u.PrimaryGroup
		}
		if !exists {
			id := "-"
			switch {
			case u.UID != nil && u.PrimaryGroup != nil:
				id = fmt.Sprintf("%d:%s", *u.UID, *u.PrimaryGroup)
			case u.UID != nil:
				id = strconv.Itoa(*u.UID)
			case u.PrimaryGroup != nil:
				return fmt.Errorf("%s: primary_group needs a uid: sysusers.d can only name a primary group as uid:group", what)
			case !isTrue(u.System):
				return fmt.Errorf("%s: no uid: systemd-sysusers only allocates system ids, so give the user a uid (such as 1000) or system: true", what)
			}
			shell := "/bin/bash"
			if u.Shell != nil && *u.Shell != "" {
				shell = *u.Shell
			}
			gecos := "-"
			if u.Gecos != nil && *u.Gecos != "" {
				gecos = strconv.Quote(*u.Gecos)
			}
			lines = append(lines, fmt.Sprintf("u %s %s %s %s %s", u.Name, id, gecos, home, shell))
		}
		for _, g := range u.Groups {
			lines = append(lines, fmt.Sprintf("m %s %s", u.Name, g))
		}
		if !isTrue(u.NoCreateHome) && !exists {
			r.tmpfile = append(r.tmpfile, fmt.Sprintf("d %s 0700 %s %s -", home, u.Name, group))
		}
		if len(u.SSHAuthorizedKeys) > 0 {
			var keys strings.Builder
			for _, k := range u.SSHAuthorizedKeys {
				keys.WriteString(strings.TrimSpace(string(k)) + "\n")
			}
			// f+~: (re)written at every boot from base64 (systemd 254 and later).
			r.tmpfile = append(r.tmpfile,
				fmt.Sprintf("d %s/.ssh 0700 %s %s -", home, u.Name, group),
				fmt.Sprintf("f+~ %s/.ssh/authorized_keys 0600 %s %s - %s", home, u.Name, group, base64.StdEncoding.EncodeToString([]byte(keys.String()))))
		}
	}
	if len(lines) == 0 {
		return nil
	}
	p := r.target.canonical(path.Join("/usr/lib/sysusers.d", r.name+".conf"))
	return r.add(Entry{Path: p, Type: layer.TypeRegular, Mode: 0o644, Data: []byte(generatedHeader + strings.Join(lines, "\n") + "\n"), Why: "passwd"})
}

// existingUser reports whether the target already has the user.
func (a accounts) existingUser(name string, r *renderer) (int, bool) {
	for _, f := range []string{"/etc/passwd", "/usr/lib/passwd"} {
		data, ok, _ := r.target.readFile(f)
		if !ok {
			continue
		}
		for _, acct := range passwd.Parse(string(data)) {
			if acct.Name == name {
				return acct.ID, true
			}
		}
	}
	return 0, false
}

const generatedHeader = "# Written by oslayer butane from a Butane config.\n"

// kargs writes kernel_arguments.should_exist as a bootc kargs.d file.
func (r *renderer) kargs(context.Context) error {
	args := r.cfg.Ign.KernelArguments.ShouldExist
	if len(args) == 0 {
		return nil
	}
	quoted := make([]string, len(args))
	for i, a := range args {
		q, err := json.Marshal(string(a)) // a JSON string is a TOML basic string
		if err != nil {
			return err
		}
		quoted[i] = string(q)
	}
	p := r.target.canonical(path.Join("/usr/lib/bootc/kargs.d", "50-"+r.name+".toml"))
	data := generatedHeader + "kargs = [" + strings.Join(quoted, ", ") + "]\n"
	return r.add(Entry{Path: p, Type: layer.TypeRegular, Mode: 0o644, Data: []byte(data), Why: "kernel_arguments"})
}

// moveVar keeps /var content reaching machines that upgrade: bootc installs
// an image's /var only once, so files move to /usr/share/factory/var and
// are copied back at boot when missing (C lines); directories and symlinks
// become d and L lines.
func (r *renderer) moveVar(context.Context) error {
	for _, p := range slices.Sorted(maps.Keys(r.entries)) {
		e := r.entries[p]
		if !under(p, "/var") || e.Remove {
			continue
		}
		delete(r.entries, p)
		switch {
		case e.Hardlink != "":
			return fmt.Errorf("%s: a hard link in /var cannot be recreated at boot", e.Why)
		case e.Type == layer.TypeDir:
			r.tmpfile = append(r.tmpfile, fmt.Sprintf("d %s %04o %s %s -", p, e.Mode, ownerName(e.User, e.UID), ownerName(e.Group, e.GID)))
		case e.Type == layer.TypeSymlink:
			r.tmpfile = append(r.tmpfile, fmt.Sprintf("L %s - - - - %s", p, e.Link))
		default:
			e.Path = "/usr/share/factory" + p
			if err := r.add(*e); err != nil {
				return err
			}
			r.tmpfile = append(r.tmpfile, fmt.Sprintf("C %s - - - - %s", p, e.Path))
			if e.User != "" || e.Group != "" {
				// The copy keeps the factory file's ids; names the image
				// cannot resolve are set at boot.
				r.tmpfile = append(r.tmpfile, fmt.Sprintf("z %s %04o %s %s -", p, e.Mode, ownerName(e.User, e.UID), ownerName(e.Group, e.GID)))
			}
		}
	}
	return nil
}

// writeTmpfiles writes the tmpfiles.d lines gathered, sorted.
func (r *renderer) writeTmpfiles() error {
	if len(r.tmpfile) == 0 {
		return nil
	}
	sortTmpfiles(r.tmpfile)
	p := r.target.canonical(path.Join("/usr/lib/tmpfiles.d", r.name+".conf"))
	return r.add(Entry{Path: p, Type: layer.TypeRegular, Mode: 0o644, Data: []byte(generatedHeader + strings.Join(r.tmpfile, "\n") + "\n"), Why: "tmpfiles.d"})
}

func isFalse(b *bool) bool { return b != nil && !*b }

// sortTmpfiles orders tmpfiles.d lines by path, parents first, so that a
// directory's line precedes what goes in it.
func sortTmpfiles(lines []string) {
	pathOf := func(l string) string {
		f := strings.Fields(l)
		if len(f) < 2 {
			return l
		}
		return f[1]
	}
	slices.SortStableFunc(lines, func(a, b string) int {
		return slices.Compare(strings.Split(pathOf(a), "/"), strings.Split(pathOf(b), "/"))
	})
}

// ownerName is a tmpfiles.d owner: the name when the config gave one,
// else the number.
func ownerName(name string, id uint32) string {
	if name != "" {
		return name
	}
	return strconv.FormatUint(uint64(id), 10)
}
