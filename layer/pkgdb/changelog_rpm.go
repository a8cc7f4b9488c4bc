package pkgdb

import (
	"fmt"
	"strings"
	"time"
)

// rpmChangelog decodes a header's changelog: the parallel arrays
// CHANGELOGTIME (times, read already), CHANGELOGNAME and CHANGELOGTEXT,
// newest first. A header without them has no changelog (nil); arrays of
// different lengths are an error.
func rpmChangelog(h *header, times []uint32) ([]ChangelogEntry, error) {
	names, err := optional(h.StringArray(tagChangelogName))
	if err != nil {
		return nil, fmt.Errorf("CHANGELOGNAME: %w", err)
	}
	texts, err := optional(h.StringArray(tagChangelogText))
	if err != nil {
		return nil, fmt.Errorf("CHANGELOGTEXT: %w", err)
	}
	if len(names) != len(times) || len(texts) != len(times) {
		return nil, fmt.Errorf("changelog of %d CHANGELOGTIME, %d CHANGELOGNAME and %d CHANGELOGTEXT values", len(times), len(names), len(texts))
	}
	if len(times) == 0 {
		return nil, nil
	}
	out := make([]ChangelogEntry, len(times))
	for i, t := range times {
		author, version := splitChangelogName(names[i])
		out[i] = ChangelogEntry{Version: version, Time: time.Unix(int64(t), 0).UTC(), Author: author, Text: texts[i]}
	}
	return out, nil
}

// splitChangelogName splits a CHANGELOGNAME, "Name <email> - version" by
// convention (rpmdev-bumpspec and rpmautospec write it so), into the
// author and the version. The version is the first word after the email
// (or after the last " - " when there is no email), without a leading
// "-", when it starts with a digit; otherwise the entry names none.
func splitChangelogName(s string) (author, version string) {
	s = strings.TrimSpace(s)
	cut := strings.LastIndexByte(s, '>') + 1
	if cut == 0 {
		if i := strings.LastIndex(s, " - "); i >= 0 {
			cut = i
		}
	}
	if cut == 0 {
		return s, ""
	}
	words := strings.Fields(strings.TrimPrefix(strings.TrimSpace(s[cut:]), "-"))
	if len(words) == 0 || !isDigit(words[0][0]) {
		return s, ""
	}
	return strings.TrimSpace(s[:cut]), words[0]
}
