package diff

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/oslayer/oslayer/layer"
)

// WriteJSON writes the result as indented JSON (the documented contract).
// The changes, which may be millions, are written one at a time rather
// than built into one buffer with the rest.
func WriteJSON(w io.Writer, r *Result) error {
	frame := *r
	frame.Changes = nil
	doc, err := json.MarshalIndent(&frame, "", "  ")
	if err != nil {
		return err
	}
	// The top-level key is the only "changes" at this indentation: keys
	// and strings inside values are indented deeper or escaped.
	const slot = "\n  \"changes\": null"
	i := bytes.Index(doc, []byte(slot))
	if r.Changes == nil || i < 0 {
		_, err := fmt.Fprintf(w, "%s\n", doc)
		return err
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	bw.Write(doc[:i+len(slot)-len("null")])
	if len(r.Changes) == 0 {
		bw.WriteString("[]")
	} else {
		bw.WriteString("[\n    ")
		for j := range r.Changes {
			if j > 0 {
				bw.WriteString(",\n    ")
			}
			c, err := json.MarshalIndent(r.Changes[j].json(), "    ", "  ")
			if err != nil {
				return err
			}
			bw.Write(c)
		}
		bw.WriteString("\n  ]")
	}
	bw.Write(doc[i+len(slot):])
	bw.WriteString("\n")
	return bw.Flush()
}

// TextOptions tune WriteText.
type TextOptions struct {
	// All lists every path; otherwise many changes of one kind in one
	// directory, or below a directory added or removed whole, are summed
	// up on one line (see Lines).
	All bool
	// Flat lists the changes in tree order, each with its package, rather
	// than grouped under their packages.
	Flat bool
	// Stat replaces the listing of changes and the summary by the counts
	// per area and per package of Result.Stat (computed if nil).
	Stat bool
}

// WriteText writes the result for people: what was compared, package
// changes, file changes grouped by package (or, with Stat, counted per
// area and per package), a summary per area and, if asked, the layers.
func WriteText(w io.Writer, r *Result, opts TextOptions) error {
	out := &trimWriter{w: w}
	w = out
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "base\t%s\t%s\t%s\n", r.Base, short(r.BaseDigest), releaseCell(r.BaseRelease))
	fmt.Fprintf(tw, "derived\t%s\t%s\t%s\n", r.Derived, short(r.DerivedDigest), releaseCell(r.DerivedRelease))
	tw.Flush()
	how := "base given as argument"
	if r.BaseFrom != layer.BaseFromArgument {
		how = "base found from the " + r.BaseFrom.String()
	}
	if r.Comparison == ComparedLayers {
		fmt.Fprintf(w, "%s; the derived image adds %d layer%s (%s) to the base's %d\n", how,
			r.Summary.DerivedLayers, plural(r.Summary.DerivedLayers), human(r.Summary.DerivedBytes, false), r.Summary.BaseLayers)
	} else {
		fmt.Fprintf(w, "%s; compared whole filesystems\n", how)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}

	fmt.Fprintf(w, "\nPackages: %s\n", packageCounts(r.Packages))
	writePackages(w, r)

	filtered := ""
	if r.Filter != nil {
		filtered = " (filtered: " + r.Filter.String() + ")"
		fmt.Fprintf(w, "\nFiles: %d of %d change%s%s\n", len(r.Changes), r.Filter.Unfiltered, plural(r.Filter.Unfiltered), filtered)
	} else {
		fmt.Fprintf(w, "\nFiles: %d change%s\n", len(r.Changes), plural(len(r.Changes)))
	}
	switch {
	case opts.Stat:
		st := r.Stat
		if st == nil {
			st = StatOf(r.Changes)
		}
		writeStat(w, tw, st, filtered)
	case opts.Flat:
		ptrs := make([]*Change, len(r.Changes))
		for i := range r.Changes {
			ptrs[i] = &r.Changes[i]
		}
		writeLines(tw, Lines(ptrs, opts.All), true)
	default:
		for _, g := range GroupByPackage(r.Changes, r.Packages) {
			fmt.Fprintf(w, "%s\n", groupHeading(&g))
			writeLines(tw, Lines(g.Changes, opts.All), false)
			tw.Flush()
		}
	}
	tw.Flush()

	if !opts.Stat {
		fmt.Fprintf(w, "\nSummary%s\n", filtered)
		fmt.Fprintf(tw, "  AREA\tADDED\tMODIFIED\tMETADATA\tTYPECHANGE\tREMOVED\tSIZE\n")
		for _, a := range append(r.Summary.Areas, r.Summary.Total) {
			if a.Changes() == 0 && a.Area != "total" {
				continue
			}
			fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\t%s\n", a.Area, a.Added, a.Modified, a.Metadata, a.TypeChange, a.Removed, human(a.SizeDelta, true))
		}
		tw.Flush()
	}

	if r.Layers != nil {
		writeLayers(w, tw, r.Layers)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return out.err
}

// trimWriter drops the blanks tabwriter pads empty trailing cells with,
// line by line.
type trimWriter struct {
	w       io.Writer
	pending []byte
	err     error
}

func (t *trimWriter) Write(p []byte) (int, error) {
	for _, b := range p {
		switch b {
		case ' ':
			t.pending = append(t.pending, b)
			continue
		case '\n':
			t.pending = t.pending[:0]
		}
		if t.err == nil && len(t.pending) > 0 {
			_, t.err = t.w.Write(t.pending)
		}
		t.pending = t.pending[:0]
		if t.err == nil {
			_, t.err = t.w.Write([]byte{b})
		}
	}
	return len(p), t.err
}

// writeLines writes a listing, with each change's package if asked.
func writeLines(tw *tabwriter.Writer, lines []Line, withPackage bool) {
	for _, l := range lines {
		if s := l.Sum; s != nil {
			size := ""
			if s.Regular || s.SizeDelta != 0 {
				size = human(s.SizeDelta, true)
			}
			if s.Below {
				row(tw, s.Kind.String(), size, join(s.Dir+"/…", fmt.Sprintf("(%d paths below; --all lists them)", s.Count)))
				continue
			}
			dir := strings.TrimSuffix(s.Dir, "/") + "/"
			row(tw, s.Kind.String(), size, join(dir, fmt.Sprintf("(%d paths: %s; --all lists them)", s.Count, sample(s.Names, s.Count))))
			continue
		}
		c := l.Change
		detail := strings.Join(c.Details, ", ")
		if c.Kind == Added || c.Kind == Removed {
			detail = ""
		}
		size := ""
		if c.SizeDelta != 0 || c.Type == layer.TypeRegular {
			size = human(c.SizeDelta, true)
		}
		pkg := ""
		if withPackage && c.Package != "" {
			pkg = "[" + c.Package + "]"
		}
		row(tw, c.Kind.String(), size, join(c.Path, pkg, detail))
	}
}

// namesWidth is how wide the names a summed-up line gives may be.
const namesWidth = 60

// sample joins as many of names as fit in namesWidth (at least one), and
// "…" when that is not all of the count.
func sample(names []string, count int) string {
	n, width := 0, 0
	for n < len(names) && (n == 0 || width+2+len(names[n]) <= namesWidth) {
		width += 2 + len(names[n])
		n++
	}
	out := strings.Join(names[:n], ", ")
	if count > n {
		out += ", …"
	}
	return out
}

// groupHeading is the line above a package's changes: the package, what
// the package diff says of it, its changes counted.
func groupHeading(g *PackageGroup) string {
	name := g.Package
	if name == "" {
		name = "(no package)"
	}
	var versions []string
	for _, v := range g.Versions {
		switch v.Kind {
		case PackageAdded:
			versions = append(versions, fmt.Sprintf("%s %s (added)", v.FullName(), v.To))
		case PackageRemoved:
			versions = append(versions, fmt.Sprintf("%s %s (removed)", v.FullName(), v.From))
		default:
			versions = append(versions, fmt.Sprintf("%s %s -> %s (%s)", v.FullName(), v.From, v.To, v.Kind))
		}
	}
	if len(versions) > 0 {
		name = strings.Join(versions, ", ")
	}
	return fmt.Sprintf("%s: %s, %s", name, kindCounts(&g.Counts), human(g.Counts.SizeDelta, true))
}

// kindCounts says "3 changes (2 modified, 1 removed)", or "3 modified"
// when they are of one kind.
func kindCounts(r *StatRow) string {
	var parts []string
	for _, k := range Kinds {
		if n := r.Count(k); n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return fmt.Sprintf("%d change%s (%s)", r.Changes, plural(r.Changes), strings.Join(parts, ", "))
}

func writeLayers(w io.Writer, tw *tabwriter.Writer, l *LayerReport) {
	share := 0.0
	if l.Total > 0 {
		share = 100 * float64(l.Reused) / float64(l.Total)
	}
	fmt.Fprintf(w, "\nUpdate from %s: download %d of %d layers, %s of %s (%.0f%% of bytes reused)\n",
		l.Old, l.NewLayers, len(l.Layers), human(l.Download, false), human(l.Total, false), share)
	for _, s := range l.Layers {
		row(tw, fmt.Sprint(s.Index), s.Status, short(s.Digest), human(s.Size, false), truncate(s.CreatedBy, 60))
	}
}

// join joins the non-empty strings with two spaces.
func join(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "  ")
}

// row writes one indented table row.
func row(tw *tabwriter.Writer, cells ...string) {
	fmt.Fprintf(tw, "  %s\n", strings.Join(cells, "\t"))
}

func packageCounts(pkgs []PackageChange) string {
	if len(pkgs) == 0 {
		return "no changes"
	}
	counts := map[PackageKind]int{}
	for _, p := range pkgs {
		counts[p.Kind]++
	}
	var parts []string
	for _, k := range []PackageKind{PackageAdded, PackageUpgraded, PackageDowngraded, PackageRemoved} {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	return strings.Join(parts, ", ")
}

// short abbreviates a digest to its algorithm and 12 hex digits.
func short(d string) string {
	if alg, hex, ok := strings.Cut(d, ":"); ok && len(hex) > 12 {
		return alg + ":" + hex[:12]
	}
	return d
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-1] + "…"
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// human formats a byte count with binary units, signed if asked.
func human(n int64, signed bool) string {
	sign := ""
	if n < 0 {
		sign, n = "-", -n
	} else if signed && n > 0 {
		sign = "+"
	}
	if n < 1024 {
		return fmt.Sprintf("%s%d B", sign, n)
	}
	v, units := float64(n), []string{"KiB", "MiB", "GiB", "TiB"}
	for i, u := range units {
		v /= 1024
		if v < 1024 || i == len(units)-1 {
			return fmt.Sprintf("%s%.1f %s", sign, v, u)
		}
	}
	return ""
}

// statBar is the width of the widest bar of a --stat table.
const statBar = 20

// writeStat writes the counts per area, with the total, and per package;
// filtered says how the changes were filtered, if they were.
func writeStat(w io.Writer, tw *tabwriter.Writer, st *Stat, filtered string) {
	fmt.Fprintf(w, "\nBy area%s, most bytes changed first (+ content written, - content replaced or removed)\n", filtered)
	statTable(tw, "AREA", st.Areas, &st.Total)
	tw.Flush()
	fmt.Fprintf(w, "\nBy package%s, most bytes changed first\n", filtered)
	statTable(tw, "PACKAGE", st.Packages, nil)
	tw.Flush()
}

// statTable writes rows, each with a bar of its bytes, then the total.
// Kinds of change no row has get no column.
func statTable(tw *tabwriter.Writer, what string, rows []StatRow, total *StatRow) {
	widest := int64(0)
	var kinds []Kind
	for _, k := range Kinds {
		for _, r := range rows {
			if r.Count(k) > 0 {
				kinds = append(kinds, k)
				break
			}
		}
	}
	head := []string{what, "CHANGES"}
	for _, k := range kinds {
		head = append(head, strings.ToUpper(k.String()))
	}
	row(tw, append(head, "+BYTES", "-BYTES", "SIZE", "")...)
	line := func(r *StatRow, name, bar string) {
		cells := []string{name, fmt.Sprint(r.Changes)}
		for _, k := range kinds {
			cells = append(cells, fmt.Sprint(r.Count(k)))
		}
		row(tw, append(cells, human(r.NewBytes, false), human(r.OldBytes, false), human(r.SizeDelta, true), bar)...)
	}
	for _, r := range rows {
		widest = max(widest, r.Bytes())
	}
	for i := range rows {
		r := &rows[i]
		name := r.Name
		if name == "" {
			name = "(no package)"
		}
		line(r, name, strings.Repeat("+", barWidth(r.NewBytes, widest))+strings.Repeat("-", barWidth(r.OldBytes, widest)))
	}
	if total != nil {
		line(total, "total", "")
	}
}

// barWidth scales n bytes of a table whose widest row has widest bytes to
// a bar of at most statBar characters, at least one for any byte.
func barWidth(n, widest int64) int {
	if n <= 0 || widest <= 0 {
		return 0
	}
	return max(1, int((n*statBar+widest/2)/widest))
}
