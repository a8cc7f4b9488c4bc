package diff

import (
	"cmp"
	"fmt"
	"regexp"
	"strings"

	"github.com/oslayer/oslayer/internal/enum"
	"github.com/oslayer/oslayer/layer/pkgdb"
)

// Version is a release version (the org.opencontainers.image.version
// label) that oslayer can order: a SemVer 2.0.0 version, or an rpm-style
// one. A leading "v" before a digit is allowed and ignored.
type Version struct {
	// Text is the version as labelled.
	Text string
	// bare is Text without its leading "v".
	bare string
	// semver is the parsed SemVer version; nil when Text is not one.
	semver *semver
}

// semver is a parsed SemVer 2.0.0 version; build metadata does not count.
type semver struct {
	core [3]string // numbers without leading zeros
	pre  []string  // pre-release identifiers
}

// semverRE is semver.org's regular expression for SemVer 2.0.0.
var semverRE = regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)` +
	`(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?` +
	`(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)

// rpmVersionRE is what rpm-style comparison can order: [EPOCH:]VERSION[-RELEASE]
// starting with a digit, made of letters, digits and . _ + ~ ^ -.
var rpmVersionRE = regexp.MustCompile(`^(?:[0-9]+:)?[0-9][0-9A-Za-z._+~^-]*$`)

// ParseVersion reads a release version.
func ParseVersion(s string) (Version, error) {
	bare := s
	if rest, ok := strings.CutPrefix(s, "v"); ok && rest != "" && rest[0] >= '0' && rest[0] <= '9' {
		bare = rest
	}
	v := Version{Text: s, bare: bare}
	if m := semverRE.FindStringSubmatch(bare); m != nil {
		v.semver = &semver{core: [3]string{m[1], m[2], m[3]}}
		if m[4] != "" {
			v.semver.pre = strings.Split(m[4], ".")
		}
		return v, nil
	}
	if !rpmVersionRE.MatchString(bare) {
		return Version{}, fmt.Errorf("version %q is neither SemVer (1.2.3, 1.2.3-rc.1) nor rpm-style ([EPOCH:]VERSION[-RELEASE] starting with a digit, of letters, digits and . _ + ~ ^)", s)
	}
	return v, nil
}

// IsSemver reports whether the version is a SemVer 2.0.0 version.
func (v Version) IsSemver() bool { return v.semver != nil }

// VersionScheme is how a set of releases is ordered.
type VersionScheme uint8

const (
	// SchemeSemver orders by SemVer 2.0.0 precedence: every version is one.
	SchemeSemver VersionScheme = iota
	// SchemeRPM orders as rpm orders [EPOCH:]VERSION[-RELEASE].
	SchemeRPM
)

var schemeNames = enum.Names[VersionScheme]{SchemeSemver: "semver", SchemeRPM: "rpm"}

func (s VersionScheme) String() string { return schemeNames.Name(s, "scheme") }

// SchemeOf is the scheme that orders all of vs: SemVer when every one is
// a SemVer version, else rpm's. One scheme for the whole set keeps the
// order transitive: SemVer puts 1.0.0-alpha before 1.0.0, rpm after it,
// so comparing each pair by its own rules could go round in a circle.
func SchemeOf(vs []Version) VersionScheme {
	for _, v := range vs {
		if !v.IsSemver() {
			return SchemeRPM
		}
	}
	return SchemeSemver
}

// Compare orders a and b by the scheme: -1, 0 (same precedence) or 1.
func (s VersionScheme) Compare(a, b Version) int {
	if s == SchemeSemver && a.IsSemver() && b.IsSemver() {
		return compareSemver(a.semver, b.semver)
	}
	return pkgdb.CompareVersions(pkgdb.KindRPM, a.bare, b.bare)
}

// compareSemver orders by SemVer precedence (semver.org, item 11).
func compareSemver(a, b *semver) int {
	for i := range a.core {
		if c := compareNumeric(a.core[i], b.core[i]); c != 0 {
			return c
		}
	}
	switch {
	case len(a.pre) == 0 && len(b.pre) == 0:
		return 0
	case len(a.pre) == 0:
		return 1 // a release follows its pre-releases
	case len(b.pre) == 0:
		return -1
	}
	for i := 0; i < len(a.pre) && i < len(b.pre); i++ {
		x, y := a.pre[i], b.pre[i]
		xn, yn := isNumeric(x), isNumeric(y)
		var c int
		switch {
		case xn && yn:
			c = compareNumeric(x, y)
		case xn:
			c = -1 // numeric identifiers come first
		case yn:
			c = 1
		default:
			c = strings.Compare(x, y)
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a.pre), len(b.pre))
}

// compareNumeric orders decimal strings without leading zeros, of any length.
func compareNumeric(a, b string) int {
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

func isNumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
