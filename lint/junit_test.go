package lint

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var updateJUnit = flag.Bool("update-junit", false, "rewrite lint/testdata/junit golden files")

// The JUnit XML as CI systems read it, decoded independently of the
// writer's types.
type (
	readSuites struct {
		XMLName  xml.Name    `xml:"testsuites"`
		Name     string      `xml:"name,attr"`
		Tests    int         `xml:"tests,attr"`
		Failures int         `xml:"failures,attr"`
		Errors   int         `xml:"errors,attr"`
		Skipped  int         `xml:"skipped,attr"`
		Suites   []readSuite `xml:"testsuite"`
	}
	readSuite struct {
		Name       string `xml:"name,attr"`
		Tests      int    `xml:"tests,attr"`
		Failures   int    `xml:"failures,attr"`
		Errors     int    `xml:"errors,attr"`
		Skipped    int    `xml:"skipped,attr"`
		Properties []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases     []readCase `xml:"testcase"`
		SystemOut string     `xml:"system-out"`
	}
	readCase struct {
		Classname string `xml:"classname,attr"`
		Name      string `xml:"name,attr"`
		Skipped   []struct {
			Message string `xml:"message,attr"`
		} `xml:"skipped"`
		Failures []struct {
			Message string `xml:"message,attr"`
			Type    string `xml:"type,attr"`
			Text    string `xml:",chardata"`
		} `xml:"failure"`
		Errors    []struct{} `xml:"error"`
		SystemOut string     `xml:"system-out"`
	}
)

func readJUnit(t *testing.T, res *Result, fatalWarnings bool) (readSuites, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, res, fatalWarnings); err != nil {
		t.Fatal(err)
	}
	var doc readSuites
	dec := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
	dec.Strict = true
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("output is not well-formed JUnit XML: %v\n%s", err, buf.Bytes())
	}
	return doc, buf.Bytes()
}

// xmlText is s as it reads back from XML: characters XML cannot carry
// become U+FFFD.
func xmlText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' {
			return '\uFFFD'
		}
		return r
	}, s)
}

func TestJUnitCounts(t *testing.T) {
	res := hostileResult("docker://quay.io/example/os:<candidate> & \"ü\"")
	for _, tc := range []struct {
		name          string
		fatalWarnings bool
		// failing maps the rules that fail to their failure's type and
		// number of findings.
		failing map[string][2]string
	}{
		{"warnings pass", false, map[string][2]string{
			"usr-override": {"fatal", "2 findings"},
			"kernel":       {"fatal", "1 finding"},
		}},
		{"warnings fatal", true, map[string][2]string{
			"usr-override": {"fatal", "2 findings"},
			"kernel":       {"fatal", "1 finding"},
			"var-log":      {"warning", "2 findings"},
			"setuid-added": {"warning", "1 finding"},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			doc, out := readJUnit(t, res, tc.fatalWarnings)
			if len(doc.Suites) != 1 {
				t.Fatalf("%d test suites, want 1", len(doc.Suites))
			}
			s := doc.Suites[0]
			if doc.Name != "oslayer lint" || s.Name != "oslayer lint "+res.Target {
				t.Errorf("names %q, %q", doc.Name, s.Name)
			}
			tests, skipped, failures := len(res.Checks), len(hostileSkips), len(tc.failing)
			for _, got := range [][4]int{
				{doc.Tests, doc.Failures, doc.Skipped, doc.Errors},
				{s.Tests, s.Failures, s.Skipped, s.Errors},
				{len(s.Cases), countCases(s, func(c readCase) bool { return len(c.Failures) > 0 }),
					countCases(s, func(c readCase) bool { return len(c.Skipped) > 0 }),
					countCases(s, func(c readCase) bool { return len(c.Errors) > 0 })},
			} {
				if want := [4]int{tests, failures, skipped, 0}; got != want {
					t.Errorf("tests, failures, skipped, errors = %v, want %v\n%s", got, want, out)
				}
			}
			if res.Failed(tc.fatalWarnings) != (doc.Failures > 0) {
				t.Errorf("JUnit failures %d disagree with the gate", doc.Failures)
			}

			for i, c := range s.Cases {
				if c.Classname != "oslayer.lint" || c.Name != res.Checks[i].Rule {
					t.Errorf("testcase %d is %s.%s, want oslayer.lint.%s", i, c.Classname, c.Name, res.Checks[i].Rule)
				}
				if why, ok := hostileSkips[c.Name]; ok {
					if len(c.Skipped) != 1 || c.Skipped[0].Message != why {
						t.Errorf("%s: skipped %+v, want message %q", c.Name, c.Skipped, why)
					}
					continue
				}
				want, fails := tc.failing[c.Name]
				if !fails {
					if len(c.Failures) != 0 {
						t.Errorf("%s fails: %+v", c.Name, c.Failures)
					}
				} else if len(c.Failures) != 1 || c.Failures[0].Type != want[0] || c.Failures[0].Message != want[1] {
					t.Errorf("%s: failures %+v, want one of type %s, message %q", c.Name, c.Failures, want[0], want[1])
				}
				var failText string
				if len(c.Failures) == 1 {
					failText = c.Failures[0].Text
				}
				for _, f := range res.Findings {
					if f.Rule != c.Name {
						continue
					}
					failed := f.Level == Fatal || (tc.fatalWarnings && f.Level == Warning)
					where, other := failText, c.SystemOut
					if !failed {
						where, other = c.SystemOut, failText
					}
					line := findingTextLine(f)
					if !containsLine(where, line) || containsLine(other, line) {
						t.Errorf("%s: finding %q not (only) in its %s:\nfailure:\n%s\nsystem-out:\n%s",
							c.Name, line, map[bool]string{true: "failure", false: "system-out"}[failed], failText, c.SystemOut)
					}
				}
				if len(c.Failures) == 1 {
					if lines := strings.Count(failText, "\n"); !strings.HasPrefix(want[1], strconv.Itoa(lines)+" ") {
						t.Errorf("%s: %d lines for %q", c.Name, lines, want[1])
					}
				}
			}
			props := map[string]string{}
			for _, p := range s.Properties {
				props[p.Name] = p.Value
			}
			if props["target"] != res.Target || props["base"] != res.Base {
				t.Errorf("properties %v lack the target and base", props)
			}
			if !strings.Contains(s.SystemOut, res.Notes[0]) {
				t.Errorf("suite system-out %q lacks the notes", s.SystemOut)
			}
		})
	}
}

