package lint

import (
	"fmt"
	"strings"
)

// The tmpfiles.d lines finalize writes must read the same to
// systemd-tmpfiles 252 (CentOS Stream 9, RHEL 9, Debian 12), which unquotes
// the path field but decodes no C escapes in it (\x20 is "x20" there), and
// to later versions, which do both. A quoted path with \\ and \" is read
// the same by both; the argument field (a C line's source, an L line's
// target) is C-unescaped by both. Both expand specifiers: % is %%.

// tmpfilesPath writes p as the path field of a tmpfiles.d line: quoted
// when it holds a blank or a quote, with backslashes and double quotes
// escaped. Control characters have no such form; callers refuse them.
func tmpfilesPath(p string) string {
	p = strings.ReplaceAll(p, "%", "%%")
	if !strings.ContainsAny(p, " \t\\\"'") {
		return p
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(p) + `"`
}

// tmpfilesArg writes s as the argument field: blanks, control characters
// and backslashes C-escaped.
func tmpfilesArg(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c <= ' ' || c == 0x7f || c == '\\':
			fmt.Fprintf(&b, `\x%02x`, c)
		case c == '%':
			b.WriteString("%%")
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// tmpfilesDirLine is the d line of a directory, owned by user and group
// (names, or numbers where the root names none).
func tmpfilesDirLine(p string, mode uint32, user, group string) string {
	return fmt.Sprintf("d %s %04o %s %s - -", tmpfilesPath(p), mode&0o7777, user, group)
}

// tmpfilesCopyLine is the C line that copies src to p when p is missing
// or empty.
func tmpfilesCopyLine(p, src string) string {
	return "C " + tmpfilesPath(p) + " - - - - " + tmpfilesArg(src)
}

// tmpfilesLinkLine is the L line that creates the symlink p to target. A
// target below /var/run is written below /run, as bootc does: /var/run is
// itself a link there.
func tmpfilesLinkLine(p, target string) string {
	if target == "/var/run" || strings.HasPrefix(target, "/var/run/") {
		target = strings.TrimPrefix(target, "/var")
	}
	return "L " + tmpfilesPath(p) + " - - - - " + tmpfilesArg(target)
}

// isControl reports an ASCII control character, which no tmpfiles.d or
// unit file line can hold.
func isControl(c rune) bool { return c < 0x20 || c == 0x7f }
