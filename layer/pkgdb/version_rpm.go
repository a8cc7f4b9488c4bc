package pkgdb

import "strings"

// rpmEVR is a parsed "[epoch:]version[-release]"; a missing part has ok false.
type rpmEVR struct {
	epoch, version, release string
	hasEpoch, hasRelease    bool
}

// parseRPMEVR splits an EVR as rpm does: the epoch is a (possibly empty)
// run of leading digits ended by ':', the release what follows the last
// '-' after the epoch.
func parseRPMEVR(s string) rpmEVR {
	var v rpmEVR
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	if i < len(s) && s[i] == ':' {
		v.epoch, v.hasEpoch, s = s[:i], true, s[i+1:]
		if v.epoch == "" {
			v.epoch = "0"
		}
		i = 0
	}
	if j := strings.LastIndexByte(s[i:], '-'); j >= 0 {
		v.release, v.hasRelease, s = s[i+j+1:], true, s[:i+j]
	}
	v.version = s
	return v
}

// compareRPMEVR orders two EVRs like rpm's rpmverCmp: epochs (missing is
// "0"), then versions, then releases, where a missing release sorts before
// any present one.
func compareRPMEVR(a, b string) int {
	va, vb := parseRPMEVR(a), parseRPMEVR(b)
	ea, eb := va.epoch, vb.epoch
	if !va.hasEpoch {
		ea = "0"
	}
	if !vb.hasEpoch {
		eb = "0"
	}
	if c := rpmvercmp(ea, eb); c != 0 {
		return c
	}
	if c := rpmvercmp(va.version, vb.version); c != 0 {
		return c
	}
	switch {
	case va.hasRelease && vb.hasRelease:
		return rpmvercmp(va.release, vb.release)
	case va.hasRelease:
		return 1
	case vb.hasRelease:
		return -1
	}
	return 0
}

// rpmvercmp compares two version (or release) strings as rpm's rpmvercmp:
// both are split into runs of ASCII digits or letters, other characters
// separating them. '~' sorts before anything, even the end of the string;
// '^' sorts after the end of the string but before anything else. Numeric
// runs compare as numbers and beat alphabetic ones; alphabetic runs compare
// bytewise. When all runs agree, the string with runs left wins.
func rpmvercmp(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isAlnum(a[i]) && a[i] != '~' && a[i] != '^' {
			i++
		}
		for j < len(b) && !isAlnum(b[j]) && b[j] != '~' && b[j] != '^' {
			j++
		}
		ca, cb := at(a, i), at(b, j)
		if ca == '~' || cb == '~' {
			if ca != '~' {
				return 1
			}
			if cb != '~' {
				return -1
			}
			i, j = i+1, j+1
			continue
		}
		if ca == '^' || cb == '^' {
			switch {
			case i == len(a):
				return -1
			case j == len(b):
				return 1
			case ca != '^':
				return 1
			case cb != '^':
				return -1
			}
			i, j = i+1, j+1
			continue
		}
		if i == len(a) || j == len(b) {
			break
		}
		class := isAlpha
		if isDigit(a[i]) {
			class = isDigit
		}
		ei, ej := span(a, i, class), span(b, j, class)
		if ej == j {
			// b's run is of the other class: numbers beat letters.
			if isDigit(a[i]) {
				return 1
			}
			return -1
		}
		ra, rb := a[i:ei], b[j:ej]
		if isDigit(a[i]) {
			ra, rb = strings.TrimLeft(ra, "0"), strings.TrimLeft(rb, "0")
			if len(ra) != len(rb) {
				return sign(len(ra) - len(rb))
			}
		}
		if c := strings.Compare(ra, rb); c != 0 {
			return c
		}
		i, j = ei, ej
	}
	switch {
	case i == len(a) && j == len(b):
		return 0
	case i == len(a):
		return -1
	}
	return 1
}

// at returns s[i], or 0 past the end.
func at(s string, i int) byte {
	if i < len(s) {
		return s[i]
	}
	return 0
}

// span returns the end of the run of class characters starting at i.
func span(s string, i int, class func(byte) bool) int {
	for i < len(s) && class(s[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
