package lint

import (
	"context"

	"github.com/oslayer/oslayer/diff"
)

// OverrideLabel allows an image to change base content under /usr, as
// proposed in the CoreOS layering design (coreos/enhancements#7).
const OverrideLabel = "ostree.override"

var usrOverride = &Rule{
	ID: "usr-override", Level: Fatal, Source: "oslayer", Relative: true,
	Description: "derived layers may add to /usr but not change, remove or retype base files",
	Help: "A derived image that overwrites base content under /usr silently diverges from its base: the next base update may ship a different version of the file, and the override hides it (or breaks it). " +
		"Install software in new paths, or upgrade the owning package on purpose. If the override is intended, say so: LABEL ostree.override=true in the Containerfile (findings become info), " +
		"or --allow-override / --allow-override-path GLOB (inside a build, where labels are not visible). Files package managers regenerate when packages are added (the rpm database, icon and font caches, ...) are not overrides; `oslayer lint --list --format json` lists them.",
	Check: func(ctx context.Context, t *Target) ([]Finding, error) {
		if t.Options.AllowOverride {
			return nil, nil
		}
		changes, err := t.baseChanges(ctx)
		if err != nil {
			return nil, err
		}
		labelled := t.Labels()[OverrideLabel] == "true"
		var out []Finding
		for _, c := range changes {
			if !under(c.Path, "/usr") || c.Kind == diff.Added || regenerated(c.Path) || allowedPath(t.Options.AllowOverridePaths, c.Path) {
				continue
			}
			f := finding(c.Path, c.Package, "base file changed: "+whatChanged(c)+t.packageNote(c))
			if labelled {
				f.Level = Info
				f.Message += " (allowed by LABEL " + OverrideLabel + "=true)"
			}
			out = append(out, f)
		}
		return out, nil
	},
}

func allowedPath(patterns []string, p string) bool {
	for _, pat := range patterns {
		if MatchPath(pat, p) {
			return true
		}
	}
	return false
}
