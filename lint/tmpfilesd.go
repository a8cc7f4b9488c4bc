package lint

import (
	"bufio"
	"fmt"
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
	Path string
	File string // which file declared it
}

// readTmpfiles returns the tmpfiles.d entries of the tree by path. Lines
// using specifiers (%h) or globs are not literal paths and are left out.
func readTmpfiles(fsys fs.FS) map[string]tmpfilesEntry {
	out := map[string]tmpfilesEntry{}
	files := confFiles(fsys, tmpfilesDirs, ".conf")
	for _, p := range slices.Sorted(maps.Keys(files)) {
		for _, ent := range parseTmpfiles(files[p]) {
			if _, ok := out[ent.Path]; !ok {
				ent.File = "/" + p
				out[ent.Path] = ent
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
// double quotes and C escapes (\x20, \\) as systemd does.
func splitQuoted(line string) []string {
	var out []string
	var cur strings.Builder
	inField, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '"':
			quoted, inField = !quoted, true
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
			default:
				cur.WriteByte(line[i])
			}
			inField = true
		case (c == ' ' || c == '\t') && !quoted:
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

// tmpfilesLine suggests the tmpfiles.d line that declares a directory or
// symlink, as bootc does.
func tmpfilesLine(p string, isDir bool, mode uint32, user, group, target string) string {
	if isDir {
		return fmt.Sprintf("d %s %04o %s %s - -", escapeTmpfiles(p), mode&0o7777, user, group)
	}
	return "L " + escapeTmpfiles(p) + " - - - - " + escapeTmpfiles(target)
}

func escapeTmpfiles(p string) string {
	if !strings.ContainsAny(p, " \t\\\"\n") {
		return p
	}
	var b strings.Builder
	for _, c := range []byte(p) {
		if slices.Contains([]byte(" \t\\\"\n"), c) {
			b.WriteString(`\x` + strconv.FormatUint(uint64(c)|0x100, 16)[1:])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}
