package lint

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/oslayer/oslayer/layer"
)

// ruleRun is what one rule found on one target.
type ruleRun struct {
	rule  *Rule
	check Check
	found []Finding
}

// Run checks the target with every rule the options do not skip. With a
// base, each finding is classified new or inherited (see Baseline) by
// linting the base too; the inherited ones are left out of the findings,
// the counts and the verdict unless Options.IncludeInherited, and counted
// in Result.Inherited.
func Run(ctx context.Context, t *Target) (*Result, error) {
	skip := map[string]bool{}
	for _, id := range t.Options.Skip {
		if _, err := RuleByID(id); err != nil {
			return nil, fmt.Errorf("--skip: %w", err)
		}
		skip[id] = true
	}
	runs, err := runRules(ctx, t, skip, false)
	if err != nil {
		return nil, err
	}
	res := &Result{Target: t.Name, Mode: t.Mode(), Findings: []Finding{}, Checks: []Check{}}
	if rel, err := layer.ReleaseOf(t.Labels()); err == nil && !rel.IsZero() {
		res.Release = &rel
	}
	if t.Base != nil {
		res.Base, res.BaseFrom = t.Base.Name, t.Base.From.String()
	}
	if t.Base != nil && !t.Base.Whole {
		if err := baseline(ctx, t, skip, runs); err != nil {
			return nil, err
		}
	}
	for _, rr := range runs {
		check := rr.check
		for _, f := range rr.found {
			if f.Baseline == Inherited && !t.Options.IncludeInherited {
				res.Inherited++
				continue
			}
			switch f.Level {
			case Fatal:
				res.Counts.Fatal++
			case Warning:
				res.Counts.Warning++
			case Info:
				res.Counts.Info++
			}
			if f.Level != Info {
				check.Status = Failed
			}
			res.Findings = append(res.Findings, f)
		}
		switch check.Status {
		case Skipped:
			res.Counts.Skipped++
		case Failed:
			res.Counts.Failed++
		default:
			res.Counts.Passed++
		}
		res.Checks = append(res.Checks, check)
	}
	res.Notes = t.Notes
	if p := t.Previous; p != nil {
		res.Update = &Update{Previous: p.Name, Download: p.Download}
	}
	return res, nil
}

// runRules runs every rule not skipped on t, sorting each rule's findings
// by path; onBase leaves out the rules relative to a base.
func runRules(ctx context.Context, t *Target, skip map[string]bool, onBase bool) ([]ruleRun, error) {
	var out []ruleRun
	for _, r := range Rules() {
		if r.Upgrade && t.Previous == nil {
			continue // checks of an upgrade, for lint --previous only
		}
		if r.Extension != (t.Extension != nil) {
			continue // an extension image and a bootable image have their own rules
		}
		rr := ruleRun{rule: r, check: Check{Rule: r.ID, Level: r.Level, Status: Passed}}
		if skip[r.ID] {
			rr.check.Status, rr.check.Reason = Skipped, "skipped with --skip"
		} else if ok, why := applies(r, t); !ok {
			rr.check.Status, rr.check.Reason = Skipped, why
		}
		if rr.check.Status == Skipped || onBase && r.Relative {
			out = append(out, rr)
			continue
		}
		found, err := r.Check(ctx, t)
		if err != nil {
			if onBase {
				return nil, fmt.Errorf("rule %s on the base %s: %w", r.ID, t.Name, err)
			}
			return nil, fmt.Errorf("rule %s: %w", r.ID, err)
		}
		slices.SortStableFunc(found, func(a, b Finding) int { return cmp.Compare(a.Path, b.Path) })
		for i := range found {
			found[i].Rule = r.ID
			if found[i].Level == "" {
				found[i].Level = r.Level
			}
		}
		rr.found = found
		out = append(out, rr)
	}
	return out, nil
}

// baseline lints the target's base and classifies the target's findings.
func baseline(ctx context.Context, t *Target, skip map[string]bool, runs []ruleRun) error {
	baseRuns, err := runRules(ctx, t.baseTarget(), skip, true)
	if err != nil {
		return err
	}
	var base []Finding
	relative := map[string]bool{}
	for _, rr := range baseRuns {
		base = append(base, rr.found...)
		if rr.rule.Relative {
			relative[rr.rule.ID] = true
		}
	}
	changed := changesOf(t.Base)
	for i := range runs {
		classify(runs[i].found, relative, changed, base)
	}
	return nil
}

func applies(r *Rule, t *Target) (bool, string) {
	if r.Applies == nil {
		return true, ""
	}
	return r.Applies(t)
}
