package sysext

import (
	"fmt"
	"strings"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/internal/enum"
	"github.com/oslayer/oslayer/layer"
)

// ProblemKind is why a change of the derived layers cannot go into an
// extension.
type ProblemKind uint8

const (
	// Outside: the path is outside the hierarchies of every extension
	// built (/var, /srv, /etc for a sysext, ...); systemd would not merge
	// it. Options.IgnoreOutside leaves such paths out instead.
	Outside ProblemKind = iota + 1
	// Changed: a base file's content, metadata or type changed. An
	// overlay merged on another host version would replace that version's
	// file; Options.AllowOverride ships it anyway.
	Changed
	// Removed: a base file was removed. Whiteouts are never written into
	// an extension image: an overlay cannot remove the host's files.
	Removed
	// Forbidden: content systemd refuses in an extension
	// (/usr/lib/os-release), or the extension-release file oslayer writes.
	Forbidden
)

var problemNames = enum.Names[ProblemKind]{Outside: "outside", Changed: "changed", Removed: "removed", Forbidden: "forbidden"}

func (k ProblemKind) String() string { return problemNames.Name(k, "problem") }

// MarshalText spells the kind as String does, for JSON output.
func (k ProblemKind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (k *ProblemKind) UnmarshalText(b []byte) error { return problemNames.Parse(b, "problem", k) }

// Problem is one change that keeps an extension from being written.
type Problem struct {
	Kind ProblemKind `json:"kind"`
	// Path is absolute.
	Path string `json:"path"`
	// Change is what the derived layers did at Path.
	Change diff.Kind `json:"change"`
	// Package owns the path: in the base for a change of base content, in
	// the derived image for an added path.
	Package string `json:"package,omitempty"`
	// Details say how a changed base file differs ("content", "mode 0644
	// -> 0755").
	Details []string `json:"details,omitempty"`
	// Below counts the paths under Path the problem covers too: a
	// directory added or removed whole.
	Below int `json:"below,omitempty"`
	// Node is the path in the derived image; nil for a removed one.
	Node *layer.Node `json:"-"`
}

// Message says what is wrong and how to fix it, in one line.
func (p Problem) Message() string {
	var b strings.Builder
	switch p.Kind {
	case Outside:
		fmt.Fprintf(&b, "%s %s outside the extension's hierarchies", p.Path, p.Change)
	case Changed:
		fmt.Fprintf(&b, "%s: base file %s (%s): an extension merged on another host version would replace that version's file; --allow-override ships it anyway", p.Path, p.Change, strings.Join(p.Details, ", "))
	case Removed:
		fmt.Fprintf(&b, "%s: base file removed: an extension cannot remove the host's files", p.Path)
	case Forbidden:
		if p.Path == "/usr/lib/os-release" {
			fmt.Fprintf(&b, "%s: systemd refuses extensions that carry the host's os-release", p.Path)
		} else {
			fmt.Fprintf(&b, "%s: oslayer writes this file from the base's os-release (--id, --version-id, --level, --any-os change it); the layers must not", p.Path)
		}
	}
	switch {
	case p.Below == 1:
		b.WriteString(" (and 1 path below it)")
	case p.Below > 1:
		fmt.Fprintf(&b, " (and %d paths below it)", p.Below)
	}
	if p.Package != "" {
		fmt.Fprintf(&b, " [%s]", p.Package)
	}
	return b.String()
}
