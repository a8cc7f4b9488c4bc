package pkgdb

import (
	"bytes"
	"fmt"
	"strings"
)

// stanza is one paragraph of a dpkg control file such as var/lib/dpkg/status.
type stanza struct {
	// line is the line number of the stanza's first field.
	line int
	// fields by lowercase name; continuation lines are joined to the
	// value with "\n", their leading white space removed.
	fields map[string]string
}

// parseStanzas splits a control file into stanzas: "Name: value" fields,
// continuation lines starting with a space or tab, blank lines between
// stanzas. CRLF line ends are accepted. Errors give the line number.
func parseStanzas(data []byte) ([]stanza, error) {
	var (
		out  []stanza
		cur  *stanza
		last string // lowercase name of the field being continued
	)
	for n, line := range bytes.Split(data, []byte("\n")) {
		lineNo := n + 1
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(bytes.Trim(line, " \t")) == 0 {
			cur, last = nil, ""
			continue
		}
		switch line[0] {
		case ' ', '\t':
			if cur == nil {
				return nil, fmt.Errorf("line %d: continuation line outside a field", lineNo)
			}
			cur.fields[last] += "\n" + string(bytes.TrimLeft(line, " \t"))
			continue
		case '#':
			continue // comment
		}
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || len(name) == 0 || bytes.ContainsAny(name, " \t") {
			return nil, fmt.Errorf("line %d: want \"Field: value\", got %q", lineNo, truncate(line))
		}
		if cur == nil {
			out = append(out, stanza{line: lineNo, fields: map[string]string{}})
			cur = &out[len(out)-1]
		}
		last = strings.ToLower(string(name))
		if _, dup := cur.fields[last]; dup {
			return nil, fmt.Errorf("line %d: field %s repeated in the stanza starting at line %d", lineNo, name, cur.line)
		}
		cur.fields[last] = string(bytes.Trim(value, " \t"))
	}
	return out, nil
}

// truncate shortens a line quoted in an error.
func truncate(b []byte) []byte {
	if len(b) > 60 {
		return b[:60]
	}
	return b
}
