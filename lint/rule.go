package lint

import (
	"cmp"
	"context"
	"fmt"
	"slices"
)

// Rule is one check.
type Rule struct {
	// ID is stable: it is what --skip, SARIF and JUnit name.
	ID string `json:"id"`
	// Level is the level of the rule's findings, unless a finding says
	// otherwise (usr-override allowed by a label is Info).
	Level Level `json:"level"`
	// Description says what the rule checks, in one line.
	Description string `json:"description"`
	// Help says why it matters and how to fix it.
	Help string `json:"help"`
	// Source is "bootc" for the checks of bootc container lint, "oslayer"
	// for oslayer's own.
	Source string `json:"source"`
	// Relative rules judge only what a derived image changed in its base
	// (usr-override, setuid-added): with a base, each of their findings is
	// new, and they are not run on the base.
	Relative bool `json:"relative,omitempty"`
	// Upgrade rules judge the upgrade from the previous release: they run
	// only with one (lint --previous).
	Upgrade bool `json:"upgrade,omitempty"`
	// Applies, when set, says whether the rule can judge the target, and
	// if not why (the rule is then skipped).
	Applies func(t *Target) (bool, string) `json:"-"`
	// Check inspects the target.
	Check func(ctx context.Context, t *Target) ([]Finding, error) `json:"-"`
}

// Rules returns every rule, sorted by ID.
func Rules() []*Rule {
	out := slices.Clone(rules)
	slices.SortFunc(out, func(a, b *Rule) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// RuleByID returns the rule with the given ID.
func RuleByID(id string) (*Rule, error) {
	for _, r := range rules {
		if r.ID == id {
			return r, nil
		}
	}
	return nil, fmt.Errorf("no rule %q (oslayer lint --list names them)", id)
}

// finding returns a finding; Run fills in the rule and, unless set, its
// level.
func finding(path, pkg, msg string) Finding {
	return Finding{Path: path, Package: pkg, Message: msg}
}
