package butane

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	bconfig "github.com/coreos/butane/config"
	"github.com/coreos/butane/config/common"
	ignconfig "github.com/coreos/ignition/v2/config"
	"github.com/coreos/ignition/v2/config/v3_7_experimental/types"
	"github.com/coreos/vcontext/report"
)

// Options tune Translate.
type Options struct {
	// FilesDir is where local: sources are read from; without it they are
	// an error, as in Butane.
	FilesDir string
	// Strict makes warnings fatal.
	Strict bool
}

// Config is a translated Butane config.
type Config struct {
	// Name is the config's file name, for messages.
	Name string
	// Version is the Ignition spec version Butane produced ("3.4.0").
	Version string
	// Raw is the Ignition config as Butane produced it.
	Raw []byte
	// Ign is Raw parsed into Ignition's newest types.
	Ign types.Config
}

// Message is one entry of Butane's or Ignition's report.
type Message struct {
	File         string
	Line, Column int64 // 0 when unknown
	Level        string
	Path         string // $.storage.files.0.path
	Text         string
}

// String formats a message as compilers do: config.bu:5:7: warning: text.
func (m Message) String() string {
	var b strings.Builder
	b.WriteString(m.File)
	if m.Line > 0 {
		fmt.Fprintf(&b, ":%d:%d", m.Line, m.Column)
	}
	fmt.Fprintf(&b, ": %s: %s", m.Level, m.Text)
	if m.Path != "" {
		fmt.Fprintf(&b, " (at %s)", m.Path)
	}
	return b.String()
}

// ErrStrict is returned when --strict turns warnings into failures.
var ErrStrict = errors.New("warnings are fatal with --strict")

// Translate translates a Butane config of any variant and version Butane
// knows into Ignition, and parses the result. Messages are returned even
// with an error; a translation error is also described by them.
func Translate(name string, input []byte, opts Options) (*Config, []Message, error) {
	raw, rep, err := bconfig.TranslateBytes(input, common.TranslateBytesOptions{
		TranslateOptions: common.TranslateOptions{FilesDir: opts.FilesDir},
		Raw:              true, // openshift: the Ignition config, not a MachineConfig
	})
	msgs := messages(name, rep)
	if err != nil {
		if len(msgs) == 0 || !rep.IsFatal() {
			msgs = append(msgs, Message{File: name, Level: "error", Text: err.Error()})
		}
		return nil, msgs, fmt.Errorf("%s: translating: %w", name, errFrom(msgs))
	}
	cfg, prep, err := ignconfig.Parse(raw)
	// Ignition's own report repeats what Butane validated already, with
	// positions in the generated JSON: keep only what is new, unpositioned.
	for _, m := range messages(name, prep) {
		m.Line, m.Column = 0, 0
		if !slices.ContainsFunc(msgs, func(b Message) bool { return b.Text == m.Text && b.Path == m.Path }) {
			msgs = append(msgs, m)
		}
	}
	if err != nil {
		return nil, msgs, fmt.Errorf("%s: the Ignition config does not parse: %w", name, err)
	}
	if opts.Strict {
		for _, m := range msgs {
			if m.Level == "warning" {
				return nil, msgs, fmt.Errorf("%s: %w", name, ErrStrict)
			}
		}
	}
	var head struct {
		Ignition struct{ Version string }
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return nil, msgs, fmt.Errorf("%s: %w", name, err)
	}
	return &Config{Name: name, Version: head.Ignition.Version, Raw: raw, Ign: cfg}, msgs, nil
}

func messages(name string, rep report.Report) []Message {
	var out []Message
	for _, e := range rep.Entries {
		m := Message{File: name, Level: levelName(e.Kind), Text: e.Message}
		if e.Context.Len() > 0 {
			m.Path = e.Context.String()
		}
		if p := e.Marker.StartP; p != nil {
			m.Line, m.Column = p.Line, p.Column
		}
		out = append(out, m)
	}
	return out
}

func levelName(k report.EntryKind) string {
	switch k {
	case report.Error:
		return "error"
	case report.Warn:
		return "warning"
	}
	return "info"
}

// errFrom sums up the error messages of a failed translation.
func errFrom(msgs []Message) error {
	var errs []string
	for _, m := range msgs {
		if m.Level == "error" {
			errs = append(errs, m.Text)
		}
	}
	if len(errs) == 0 {
		return errors.New("failed")
	}
	return errors.New(strings.Join(errs, "; "))
}
