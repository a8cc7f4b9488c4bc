package lint

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
)

var presetUpdateLost = &Rule{
	ID: "preset-update-lost", Level: Warning, Source: "oslayer", Relative: true, Upgrade: true,
	Description: "units the new release enables only through a preset stay disabled on upgraded machines",
	Help: "systemd applies presets when a machine boots for the first time (systemctl preset-all on a new machine id); a preset that a later release adds or changes enables its unit on new installs only, never on machines that upgrade. " +
		"Enable the unit statically in the image: a symlink in /usr/lib/systemd/system/TARGET.wants/ (TARGET from the unit's [Install] WantedBy=), which every deployment carries; " +
		"or, for a unit that must stay switchable, keep the preset and enable it on upgraded machines yourself (a oneshot unit that runs systemctl preset UNIT once).",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		prev := t.Previous
		newPresets, oldPresets := readPresets(t.Tree.FS()), readPresets(prev.Tree.FS())
		newUnits, oldUnits := readUnits(t.Tree.FS()), readUnits(prev.Tree.FS())
		var out []Finding
		for _, unit := range slices.Sorted(maps.Keys(newUnits)) {
			in := newUnits[unit]
			rule, enabled := newPresets.enables(unit)
			if !in.Installable || !enabled || staticallyEnabled(t.Tree, unit) {
				continue
			}
			if old, had := oldUnits[unit]; had && old.Installable {
				if _, was := oldPresets.enables(unit); was {
					continue // machines enabled it at their first boot already
				}
			}
			fix := "a static link"
			if targets := append(in.WantedBy, in.RequiredBy...); len(targets) > 0 {
				var links []string
				for _, target := range in.WantedBy {
					links = append(links, "/usr/lib/systemd/system/"+target+".wants/"+unit)
				}
				for _, target := range in.RequiredBy {
					links = append(links, "/usr/lib/systemd/system/"+target+".requires/"+unit)
				}
				fix = "ln -s ../" + unit + " " + strings.Join(links, ", ")
			}
			p := "/usr/lib/systemd/system/" + unit
			if t.lookup(p) == nil {
				p = "/etc/systemd/system/" + unit
			}
			out = append(out, finding(p, t.Owners.Of(p, false), fmt.Sprintf("%s enables %s only through a preset the previous release did not have: upgraded machines never enable it; fix: %s", rule.file, unit, fix)))
		}
		return out, nil
	},
}
