package lint

import (
	"bufio"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"
)

// tmpfilesDirs hold tmpfiles.d configuration; a file in /etc replaces the
// file of the same name in /usr/lib.
var tmpfilesDirs = []string{"etc/tmpfiles.d", "usr/lib/tmpfiles.d"}

// tmpfilesEntry is one line of tmpfiles.d.
type tmpfilesEntry struct {
	Type string // "d", "L+", "C", ...
	Path string // as declared
	File string // which file declared it
}

// readTmpfiles returns the tmpfiles.d entries of the root by the path each
// declares, with the symlinks in its parent directories resolved as they
// are in the root: "d /root/.ssh" declares /var/roothome/.ssh where /root
// links to var/roothome, as bootc matches them. The last component is
// never followed: it is what the line declares. A line whose parent does
// not resolve to a directory declares nothing that can exist. Lines using
// specifiers (%h) or globs are not literal paths and are left out.
func readTmpfiles(fsys fs.ReadLinkFS) map[string]tmpfilesEntry {
	out := map[string]tmpfilesEntry{}
	parents := map[string]string{} // declared parent → real one, "" when it does not resolve
	files := confFiles(fsys, tmpfilesDirs, ".conf")
	for _, p := range slices.Sorted(maps.Keys(files)) {
		for _, ent := range parseTmpfiles(files[p]) {
			dir, leaf := path.Split(ent.Path)
			dir = strings.Trim(dir, "/")
			real, ok := parents[dir]
			if !ok {
				if r, resolved := realDir(fsys, dir); resolved {
					real = "/" + r
				}
				parents[dir] = real
			}
			if real == "" || leaf == "" {
				continue
			}
			key := strings.TrimSuffix(real, "/") + "/" + leaf
			if _, ok := out[key]; !ok {
				ent.File = "/" + p
				out[key] = ent
			}
		}
	}
	return out
}

func parseTmpfiles(data string) []tmpfilesEntry {
	var out []tmpfilesEntry
	sc := bufio.NewScanner(strings.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		fields := splitQuoted(sc.Text())
		if len(fields) < 2 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		p := fields[1]
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "%*?[") {
			continue
		}
		p = path.Clean(p)
		out = append(out, tmpfilesEntry{Type: fields[0], Path: p})
	}
	return out
}

// splitQuoted splits a line into whitespace-separated fields, honouring
// double and single quotes and C escapes (\x20, \\) as systemd does.
func splitQuoted(line string) []string {
	var out []string
	var cur strings.Builder
	inField := false
	var quote byte // the quote character of an open quote
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote == 0 && (c == '"' || c == '\''):
			quote, inField = c, true
		case quote != 0 && c == quote:
			quote = 0
		case c == '\\' && i+1 < len(line):
			i++
			switch line[i] {
			case 'x':
				if i+2 < len(line) {
					if v, err := strconv.ParseUint(line[i+1:i+3], 16, 8); err == nil {
						cur.WriteByte(byte(v))
						i += 2
						break
					}
				}
				cur.WriteByte('x')
			case 'n':
				cur.WriteByte('\n')
			case 't':
				cur.WriteByte('\t')
			case 'r':
				cur.WriteByte('\r')
			default:
				cur.WriteByte(line[i])
			}
			inField = true
		case (c == ' ' || c == '\t') && quote == 0:
			if inField {
				out = append(out, cur.String())
				cur.Reset()
				inField = false
			}
		default:
			cur.WriteByte(c)
			inField = true
		}
	}
	if inField {
		out = append(out, cur.String())
	}
	return out
}
