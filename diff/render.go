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
	// All lists every path; otherwise a directory added or removed with
	// more than CollapseAfter paths below it is shown as one line.
	All bool
}

// CollapseAfter is how many paths below an added or removed directory the
// text output shows before summing them up.
const CollapseAfter = 5

// WriteText writes the result for people: what was compared, package
// changes, file changes, a summary per area and, if asked, the layers.
func WriteText(w io.Writer, r *Result, opts TextOptions) error {
	out := &trimWriter{w: w}
	w = out
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "base\t%s\t%s\n", r.Base, short(r.BaseDigest))
	fmt.Fprintf(tw, "derived\t%s\t%s\n", r.Derived, short(r.DerivedDigest))
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

	fmt.Fprintf(w, "\nFiles: %d change%s\n", len(r.Changes), plural(len(r.Changes)))
	writeChanges(tw, r.Changes, opts)
	tw.Flush()

	fmt.Fprintf(w, "\nSummary\n")
	fmt.Fprintf(tw, "  AREA\tADDED\tMODIFIED\tMETADATA\tTYPECHANGE\tREMOVED\tSIZE\n")
	for _, a := range append(r.Summary.Areas, r.Summary.Total) {
		if a.Changes() == 0 && a.Area != "total" {
			continue
		}
		fmt.Fprintf(tw, "  %s\t%d\t%d\t%d\t%d\t%d\t%s\n", a.Area, a.Added, a.Modified, a.Metadata, a.TypeChange, a.Removed, human(a.SizeDelta, true))
	}
	tw.Flush()

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

func writeChanges(tw *tabwriter.Writer, changes []Change, opts TextOptions) {
	for i := 0; i < len(changes); i++ {
		c := &changes[i]
		detail := strings.Join(c.Details, ", ")
		if c.Kind == Added || c.Kind == Removed {
			detail = ""
		}
		size := ""
		if c.SizeDelta != 0 || c.Type == layer.TypeRegular {
			size = human(c.SizeDelta, true)
		}
		pkg := ""
		if c.Package != "" {
			pkg = "[" + c.Package + "]"
		}
		row(tw, c.Kind.String(), size, join(c.Path, pkg, detail))
		if opts.All || c.Type != layer.TypeDir || (c.Kind != Added && c.Kind != Removed) {
			continue
		}
		// Sum up a large directory added or removed whole.
		below, bytes := 0, int64(0)
		for j := i + 1; j < len(changes) && changes[j].Kind == c.Kind && strings.HasPrefix(changes[j].Path, c.Path+"/"); j++ {
			below++
			bytes += changes[j].SizeDelta
		}
		if below > CollapseAfter {
			row(tw, c.Kind.String(), human(bytes, true), join(c.Path+"/…", fmt.Sprintf("(%d paths below; --all lists them)", below)))
			i += below
		}
	}
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
