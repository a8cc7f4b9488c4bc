package lint

import "github.com/oslayer/oslayer/layer"

// Level says how serious a finding is.
type Level string

// Levels, most serious first.
const (
	// Fatal findings break a bootable image (or break policy): lint fails.
	Fatal Level = "fatal"
	// Warning findings should be fixed; they fail lint only with
	// --fatal-warnings.
	Warning Level = "warning"
	// Info findings are reported and never fail lint.
	Info Level = "info"
)

// Finding is one problem a rule found.
type Finding struct {
	Rule  string `json:"rule"`
	Level Level  `json:"level"`
	// Path is the absolute path concerned, if any.
	Path string `json:"path,omitempty"`
	// Package owns Path, if a package database says so.
	Package string `json:"package,omitempty"`
	// Message says what is wrong, in one line.
	Message string `json:"message"`
	// Baseline says, when the target has a base, whether the derived
	// layers caused the finding.
	Baseline Baseline `json:"baseline,omitempty"`
}

// Status of a rule in a run.
type Status string

// Statuses.
const (
	Passed  Status = "passed"
	Failed  Status = "failed"
	Skipped Status = "skipped"
)

// Check is the outcome of one rule.
type Check struct {
	Rule   string `json:"rule"`
	Level  Level  `json:"level"`
	Status Status `json:"status"`
	// Reason says why a rule was skipped.
	Reason string `json:"reason,omitempty"`
}

// Counts sums up a run.
type Counts struct {
	Fatal   int `json:"fatal"`
	Warning int `json:"warning"`
	Info    int `json:"info"`
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped"`
}

// Result is the outcome of linting one target.
type Result struct {
	Target string `json:"target"`
	// Mode is "image" or "rootfs".
	Mode string `json:"mode"`
	// Release is what the image's release labels say, when they say
	// anything and are well-formed (release-labels checks them).
	Release  *layer.Release `json:"release,omitempty"`
	Base     string         `json:"base,omitempty"`
	BaseFrom string         `json:"base_from,omitempty"`
	Notes    []string       `json:"notes,omitempty"`
	Findings []Finding      `json:"findings"`
	Checks   []Check        `json:"checks"`
	// Counts count the findings listed: with a base, the new ones only
	// unless inherited ones are included.
	Counts Counts `json:"counts"`
	// Inherited is how many findings the base has too that were left out.
	Inherited int `json:"inherited_left_out,omitempty"`
	// Update is what the upgrade from the previous release costs, with
	// --previous.
	Update *Update `json:"update,omitempty"`
}

// Failed reports whether the result fails the gate: any fatal finding, or
// any warning when warnings are fatal.
func (r *Result) Failed(fatalWarnings bool) bool {
	return r.Counts.Fatal > 0 || (fatalWarnings && r.Counts.Warning > 0)
}
