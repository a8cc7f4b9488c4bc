// Package passwd reads /etc/passwd and /etc/group style files.
package passwd

import (
	"strconv"
	"strings"
)

// Entry is a name and its numeric id.
type Entry struct {
	Name string
	ID   int
}

// Parse reads "name:x:id:..." lines, skipping comments, NIS markers and
// malformed lines.
func Parse(data string) []Entry {
	var out []Entry
	for _, line := range strings.Split(data, "\n") {
		f := strings.Split(line, ":")
		if len(f) < 3 || f[0] == "" || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], "+") || strings.HasPrefix(f[0], "-") {
			continue
		}
		if id, err := strconv.Atoi(f[2]); err == nil {
			out = append(out, Entry{Name: f[0], ID: id})
		}
	}
	return out
}
