package diff

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
)

// changelogIndent indents a package's changelog under its row, the text
// of an entry two more.
const changelogIndent = "      "

// writePackages writes the package table and, when changelogs were asked
// for, each package's changelog under its row, then the CVEs they name.
func writePackages(w io.Writer, r *Result) {
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 4, 2, ' ', 0)
	for _, p := range r.Packages {
		switch p.Kind {
		case PackageAdded:
			row(tw, p.Kind.String(), p.FullName(), p.To)
		case PackageRemoved:
			row(tw, p.Kind.String(), p.FullName(), p.From)
		default:
			row(tw, p.Kind.String(), p.FullName(), p.From+" -> "+p.To)
		}
	}
	tw.Flush()
	rows := strings.SplitAfter(table.String(), "\n")
	for i := range r.Packages {
		io.WriteString(w, rows[i])
		writeChangelog(w, r.Packages, i)
	}
	if r.CVEsFixed == nil {
		return
	}
	writeCVEs(w, "CVEs fixed", r.CVEsFixed)
	if len(r.CVEsReverted) > 0 {
		writeCVEs(w, "CVEs whose fixes the downgrades take back", r.CVEsReverted)
	}
}

// writeChangelog writes the changelog of package i, if it has one to
// show: its entries, or why there are none.
func writeChangelog(w io.Writer, pkgs []PackageChange, i int) {
	p := &pkgs[i]
	switch {
	case p.ChangelogMissing != "":
		fmt.Fprintf(w, "%sno changelog: %s\n", changelogIndent, p.ChangelogMissing)
		return
	case p.Changelog == nil:
		return
	}
	// Packages of one source share their changelog: say it once.
	for _, q := range pkgs[:i] {
		if q.Kind == p.Kind && q.From == p.From && q.To == p.To && len(q.Changelog) > 0 &&
			q.ChangelogOmitted == p.ChangelogOmitted && slices.EqualFunc(q.Changelog, p.Changelog, sameEntry) {
			fmt.Fprintf(w, "%sthe same changelog entries as %s\n", changelogIndent, q.FullName())
			return
		}
	}
	if p.Kind == PackageDowngraded && len(p.Changelog) > 0 {
		fmt.Fprintf(w, "%swhat the downgrade takes back (from the base's changelog):\n", changelogIndent)
	}
	if len(p.Changelog) == 0 && p.ChangelogOmitted == 0 {
		fmt.Fprintf(w, "%sno changelog entries between these versions\n", changelogIndent)
	}
	for _, e := range p.Changelog {
		date := ""
		if !e.Date.IsZero() {
			date = e.Date.Format("2006-01-02")
		}
		fmt.Fprintf(w, "%s%s\n", changelogIndent, join(e.Version, date, e.Author))
		for line := range strings.Lines(e.Text) {
			if line = strings.TrimRight(line, "\n"); line == "" {
				fmt.Fprintln(w)
				continue
			}
			fmt.Fprintf(w, "%s  %s\n", changelogIndent, line)
		}
	}
	if n := p.ChangelogOmitted; n > 0 {
		entries := "entries"
		if n == 1 {
			entries = "entry"
		}
		fmt.Fprintf(w, "%s… %d more %s (--changelogs without a number shows all)\n", changelogIndent, n, entries)
	}
}

func sameEntry(a, b ChangelogEntry) bool {
	return a.Version == b.Version && a.Date.Equal(b.Date) && a.Author == b.Author && a.Text == b.Text
}

// cveWidth is how wide a line of CVE ids grows before the next starts.
const cveWidth = 100

// writeCVEs writes "  WHAT (N): ids" over as many lines as it takes, or
// that there are none.
func writeCVEs(w io.Writer, what string, ids []string) {
	if len(ids) == 0 {
		fmt.Fprintf(w, "  %s: none the changelogs name\n", what)
		return
	}
	line := fmt.Sprintf("  %s (%d):", what, len(ids))
	indent := len(line)
	for i, id := range ids {
		if i > 0 && len(line)+2+len(id) > cveWidth {
			fmt.Fprintln(w, line+",")
			line = strings.Repeat(" ", indent)
		} else if i > 0 {
			line += ","
		}
		line += " " + id
	}
	fmt.Fprintln(w, line)
}