func countCases(s readSuite, pred func(readCase) bool) int {
	n := 0
	for _, c := range s.Cases {
		if pred(c) {
			n++
		}
	}
	return n
}

// findingTextLine is how a finding should read back from the report:
// "path [package]: message", non-fatal ones prefixed with their level.
func findingTextLine(f Finding) string {
	var b strings.Builder
	if f.Level != Fatal {
		b.WriteString(string(f.Level) + ": ")
	}
	if f.Path != "" {
		b.WriteString(f.Path)
		if f.Package != "" {
			b.WriteString(" ")
		}
	}
	if f.Package != "" {
		b.WriteString("[" + f.Package + "]")
	}
	if f.Path != "" || f.Package != "" {
		b.WriteString(": ")
	}
	b.WriteString(f.Message)
	return xmlText(b.String())
}

func containsLine(text, line string) bool {
	for _, l := range strings.Split(text, "\n") {
		if l == line {
			return true
		}
	}
	return false
}

func TestJUnitNoFindings(t *testing.T) {
	res := &Result{Target: "/", Mode: "rootfs", Checks: []Check{
		{Rule: "kernel", Level: Fatal, Status: Passed},
		{Rule: "var-log", Level: Warning, Status: Skipped},
	}}
	doc, out := readJUnit(t, res, true)
	s := doc.Suites[0]
	if doc.Tests != 2 || doc.Failures != 0 || doc.Skipped != 1 || len(s.Cases) != 2 {
		t.Fatalf("tests %d failures %d skipped %d cases %d\n%s", doc.Tests, doc.Failures, doc.Skipped, len(s.Cases), out)
	}
	if c := s.Cases[0]; len(c.Failures)+len(c.Skipped) != 0 || c.SystemOut != "" {
		t.Errorf("passing case %+v has content", c)
	}
	if bytes.Contains(out, []byte("<system-out")) {
		t.Errorf("empty system-out written:\n%s", out)
	}
}

// The golden file shows what CI systems get; -update-junit rewrites it.
func TestJUnitGolden(t *testing.T) {
	res := &Result{
		Target: "oci:build:latest", Mode: "image",
		Findings: []Finding{
			{Rule: "usr-override", Level: Fatal, Path: "/usr/bin/yes", Package: "coreutils", Message: `content differs from the base <sha256:…> & "mode"`},
			{Rule: "usr-override", Level: Info, Path: "/usr/lib/os-release", Message: "allowed by --allow-override-path"},
			{Rule: "var-log", Level: Warning, Path: "/var/log/dnf.log", Message: "log file shipped in the image"},
		},
		Checks: []Check{
			{Rule: "usr-override", Level: Fatal, Status: Failed},
			{Rule: "var-log", Level: Warning, Status: Failed},
			{Rule: "kernel", Level: Fatal, Status: Passed},
			{Rule: "sysusers", Level: Warning, Status: Skipped, Reason: "skipped with --skip"},
		},
	}
	for _, fw := range []bool{false, true} {
		name := "golden.xml"
		if fw {
			name = "golden-fatal-warnings.xml"
		}
		var buf bytes.Buffer
		if err := WriteJUnit(&buf, res, fw); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join("testdata", "junit", name)
		if *updateJUnit {
			if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(file)
		if err != nil {
			t.Fatalf("%v (run go test -run JUnitGolden -update-junit)", err)
		}
		if !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s differs (go test -run JUnitGolden -update-junit rewrites it):\n--- want\n%s\n--- got\n%s", file, want, buf.Bytes())
		}
	}
}
