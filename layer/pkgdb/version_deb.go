package pkgdb

import "strings"

// debVersion is a parsed "[epoch:]upstream[-revision]".
type debVersion struct {
	epoch, upstream, revision string
}

// parseDebVersion splits a Debian version: the epoch is what precedes the
// first ':' when that is all digits (else there is none, "0"), the revision
// what follows the last '-' (none is "", which compares equal to "0").
func parseDebVersion(s string) debVersion {
	v := debVersion{epoch: "0"}
	if e, rest, ok := strings.Cut(s, ":"); ok && e != "" && span(e, 0, isDigit) == len(e) {
		v.epoch, s = e, rest
	}
	if i := strings.LastIndexByte(s, '-'); i >= 0 {
		v.upstream, v.revision = s[:i], s[i+1:]
	} else {
		v.upstream = s
	}
	return v
}

// compareDebVersion orders two Debian versions as dpkg does: epochs
// numerically, then upstream versions, then revisions with verrevcmp.
func compareDebVersion(a, b string) int {
	va, vb := parseDebVersion(a), parseDebVersion(b)
	if c := compareNumeric(va.epoch, vb.epoch); c != 0 {
		return c
	}
	if c := verrevcmp(va.upstream, vb.upstream); c != 0 {
		return c
	}
	return verrevcmp(va.revision, vb.revision)
}

// compareNumeric compares two strings of ASCII digits as numbers of any size.
func compareNumeric(a, b string) int {
	a, b = strings.TrimLeft(a, "0"), strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return strings.Compare(a, b)
}

// debOrder is the weight of a character in a non-digit run: '~' before the
// end of the string, the end before letters, letters before everything else.
func debOrder(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	switch c := s[i]; {
	case isDigit(c):
		return 0
	case isAlpha(c):
		return int(c)
	case c == '~':
		return -1
	default:
		return int(c) + 256
	}
}

// verrevcmp compares upstream versions or revisions as dpkg: alternating
// non-digit runs, compared character by character with debOrder, and digit
// runs, compared numerically.
func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			if oa, ob := debOrder(a, i), debOrder(b, j); oa != ob {
				return sign(oa - ob)
			}
			i, j = i+1, j+1
		}
		ei, ej := span(a, i, isDigit), span(b, j, isDigit)
		if c := compareNumeric(a[i:ei], b[j:ej]); c != 0 {
			return c
		}
		i, j = ei, ej
	}
	return 0
}
