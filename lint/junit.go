package lint

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// junitClassname is the classname of every test case: CI systems group
// test cases by it.
const junitClassname = "oslayer.lint"

// The JUnit XML elements oslayer writes: the subset that Jenkins' and
// GitLab's JUnit parsers read.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Skipped  int          `xml:"skipped,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Properties []junitProperty `xml:"properties>property,omitempty"`
		Cases      []junitCase     `xml:"testcase"`
		SystemOut  *junitText      `xml:"system-out"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		Classname string        `xml:"classname,attr"`
		Name      string        `xml:"name,attr"`
		Skipped   *junitSkipped `xml:"skipped"`
		Failure   *junitFailure `xml:"failure"`
		SystemOut *junitText    `xml:"system-out"`
	}
	// junitText is text kept as CDATA, so that lists read one per line.
	junitText struct {
		Text string `xml:",cdata"`
	}
	junitSkipped struct {
		Message string `xml:"message,attr"`
	}
	junitFailure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",cdata"`
	}
)

// WriteJUnit writes the result as JUnit XML for CI test reports (Jenkins,
// GitLab): one test suite for the target, one test case per rule. A rule
// skipped is a skipped test; a rule with fatal findings, or with warnings
// when fatalWarnings is set, fails with one failure listing them, one per
// line. Its other findings (warnings that do not fail, info) are listed in
// the test case's system-out, so a test fails exactly when the result
// fails the gate for that rule.
func WriteJUnit(w io.Writer, res *Result, fatalWarnings bool) error {
	byRule := map[string][]Finding{}
	for _, f := range res.Findings {
		byRule[f.Rule] = append(byRule[f.Rule], f)
	}
	suite := junitSuite{Name: "oslayer lint " + res.Target}
	for _, p := range [][2]string{
		{"target", res.Target}, {"mode", res.Mode}, {"base", res.Base}, {"base_from", res.BaseFrom},
		{"fatal_warnings", fmt.Sprint(fatalWarnings)},
	} {
		if p[1] != "" {
			suite.Properties = append(suite.Properties, junitProperty{Name: p[0], Value: p[1]})
		}
	}
	if len(res.Notes) > 0 {
		suite.SystemOut = &junitText{xmlSafe(strings.Join(res.Notes, "\n") + "\n")}
	}

	addCase := func(rule string, skipped *junitSkipped) {
		tc := junitCase{Classname: junitClassname, Name: rule, Skipped: skipped}
		var failing, other []Finding
		for _, f := range byRule[rule] {
			if f.Level == Fatal || (fatalWarnings && f.Level == Warning) {
				failing = append(failing, f)
			} else {
				other = append(other, f)
			}
		}
		delete(byRule, rule)
		if len(failing) > 0 && skipped == nil {
			typ := Warning
			for _, f := range failing {
				if f.Level == Fatal {
					typ = Fatal
				}
			}
			tc.Failure = &junitFailure{
				Message: fmt.Sprintf("%d %s", len(failing), plural(len(failing), "finding", "findings")),
				Type:    string(typ),
				Text:    junitLines(failing),
			}
			suite.Failures++
		} else {
			other = append(failing, other...)
		}
		if len(other) > 0 {
			tc.SystemOut = &junitText{junitLines(other)}
		}
		if skipped != nil {
			suite.Skipped++
		}
		suite.Tests++
		suite.Cases = append(suite.Cases, tc)
	}
	for _, c := range res.Checks {
		var skipped *junitSkipped
		if c.Status == Skipped {
			skipped = &junitSkipped{Message: c.Reason}
		}
		addCase(c.Rule, skipped)
	}
	// Findings of a rule without a check (not from Run) still get a test
	// case, in the order they come.
	for _, f := range res.Findings {
		if _, ok := byRule[f.Rule]; ok {
			addCase(f.Rule, nil)
		}
	}

	doc := junitSuites{
		Name:     "oslayer lint",
		Tests:    suite.Tests,
		Failures: suite.Failures,
		Skipped:  suite.Skipped,
		Suites:   []junitSuite{suite},
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("writing JUnit XML: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("writing JUnit XML: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("writing JUnit XML: %w", err)
	}
	return nil
}

// junitLines lists findings one per line, "path [package]: message",
// non-fatal ones prefixed with their level.
func junitLines(found []Finding) string {
	var b strings.Builder
	for _, f := range found {
		if f.Level != Fatal {
			b.WriteString(string(f.Level) + ": ")
		}
		switch {
		case f.Path != "" && f.Package != "":
			b.WriteString(f.Path + " [" + f.Package + "]: ")
		case f.Path != "":
			b.WriteString(f.Path + ": ")
		case f.Package != "":
			b.WriteString("[" + f.Package + "]: ")
		}
		b.WriteString(f.Message)
		b.WriteString("\n")
	}
	return xmlSafe(b.String())
}

// xmlSafe replaces what XML 1.0 cannot carry (control characters, invalid
// UTF-8) with U+FFFD. encoding/xml does so for attributes and escaped
// text, not for CDATA.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t', r == '\n', r == '\r',
			0x20 <= r && r <= 0xD7FF, 0xE000 <= r && r <= 0xFFFD, 0x10000 <= r && r <= 0x10FFFF:
			return r
		}
		return '\uFFFD'
	}, s)
}
