package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
	"github.com/spf13/pflag"
)

// newManCmd writes the man pages. It is hidden: packagers run it once
// when they build a package, users read the pages it wrote; and it has no
// page of its own.
func newManCmd() *cobra.Command {
	return &cobra.Command{
		Use:    "man DIR",
		Short:  "Write a man page (section 1) for every command into DIR",
		Hidden: true,
		Args:   cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := args[0]
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			root := cmd.Root()
			// No "Auto generated" history with today's date: the pages of
			// one version are the same whenever they are written. The date
			// in the header is $SOURCE_DATE_EPOCH's month, else this one.
			root.DisableAutoGenTag = true
			root.InitDefaultVersionFlag() // cobra adds --version when it runs the root only
			asMarkdown(root, map[*pflag.Flag]bool{})
			header := &doc.GenManHeader{Section: "1", Source: "oslayer " + buildVersion(), Manual: "oslayer manual"}
			if err := doc.GenManTree(root, header, dir); err != nil {
				return fmt.Errorf("writing man pages into %s: %w", dir, err)
			}
			return nil
		},
	}
}

// asMarkdown rewrites the help texts of c and the commands below it, and
// their flags' (each once), as the Markdown the pages are made from: what
// the terminal help shows as it is.
func asMarkdown(c *cobra.Command, done map[*pflag.Flag]bool) {
	c.Short, c.Long = markdownText(c.Short), markdownText(c.Long)
	for _, fs := range []*pflag.FlagSet{c.Flags(), c.PersistentFlags()} {
		fs.VisitAll(func(f *pflag.Flag) {
			if !done[f] {
				done[f] = true
				f.Usage = markdownText(f.Usage)
			}
		})
	}
	for _, sub := range c.Commands() {
		asMarkdown(sub, done)
	}
}

// markdownText turns plain help text into Markdown that reads the same:
// indented lines stay as they are (a code block), and in other lines the
// characters Markdown would take for links, emphasis or HTML are escaped.
func markdownText(s string) string {
	lines := strings.Split(s, "\n")
	var out []string
	code := false
	for _, l := range lines {
		indented := strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")
		switch {
		case indented && !code:
			if len(out) > 0 && out[len(out)-1] != "" {
				out = append(out, "") // a code block starts after a blank line
			}
			code = true
		case !indented && code && l != "":
			out = append(out, "")
			code = false
		}
		if code {
			out = append(out, "    "+l)
		} else {
			out = append(out, markdownEscaper.Replace(l))
		}
	}
	return strings.Join(out, "\n")
}

var markdownEscaper = strings.NewReplacer(`\`, `\\`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`, `<`, `\<`, `>`, `\>`)
