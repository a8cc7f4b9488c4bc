package diff

import (
	"math/rand"
	"slices"
	"strings"
	"testing"
)

// sortVersions orders the texts by the scheme of them all.
func sortVersions(t *testing.T, texts []string) ([]string, VersionScheme) {
	t.Helper()
	vs := make([]Version, len(texts))
	for i, s := range texts {
		v, err := ParseVersion(s)
		if err != nil {
			t.Fatal(err)
		}
		vs[i] = v
	}
	scheme := SchemeOf(vs)
	slices.SortStableFunc(vs, func(a, b Version) int { return scheme.Compare(a, b) })
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Text
	}
	return out, scheme
}

func TestVersionOrder(t *testing.T) {
	for _, tc := range []struct {
		name   string
		sorted []string
		scheme VersionScheme
	}{
		// semver.org, item 11.
		{"semver precedence", []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
			"1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.0.1", "1.9.0", "1.10.0", "2.0.0", "10.0.0"}, SchemeSemver},
		{"semver with v and huge numbers", []string{"v1.2.3", "1.2.4", "v99999999999999999999.0.0", "100000000000000000000.0.0"}, SchemeSemver},
		// Fedora CoreOS's versions: Fedora major, date, stream, respin.
		{"fcos", []string{"41.20250302.3.0", "41.20250315.3.0", "41.20250315.3.1", "42.20250410.3.0", "42.20250410.3.10"}, SchemeRPM},
		{"rpm epoch, release, tilde, caret", []string{"1.0~rc1", "1.0", "1.0-1", "1.0-2", "1.0^git1", "1.1", "2:0.1"}, SchemeRPM},
		// One version that is not SemVer puts the whole set under rpm's
		// rules, where 1.0.0-rc.1 is release rc.1 of 1.0.0: after 1.0.0.
		{"mixed", []string{"1.0", "1.0.0", "1.0.0-rc.1", "1.0.1"}, SchemeRPM},
	} {
		t.Run(tc.name, func(t *testing.T) {
			shuffled := slices.Clone(tc.sorted)
			rand.New(rand.NewSource(1)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			got, scheme := sortVersions(t, shuffled)
			if !slices.Equal(got, tc.sorted) || scheme != tc.scheme {
				t.Errorf("sorted by %s: %v\nwant by %s: %v", scheme, got, tc.scheme, tc.sorted)
			}
		})
	}
}

func TestVersionSamePrecedence(t *testing.T) {
	for _, pair := range [][2]string{{"1.0.0+build.1", "1.0.0+build.2"}, {"v1.2.3", "1.2.3"}} {
		a, _ := ParseVersion(pair[0])
		b, _ := ParseVersion(pair[1])
		if c := SchemeOf([]Version{a, b}).Compare(a, b); c != 0 {
			t.Errorf("%s vs %s: %d, want the same precedence", pair[0], pair[1], c)
		}
	}
	a, _ := ParseVersion("1.0")
	b, _ := ParseVersion("1.00")
	if c := SchemeRPM.Compare(a, b); c != 0 {
		t.Errorf("rpm 1.0 vs 1.00: %d", c)
	}
}

func TestParseVersionRefuses(t *testing.T) {
	for _, s := range []string{"", "latest", "stable", "v", "vnext", "1.0 beta", "-1", ".1", "1.0/2", "ä1"} {
		if v, err := ParseVersion(s); err == nil {
			t.Errorf("%q parsed: %+v", s, v)
		} else if !strings.Contains(err.Error(), "neither SemVer") {
			t.Errorf("%q: %v", s, err)
		}
	}
	for _, s := range []string{"1", "1.2", "01.2.3", "1.2.3.4", "42.20250410.3.0", "1:2.0-3.fc42", "2024.05", "v2"} {
		v, err := ParseVersion(s)
		if err != nil {
			t.Errorf("%q: %v", s, err)
		} else if v.IsSemver() {
			t.Errorf("%q taken for SemVer", s)
		}
	}
}
