package lint

import (
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

// accountFiles are where a root's users ("passwd") and groups ("group")
// are found: /etc first, then /usr/lib, which nss-altfiles reads (Fedora
// CoreOS and RHEL CoreOS keep their system users there).
var accountFiles = []string{"etc/", "usr/lib/"}

// idNames maps the ids of a root's users (kind "passwd") or groups
// ("group") to their names, for tmpfiles.d lines.
type idNames map[int]string

func readIDNames(fsys fs.FS, kind string) idNames {
	out := idNames{}
	for _, dir := range accountFiles {
		for _, a := range readAccounts(fsys, dir+kind) {
			if _, ok := out[a.ID]; !ok {
				out[a.ID] = a.Name
			}
		}
	}
	return out
}

// name returns the name of id, or the number itself when the root names
// none (tmpfiles.d accepts both).
func (n idNames) name(id uint32) string {
	if name, ok := n[int(id)]; ok {
		return name
	}
	return strconv.FormatUint(uint64(id), 10)
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
