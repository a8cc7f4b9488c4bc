package diff

import (
	"bytes"
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
)

func runUpdate(t *testing.T, req Request) *Result {
	t.Helper()
	updateLayout(t)
	req.Base, req.Derived, req.Loader = "oci:layout:base", "oci:layout:update", loader(t)
	res, err := Run(context.Background(), req)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func text(t *testing.T, res *Result, opts TextOptions) string {
	t.Helper()
	var out bytes.Buffer
	if err := WriteText(&out, res, opts); err != nil {
		t.Fatal(err)
	}
	return out.String()
}

// TestUpdateFixture: the security-update fixture changes what it says it
// does; the .pyc no package lists are the most of it, and belong to the
// package of their sources.
func TestUpdateFixture(t *testing.T) {
	res := runUpdate(t, Request{})
	got := map[string]int{}
	pycs := 0
	for _, c := range res.Changes {
		got[c.Kind.String()]++
		if strings.HasSuffix(c.Path, ".pyc") {
			pycs++
			if c.Package != "python3.11-minimal" || c.Kind != Modified {
				t.Errorf("%s: %s, owned by %q; want modified, python3.11-minimal's", c.Path, c.Kind, c.Package)
			}
		}
	}
	for k, n := range fixtures.UpdateChanges {
		if got[k] != n {
			t.Errorf("%d %s, want %d", got[k], k, n)
		}
	}
	if len(got) != len(fixtures.UpdateChanges) || pycs != fixtures.UpdatePycs {
		t.Errorf("changes per kind %v, %d .pyc; want %v, %d", got, pycs, fixtures.UpdateChanges, fixtures.UpdatePycs)
	}
}

// TestTextAtScale: grouped and summed up, the update's listing is one line
// per group of .pyc, not one per file; --all lists each file once, under
// its package.
func TestTextAtScale(t *testing.T) {
	res := runUpdate(t, Request{})
	grouped, all, flat := text(t, res, TextOptions{}), text(t, res, TextOptions{All: true}), text(t, res, TextOptions{Flat: true, All: true})
	if n := strings.Count(grouped, ".pyc"); n != 2 { // one line, two sample names
		t.Errorf("grouped output names .pyc %d times, want 2 (one summed-up line):\n%s", n, grouped)
	}
	if !regexp.MustCompile(`(?m)^  modified +0 B +/usr/lib/python3\.11/__pycache__/  \(40 paths: abc\.cpython-311\.pyc, ast\.cpython-311\.pyc, …; --all lists them\)$`).MatchString(grouped) {
		t.Errorf("no summed-up line for the .pyc:\n%s", grouped)
	}
	for _, out := range []string{all, flat} {
		for _, c := range res.Changes {
			if n := strings.Count(out, " "+c.Path+"  ") + strings.Count(out, " "+c.Path+"\n"); n != 1 {
				t.Errorf("--all lists %s %d times, want once", c.Path, n)
			}
		}
	}
	if lg, la := strings.Count(grouped, "\n"), strings.Count(all, "\n"); lg >= la-fixtures.UpdatePycs {
		t.Errorf("grouped output has %d lines, --all %d: summing up saved less than the .pyc", lg, la)
	}
	// Each package's heading comes before its files, with its versions;
	// the .pyc are its files too, the files of no package come last.
	heading := strings.Index(all, "python3.11-minimal:amd64 3.11.2-6+deb12u8 -> 3.11.2-6+deb12u9 (upgraded): 43 modified, +20 B\n")
	pyc := strings.Index(all, "/usr/lib/python3.11/__pycache__/ssl.cpython-311.pyc")
	ssl := strings.Index(all, "/usr/lib/python3.11/ssl.py")
	unowned := strings.Index(all, "(no package): ")
	if heading < 0 || pyc < heading || ssl < pyc || unowned < ssl {
		t.Errorf("headings and files out of order (python3.11-minimal at %d, its ssl .pyc at %d, ssl.py at %d, no package at %d):\n%s", heading, pyc, ssl, unowned, all)
	}
}

// TestRunFiltered: a filter keeps the changes it matches and the summary,
// stat and HasChanges count those only; JSON says how it filtered.
func TestRunFiltered(t *testing.T) {
	pyc, err := NewFilter([]string{"/usr/lib/**/*.pyc"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res := runUpdate(t, Request{Filter: pyc, Stat: true})
	if len(res.Changes) != fixtures.UpdatePycs || res.Summary.Total.Modified != fixtures.UpdatePycs || res.Summary.Total.Changes() != fixtures.UpdatePycs {
		t.Errorf("%d changes, summary %+v; want %d .pyc modified", len(res.Changes), res.Summary.Total, fixtures.UpdatePycs)
	}
	if res.Stat == nil || res.Stat.Total.Changes != fixtures.UpdatePycs || len(res.Stat.Packages) != 1 || res.Stat.Packages[0].Name != "python3.11-minimal" {
		t.Errorf("stat = %+v", res.Stat)
	}
	total := fixtures.UpdateChanges["added"] + fixtures.UpdateChanges["modified"] + fixtures.UpdateChanges["removed"]
	if res.Filter == nil || res.Filter.Unfiltered != total {
		t.Errorf("filter report = %+v, want %d unfiltered changes", res.Filter, total)
	}
	if len(res.Packages) != 5 || !res.HasChanges() {
		t.Errorf("packages %d, has changes %v: the package diff is not filtered", len(res.Packages), res.HasChanges())
	}

	var out bytes.Buffer
	if err := WriteJSON(&out, res); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Changes []Change  `json:"changes"`
		Filter  *Filtered `json:"filter"`
		Stat    *Stat     `json:"stat"`
		Summary Summary   `json:"summary"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Changes) != fixtures.UpdatePycs || doc.Filter == nil || doc.Filter.Paths[0] != "/usr/lib/**/*.pyc" ||
		doc.Filter.Unfiltered != total || doc.Stat == nil || doc.Stat.Total != res.Stat.Total || doc.Summary.Total != res.Summary.Total {
		t.Errorf("JSON: %d changes, filter %+v, stat %+v", len(doc.Changes), doc.Filter, doc.Stat)
	}

	// Nothing kept: no changes, though packages changed.
	none, _ := NewFilter([]string{"/opt"}, []Kind{Removed})
	res = runUpdate(t, Request{Filter: none})
	if len(res.Changes) != 0 || res.HasChanges() || res.Summary.Total.Changes() != 0 {
		t.Errorf("filtered to nothing: %d changes, has changes %v", len(res.Changes), res.HasChanges())
	}
	if s := text(t, res, TextOptions{}); !strings.Contains(s, "Files: 0 of 92 changes (filtered: paths /opt, kinds removed)\n") ||
		!strings.Contains(s, "\nSummary (filtered: paths /opt, kinds removed)\n") {
		t.Errorf("text does not say it is filtered:\n%s", s)
	}
}

// TestJSONWithoutNewFlags: without --stat and filters the JSON output has
// exactly the fields it had.
func TestJSONWithoutNewFlags(t *testing.T) {
	res := runUpdate(t, Request{})
	var out bytes.Buffer
	if err := WriteJSON(&out, res); err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"filter", "stat"} {
		if _, ok := doc[k]; ok {
			t.Errorf("JSON has %q without being asked", k)
		}
	}
	for _, k := range []string{"base", "derived", "base_digest", "derived_digest", "base_from", "comparison", "changes", "packages", "summary"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
}
