package lint

import (
	"bufio"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// account is a passwd or group entry.
type account struct {
	Name string
	ID   int
}

// readAccounts parses a passwd or group file of the tree (name:x:id:...).
func readAccounts(fsys fs.FS, p string) []account {
	data, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil
	}
	var out []account
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 3 || fields[0] == "" || strings.HasPrefix(fields[0], "#") || strings.HasPrefix(fields[0], "+") || strings.HasPrefix(fields[0], "-") {
			continue
		}
		id, err := strconv.Atoi(fields[2])
		if err != nil {
			continue
		}
		out = append(out, account{Name: fields[0], ID: id})
	}
	return out
}

// nameOf maps ids to names for tmpfiles.d suggestions.
func nameOf(accts []account, id int) string {
	for _, a := range accts {
		if a.ID == id {
			return a.Name
		}
	}
	return strconv.Itoa(id)
}

// sysusersDirs hold sysusers.d configuration.
var sysusersDirs = []string{"etc/sysusers.d", "usr/lib/sysusers.d"}

// sysusers is what sysusers.d declares.
type sysusers struct {
	Users, Groups map[string]bool
}

// readSysusers reads every sysusers.d file of the tree. "u" and "u!" lines
// declare a user and, unless they name another group, the group of the
// same name; "g" lines declare groups.
func readSysusers(fsys fs.FS) sysusers {
	out := sysusers{Users: map[string]bool{}, Groups: map[string]bool{}}
	seen := map[string]bool{}
	for _, dir := range sysusersDirs {
		ents, err := fs.ReadDir(fsys, dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if !strings.HasSuffix(e.Name(), ".conf") || seen[e.Name()] {
				continue
			}
			seen[e.Name()] = true
			data, err := fs.ReadFile(fsys, path.Join(dir, e.Name()))
			if err != nil {
				continue
			}
			sc := bufio.NewScanner(strings.NewReader(string(data)))
			for sc.Scan() {
				f := splitQuoted(sc.Text())
				if len(f) < 2 || strings.HasPrefix(f[0], "#") {
					continue
				}
				switch f[0] {
				case "u", "u!":
					out.Users[f[1]] = true
					group := f[1]
					if len(f) > 2 {
						if _, g, ok := strings.Cut(f[2], ":"); ok {
							group = g
						}
					}
					if _, err := strconv.Atoi(group); err != nil {
						out.Groups[group] = true
					}
				case "g":
					out.Groups[f[1]] = true
				}
			}
		}
	}
	return out
}
