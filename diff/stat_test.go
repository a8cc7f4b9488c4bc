package diff

import (
	"fmt"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer"
)

func statRows(rows []StatRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, fmt.Sprintf("%q %d changes (+%d ~%d =%d !%d -%d) new %d old %d net %+d", r.Name, r.Changes,
			r.Added, r.Modified, r.Metadata, r.TypeChange, r.Removed, r.NewBytes, r.OldBytes, r.SizeDelta))
	}
	return out
}

// TestStatOfTrees: bytes written and replaced per area and package, from
// two real trees: a modified file counts its old and new bytes, metadata
// changes none, a hardlinked file once per side.
func TestStatOfTrees(t *testing.T) {
	base := treeOf(t, []fixtures.File{
		fixtures.Dir("usr", 0o755), fixtures.Dir("usr/lib", 0o755), fixtures.Dir("etc", 0o755), fixtures.Dir("opt", 0o755),
		fixtures.Reg("usr/lib/libssl.so.3", string(make([]byte, 1000)), 0o644),
		fixtures.Reg("usr/lib/libcrypto.so.3", string(make([]byte, 4000)), 0o644),
		fixtures.Reg("usr/lib/old", string(make([]byte, 300)), 0o644),
		fixtures.Reg("etc/passwd", "root\n", 0o644),
		fixtures.Reg("etc/mode", "m", 0o644),
		fixtures.Symlink("etc/localtime", "/usr/share/zoneinfo/UTC"),
	})
	derived := treeOf(t, []fixtures.File{
		fixtures.Dir("usr", 0o755), fixtures.Dir("usr/lib", 0o755), fixtures.Dir("etc", 0o755), fixtures.Dir("opt", 0o755),
		fixtures.Reg("usr/lib/libssl.so.3", string(make([]byte, 999))+"x", 0o644),
		fixtures.Reg("usr/lib/libcrypto.so.3", string(make([]byte, 4100)), 0o644),
		fixtures.Reg("etc/passwd", "root\ncore\n", 0o644),
		fixtures.Reg("etc/mode", "m", 0o600),
		fixtures.Reg("etc/localtime", "TZif2", 0o644),
		fixtures.Reg("opt/a", string(make([]byte, 50)), 0o644),
		fixtures.Hardlink("opt/b", "opt/a", 0o644),
	})
	changes := Compare(base, derived, CompareOptions{})
	owners := map[string]string{"/usr/lib/libssl.so.3": "libssl3", "/usr/lib/libcrypto.so.3": "libssl3", "/usr/lib/old": "oldpkg", "/etc/passwd": "passwd"}
	for i := range changes {
		changes[i].Package = owners[changes[i].Path]
	}
	st := StatOf(changes)
	sameStrings(t, "areas", []string{
		`"/usr" 3 changes (+0 ~2 =0 !0 -1) new 5100 old 5300 net -200`,
		`"/opt" 2 changes (+2 ~0 =0 !0 -0) new 50 old 0 net +50`,
		`"/etc" 3 changes (+0 ~1 =1 !1 -0) new 15 old 5 net +10`,
	}, statRows(st.Areas))
	sameStrings(t, "packages", []string{
		`"libssl3" 2 changes (+0 ~2 =0 !0 -0) new 5100 old 5000 net +100`,
		`"oldpkg" 1 changes (+0 ~0 =0 !0 -1) new 0 old 300 net -300`,
		`"" 4 changes (+2 ~0 =1 !1 -0) new 55 old 0 net +55`,
		`"passwd" 1 changes (+0 ~1 =0 !0 -0) new 10 old 5 net +5`,
	}, statRows(st.Packages))
	sameStrings(t, "total", []string{`"total" 8 changes (+2 ~3 =1 !1 -1) new 5165 old 5305 net -140`}, statRows([]StatRow{st.Total}))
	// The net change is the summary's.
	if sum := Summarize(changes); sum.Total.SizeDelta != st.Total.SizeDelta {
		t.Errorf("stat's net %d, summary's %d", st.Total.SizeDelta, sum.Total.SizeDelta)
	}
}

func TestStatOfPackageRecords(t *testing.T) {
	// Changes found from package records have no nodes: their size delta
	// is all there is.
	st := StatOf([]Change{
		{Path: "/usr/bin/a", Kind: Modified, Type: layer.TypeRegular, SizeDelta: 30, Package: "a"},
		{Path: "/usr/bin/b", Kind: Modified, Type: layer.TypeRegular, SizeDelta: -70, Package: "b"},
	})
	sameStrings(t, "packages", []string{
		`"b" 1 changes (+0 ~1 =0 !0 -0) new 0 old 70 net -70`,
		`"a" 1 changes (+0 ~1 =0 !0 -0) new 30 old 0 net +30`,
	}, statRows(st.Packages))
}

func TestStatSortsTies(t *testing.T) {
	// Same bytes: more changes first, then by name (areas in their order).
	st := StatOf([]Change{
		{Path: "/var/x", Kind: Metadata}, {Path: "/etc/x", Kind: Metadata}, {Path: "/etc/y", Kind: Metadata, Package: "b"},
		{Path: "/opt/x", Kind: Metadata, Package: "a"}, {Path: "/x", Kind: Metadata, Package: "a"},
	})
	sameStrings(t, "areas", []string{
		`"/etc" 2 changes (+0 ~0 =2 !0 -0) new 0 old 0 net +0`,
		`"/var" 1 changes (+0 ~0 =1 !0 -0) new 0 old 0 net +0`,
		`"/opt" 1 changes (+0 ~0 =1 !0 -0) new 0 old 0 net +0`,
		`"other" 1 changes (+0 ~0 =1 !0 -0) new 0 old 0 net +0`,
	}, statRows(st.Areas))
	sameStrings(t, "packages", []string{
		`"" 2 changes (+0 ~0 =2 !0 -0) new 0 old 0 net +0`,
		`"a" 2 changes (+0 ~0 =2 !0 -0) new 0 old 0 net +0`,
		`"b" 1 changes (+0 ~0 =1 !0 -0) new 0 old 0 net +0`,
	}, statRows(st.Packages))
	if empty := StatOf(nil); empty.Areas == nil || empty.Packages == nil || empty.Total.Name != "total" {
		t.Errorf("stat of nothing = %+v, want empty lists (JSON [], not null)", empty)
	}
}

func TestBarWidth(t *testing.T) {
	for _, tc := range []struct {
		n, widest int64
		want      int
	}{{0, 100, 0}, {100, 100, statBar}, {1, 1 << 30, 1}, {50, 100, statBar / 2}, {10, 0, 0}} {
		if got := barWidth(tc.n, tc.widest); got != tc.want {
			t.Errorf("barWidth(%d, %d) = %d, want %d", tc.n, tc.widest, got, tc.want)
		}
	}
}
