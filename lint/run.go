package lint

import (
	"cmp"
	"context"
	"fmt"
	"slices"
)

// Run checks the target with every rule the options do not skip.
func Run(ctx context.Context, t *Target) (*Result, error) {
	skip := map[string]bool{}
	for _, id := range t.Options.Skip {
		if _, err := RuleByID(id); err != nil {
			return nil, fmt.Errorf("--skip: %w", err)
		}
		skip[id] = true
	}
	res := &Result{Target: t.Name, Mode: t.Mode(), Findings: []Finding{}, Checks: []Check{}}
	if t.Base != nil {
		res.Base, res.BaseFrom = t.Base.Name, t.Base.From.String()
	}
	for _, r := range Rules() {
		check := Check{Rule: r.ID, Level: r.Level, Status: Passed}
		if skip[r.ID] {
			check.Status, check.Reason = Skipped, "skipped with --skip"
		} else if ok, why := applies(r, t); !ok {
			check.Status, check.Reason = Skipped, why
		}
		if check.Status == Skipped {
			res.Counts.Skipped++
			res.Checks = append(res.Checks, check)
			continue
		}
		found, err := r.Check(ctx, t)
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.ID, err)
		}
		slices.SortStableFunc(found, func(a, b Finding) int { return cmp.Compare(a.Path, b.Path) })
		for _, f := range found {
			f.Rule = r.ID
			if f.Level == "" {
				f.Level = r.Level
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
		if check.Status == Failed {
			res.Counts.Failed++
		} else {
			res.Counts.Passed++
		}
		res.Checks = append(res.Checks, check)
	}
	res.Notes = t.Notes
	return res, nil
}

func applies(r *Rule, t *Target) (bool, string) {
	if r.Applies == nil {
		return true, ""
	}
	return r.Applies(t)
}
