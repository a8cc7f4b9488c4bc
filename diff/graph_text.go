package diff

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteGraphText writes the graph for people: the releases oldest first,
// the updates with what each downloads, and the candidates skipped.
func WriteGraphText(w io.Writer, g *UpdateGraph) error {
	out := &trimWriter{w: w}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintf(out, "%s: %d release%s (versions ordered by %s rules), %d update%s, %d skipped\n",
		g.Source, len(g.Releases), plural(len(g.Releases)), g.Scheme, len(g.Edges), plural(len(g.Edges)), len(g.Skipped))
	if len(g.Releases) > 0 {
		fmt.Fprintln(out)
		row(tw, "RELEASE", "TAGS", "DIGEST", "SIZE", "FLAGS")
		for _, r := range g.Releases {
			row(tw, r.Release.Version, strings.Join(r.Tags, ","), short(r.Digest.String()), human(r.TotalBytes, false), strings.Join(r.Release.Flags(), "; "))
		}
		tw.Flush()
	}
	if len(g.Edges) > 0 {
		fmt.Fprintln(out)
		row(tw, "UPDATE", "DOWNLOAD", "LAYERS")
		for _, e := range g.Edges {
			row(tw, g.Releases[e.From].Release.Version+" -> "+g.Releases[e.To].Release.Version, human(e.Download, false), fmt.Sprint(e.NewLayers))
		}
		tw.Flush()
	}
	if len(g.Skipped) > 0 {
		fmt.Fprintln(out)
		row(tw, "SKIPPED", "DIGEST", "REASON")
		for _, s := range g.Skipped {
			row(tw, s.Name, short(s.Digest), s.Reason)
		}
		tw.Flush()
	}
	return out.err
}
