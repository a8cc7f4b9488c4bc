package pkgdb_test

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer/pkgdb"
)

func TestCompareVersionsRPM(t *testing.T) {
	// Cases from rpm's tests/rpmvercmp.at, plus caret and EVR cases.
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0}, {"1.0", "2.0", -1}, {"2.0", "1.0", 1},
		{"2.0.1", "2.0.1", 0}, {"2.0", "2.0.1", -1}, {"2.0.1", "2.0", 1},
		{"2.0.1a", "2.0.1a", 0}, {"2.0.1a", "2.0.1", 1}, {"2.0.1", "2.0.1a", -1},
		{"5.5p1", "5.5p1", 0}, {"5.5p1", "5.5p2", -1}, {"5.5p2", "5.5p1", 1},
		{"5.5p10", "5.5p10", 0}, {"5.5p1", "5.5p10", -1}, {"5.5p10", "5.5p1", 1},
		{"10xyz", "10.1xyz", -1}, {"10.1xyz", "10xyz", 1},
		{"xyz10", "xyz10", 0}, {"xyz10", "xyz10.1", -1}, {"xyz10.1", "xyz10", 1},
		{"xyz.4", "xyz.4", 0}, {"xyz.4", "8", -1}, {"8", "xyz.4", 1}, {"xyz.4", "2", -1}, {"2", "xyz.4", 1},
		{"5.5p2", "5.6p1", -1}, {"5.6p1", "5.5p2", 1},
		{"5.6p1", "6.5p1", -1}, {"6.5p1", "5.6p1", 1},
		{"6.0.rc1", "6.0", 1}, {"6.0", "6.0.rc1", -1},
		{"10b2", "10a1", 1}, {"10a2", "10b2", -1},
		{"1.0aa", "1.0aa", 0}, {"1.0a", "1.0aa", -1}, {"1.0aa", "1.0a", 1},
		{"10.0001", "10.0001", 0}, {"10.0001", "10.1", 0}, {"10.1", "10.0001", 0},
		{"10.0001", "10.0039", -1}, {"10.0039", "10.0001", 1},
		{"4.999.9", "5.0", -1}, {"5.0", "4.999.9", 1},
		{"20101121", "20101121", 0}, {"20101121", "20101122", -1}, {"20101122", "20101121", 1},
		{"2_0", "2_0", 0}, {"2.0", "2_0", 0}, {"2_0", "2.0", 0},
		{"a", "a", 0}, {"a+", "a+", 0}, {"a+", "a_", 0}, {"a_", "a+", 0},
		{"+a", "+a", 0}, {"+a", "_a", 0}, {"_a", "+a", 0},
		{"+_", "+_", 0}, {"_+", "+_", 0}, {"_+", "_+", 0}, {"+", "_", 0}, {"_", "+", 0},
		{"1.0~rc1", "1.0~rc1", 0}, {"1.0~rc1", "1.0", -1}, {"1.0", "1.0~rc1", 1},
		{"1.0~rc1", "1.0~rc2", -1}, {"1.0~rc2", "1.0~rc1", 1},
		{"1.0~rc1~git123", "1.0~rc1~git123", 0}, {"1.0~rc1~git123", "1.0~rc1", -1}, {"1.0~rc1", "1.0~rc1~git123", 1},
		// Caret: after the base version, before anything else.
		{"1.0^", "1.0", 1}, {"1.0^git1", "1.0", 1}, {"1.0^git1", "1.01", -1},
		{"1.0^20160101", "1.0.1", -1}, {"1.0^git1~pre", "1.0^git1", -1}, {"1.0~rc1^git1", "1.0~rc1", 1},
		// EVR: epoch first (missing is 0), then version, then release
		// (missing sorts first).
		{"1:1.0-1", "2.0-1", 1}, {"0:1.0-1", "1.0-1", 0}, {"1.0-1", "1.0", 1},
		{"1.0-1.fc40", "1.0-1.fc41", -1}, {"2:1-1", "10:1-1", -1}, {":1-1", "0:1-1", 0},
	}
	for _, tt := range tests {
		if got := pkgdb.CompareVersions(pkgdb.KindRPM, tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersions(rpm, %q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestCompareVersionsDpkg(t *testing.T) {
	// Cases from Debian policy 5.6.12 and dpkg's version tests.
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0", 0}, {"1.0", "1.0-0", 0}, {"0:1.0", "1.0", 0},
		{"1.0~rc1", "1.0", -1}, {"1.0~~", "1.0~~a", -1}, {"1.0~~a", "1.0~", -1}, {"1.0~", "1.0", -1}, {"1.0", "1.0a", -1},
		{"1:0.1", "2.0", 1}, {"2:1", "10:0", -1}, {"1.0-1", "1.0-2", -1}, {"1.0-10", "1.0-9", 1},
		{"1.2.3", "1.2.3-1", -1}, {"1.0a", "1.0+", -1}, {"1.0+", "1.0.", -1}, {"1.0.", "1.0-", 1},
		{"2.30-1ubuntu1", "2.30-1", 1}, {"1.0-1~bpo1", "1.0-1", -1}, {"1.001", "1.1", 0},
		{"1-2-3", "1-2", 1}, {"1.0-a", "1.0-1", 1}, {"1.0-1", "1.0-a", -1}, {"0", "", 0},
	}
	for _, tt := range tests {
		if got := pkgdb.CompareVersions(pkgdb.KindDpkg, tt.a, tt.b); got != tt.want {
			t.Errorf("CompareVersions(dpkg, %q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

// trickyVersions are versions both tools accept, chosen to hit every rule.
var trickyVersions = []string{
	"0", "1", "01", "1.0", "1.00", "1.0a", "1.0aa", "1.0~", "1.0~rc1", "1.0~rc1~git", "1.0^", "1.0^git2",
	"1.0+b1", "1.0.1", "1.0-1", "1.0-1.1", "1.0-1a", "1.0-1~bpo", "1.0-2", "1.0-10", "1:1.0-1", "2:0.1",
	"1.0_1", "1a", "1b2", "a1", "10", "9.9", "2.0.0-0", "1.0-0", "1.0-1-1", "1.0-b", "3.0.11-1~deb12u2",
}

func TestCompareVersionsMatchesRPM(t *testing.T) {
	fixtures.RequireTools(t, "rpm")
	var lua strings.Builder
	lua.WriteString("%{lua: local v = {")
	for _, v := range trickyVersions {
		fmt.Fprintf(&lua, "%q,", v)
	}
	lua.WriteString("} for i = 1, #v do for j = 1, #v do print(rpm.vercmp(v[i], v[j])) print(' ') end end}")
	fields := strings.Fields(fixtures.Run(t, "", "rpm", "--eval", lua.String()))
	if len(fields) != len(trickyVersions)*len(trickyVersions) {
		t.Fatalf("rpm printed %d results, want %d", len(fields), len(trickyVersions)*len(trickyVersions))
	}
	for i, a := range trickyVersions {
		for j, b := range trickyVersions {
			want := fields[i*len(trickyVersions)+j]
			if got := fmt.Sprint(pkgdb.CompareVersions(pkgdb.KindRPM, a, b)); got != want {
				t.Errorf("CompareVersions(rpm, %q, %q) = %s, rpm.vercmp says %s", a, b, got, want)
			}
		}
	}
}

func TestCompareVersionsMatchesDpkg(t *testing.T) {
	fixtures.RequireTools(t, "dpkg")
	dpkg := func(a, op, b string) bool {
		err := exec.Command("dpkg", "--compare-versions", a, op, b).Run()
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == 1 {
			return false
		}
		if err != nil {
			t.Fatalf("dpkg --compare-versions %s %s %s: %v", a, op, b, err)
		}
		return true
	}
	for i, a := range trickyVersions {
		for _, b := range trickyVersions[i:] {
			want := 0
			switch {
			case dpkg(a, "lt", b):
				want = -1
			case dpkg(a, "gt", b):
				want = 1
			}
			if got := pkgdb.CompareVersions(pkgdb.KindDpkg, a, b); got != want {
				t.Errorf("CompareVersions(dpkg, %q, %q) = %d, dpkg says %d", a, b, got, want)
			}
		}
	}
}
