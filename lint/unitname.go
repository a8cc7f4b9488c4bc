package lint

import (
	"fmt"
	"strings"
)

// maxUnitName is the longest unit name systemd loads (UNIT_NAME_MAX less
// its terminating NUL).
const maxUnitName = 255

// escapeUnitPath escapes an absolute path into a unit name prefix, as
// systemd-escape --path does: "." components and repeated slashes are
// dropped, "/" alone is "-", the slashes between components become "-",
// and every byte that is not an ASCII letter or digit, ":", "_" or "." —
// and a "." that starts the name — becomes \xNN. A ".." component has no
// such name (systemd refuses it too).
func escapeUnitPath(p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		return "", fmt.Errorf("%q: not an absolute path", p)
	}
	var parts []string
	for _, c := range strings.Split(p, "/") {
		switch c {
		case "", ".":
		case "..":
			return "", fmt.Errorf("%q: a path with a .. component has no unit name", p)
		default:
			parts = append(parts, c)
		}
	}
	if len(parts) == 0 {
		return "-", nil
	}
	var b strings.Builder
	for i, c := range parts {
		if i > 0 {
			b.WriteByte('-')
		}
		for j := 0; j < len(c); j++ {
			ch := c[j]
			plain := ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' ||
				ch == ':' || ch == '_' || ch == '.' && (i > 0 || j > 0)
			if plain {
				b.WriteByte(ch)
			} else {
				fmt.Fprintf(&b, `\x%02x`, ch)
			}
		}
	}
	return b.String(), nil
}
