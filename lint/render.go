package lint

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// TextOptions tune WriteText.
type TextOptions struct {
	// NoTruncate lists every finding; otherwise MaxItems per rule.
	NoTruncate bool
	// FatalWarnings is reported in the verdict line.
	FatalWarnings bool
}

// MaxItems is how many findings per rule the text output shows unless
// told not to truncate, as bootc container lint does.
const MaxItems = 5

// WriteText writes findings grouped by rule, each with how to fix it,
// then the counts and the verdict.
func WriteText(w io.Writer, res *Result, opts TextOptions) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "oslayer lint %s (%s)\n", res.Target, res.Mode)
	if res.Release != nil {
		fmt.Fprintf(ew, "release: %s\n", res.Release)
	}
	if res.Base != "" {
		fmt.Fprintf(ew, "base: %s (%s)\n", res.Base, res.BaseFrom)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(ew, "note: %s\n", n)
	}
	byRule := map[string][]Finding{}
	for _, f := range res.Findings {
		byRule[f.Rule] = append(byRule[f.Rule], f)
	}
	for _, c := range res.Checks {
		found := byRule[c.Rule]
		if len(found) == 0 {
			continue
		}
		r, _ := RuleByID(c.Rule)
		fmt.Fprintf(ew, "\n%s (%s): %s\n", c.Rule, levelOf(found), r.Description)
		shown := found
		if !opts.NoTruncate && len(shown) > MaxItems {
			shown = shown[:MaxItems]
		}
		for _, f := range shown {
			fmt.Fprintf(ew, "  %s\n", findingLine(f))
		}
		if more := len(found) - len(shown); more > 0 {
			fmt.Fprintf(ew, "  ...and %d more (--no-truncate lists them)\n", more)
		}
		fmt.Fprintf(ew, "%s\n", wrap(r.Help, "  fix: ", "       ", 100))
	}
	k := res.Counts
	// A check fails as its JUnit test case does: with findings that fail
	// the gate. One with warnings only passes, unless warnings are fatal.
	passed, warned, failed := 0, 0, 0
	for _, c := range res.Checks {
		switch {
		case c.Status == Skipped:
		case levelOf(byRule[c.Rule]) == Fatal, opts.FatalWarnings && levelOf(byRule[c.Rule]) == Warning:
			failed++
		case levelOf(byRule[c.Rule]) == Warning:
			passed, warned = passed+1, warned+1
		default:
			passed++
		}
	}
	fmt.Fprintf(ew, "\nChecks: %d passed (%d with warnings), %d failed, %d skipped. Findings: %d fatal, %d %s, %d info.\n",
		passed, warned, failed, k.Skipped, k.Fatal, k.Warning, plural(k.Warning, "warning", "warnings"), k.Info)
	if u := res.Update; u != nil && u.Download != nil {
		d := u.Download
		reused := 0.0
		if d.Total > 0 {
			reused = 100 * float64(d.Reused) / float64(d.Total)
		}
		fmt.Fprintf(ew, "Upgrade from %s: downloads %s in %d of %d layers (%.0f%% of the image reused).\n",
			u.Previous, humanBytes(d.Download), d.NewLayers, len(d.Layers), reused)
	}
	if res.Inherited > 0 {
		fmt.Fprintf(ew, "Left out: %d %s the base has too (--include-inherited lists them).\n",
			res.Inherited, plural(res.Inherited, "finding", "findings"))
	}
	tw := tabwriter.NewWriter(ew, 0, 4, 2, ' ', 0)
	for _, c := range res.Checks {
		if c.Status == Skipped {
			fmt.Fprintf(tw, "  skipped\t%s\t%s\n", c.Rule, c.Reason)
		}
	}
	tw.Flush()
	switch {
	case res.Failed(opts.FatalWarnings) && k.Fatal == 0:
		fmt.Fprintln(ew, "FAIL: warnings are fatal (--fatal-warnings)")
	case res.Failed(opts.FatalWarnings):
		fmt.Fprintf(ew, "FAIL: %d fatal %s\n", k.Fatal, plural(k.Fatal, "finding", "findings"))
	default:
		fmt.Fprintln(ew, "PASS")
	}
	return ew.err
}

// WriteFailures writes, one line each, the findings that fail the gate:
// the fatal ones, and the warnings too when they are fatal. It is for
// stderr, where a build log shows them even when stdout is hidden.
func WriteFailures(w io.Writer, res *Result, fatalWarnings bool) error {
	ew := &errWriter{w: w}
	fmt.Fprintf(ew, "oslayer: FAIL: %s\n", res.Target)
	for _, f := range res.Findings {
		if f.Level == Fatal || fatalWarnings && f.Level == Warning {
			fmt.Fprintf(ew, "oslayer: %s (%s): %s\n", f.Rule, f.Level, findingLine(f))
		}
	}
	return ew.err
}

// findingLine renders one finding: path [package]: message.
func findingLine(f Finding) string {
	var b strings.Builder
	if f.Level == Info {
		b.WriteString("info: ")
	}
	if f.Baseline == Inherited {
		b.WriteString("(inherited) ")
	}
	if f.Path != "" {
		b.WriteString(f.Path)
		if f.Package != "" {
			b.WriteString(" [" + f.Package + "]")
		}
		b.WriteString(": ")
	}
	b.WriteString(f.Message)
	return b.String()
}

// levelOf is the most serious level among findings.
func levelOf(found []Finding) Level {
	l := Info
	for _, f := range found {
		switch {
		case f.Level == Fatal:
			return Fatal
		case f.Level == Warning:
			l = Warning
		}
	}
	return l
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// wrap breaks text into lines of at most width columns, the first line
// prefixed with first, the others with rest.
func wrap(text, first, rest string, width int) string {
	var b strings.Builder
	for i, para := range strings.Split(text, "\n") {
		prefix := first
		if i > 0 {
			prefix = rest
		}
		line := prefix
		for _, word := range strings.Fields(para) {
			if len(line)+len(word)+1 > width && strings.TrimSpace(line) != strings.TrimSpace(prefix) {
				b.WriteString(line + "\n")
				line = rest
			}
			if line != prefix && line != rest {
				line += " "
			}
			line += word
		}
		b.WriteString(line)
		if i < len(strings.Split(text, "\n"))-1 {
			b.WriteString("\n")
		}
	}
	return b.String()
}

// WriteJSON writes the result as indented JSON.
func WriteJSON(w io.Writer, res *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(res)
}

// RuleList is what --list --format json prints: the rules, and the files
// usr-override treats as regenerated.
type RuleList struct {
	Rules       []*Rule      `json:"rules"`
	Regenerated []Regenerate `json:"regenerated"`
}

// WriteRules lists the rules, as a table or JSON.
func WriteRules(w io.Writer, asJSON bool) error {
	if asJSON {
		list := RuleList{Rules: Rules(), Regenerated: Regenerated}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(list)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLEVEL\tSOURCE\tDESCRIPTION")
	for _, r := range Rules() {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Level, r.Source, r.Description)
	}
	return tw.Flush()
}

type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

// humanBytes spells a size in binary units.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
