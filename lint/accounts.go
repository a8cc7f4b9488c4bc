package lint

import (
	"bufio"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/oslayer/oslayer/internal/passwd"
)

// readAccounts parses a passwd or group file of the tree.
func readAccounts(fsys fs.FS, p string) []passwd.Entry {
	data, err := fs.ReadFile(fsys, p)
	if err != nil {
		return nil
	}
	return passwd.Parse(string(data))
}

// nameOf maps ids to names for tmpfiles.d suggestions.
func nameOf(accts []passwd.Entry, id int) string {
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
	for _, data := range confFiles(fsys, sysusersDirs, ".conf") {
		sc := bufio.NewScanner(strings.NewReader(data))
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
	return out
}

// confFiles returns the contents of the files ending in ext in dirs, where
// a file in an earlier directory replaces one of the same name in a later
// one (/etc over /usr/lib, as systemd does), keyed by their paths.
func confFiles(fsys fs.FS, dirs []string, ext string) map[string]string {
	out := map[string]string{}
	seen := map[string]bool{}
	for _, dir := range dirs {
		ents, err := fs.ReadDir(fsys, dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if !strings.HasSuffix(e.Name(), ext) || seen[e.Name()] {
				continue
			}
			seen[e.Name()] = true
			p := path.Join(dir, e.Name())
			if data, err := fs.ReadFile(fsys, p); err == nil {
				out[p] = string(data)
			}
		}
	}
	return out
}
