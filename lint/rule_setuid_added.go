package lint

import (
	"context"
	"fmt"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/layer"
)

var setuidAdded = &Rule{
	ID: "setuid-added", Level: Warning, Source: "oslayer", Relative: true,
	Description: "new setuid/setgid files anywhere, world-writable files under /usr",
	Help: "Every setuid or setgid binary is a privilege escalation path and should be deliberate: prefer file capabilities (setcap) or a systemd service. " +
		"World-writable files under /usr are read-only on a booted system anyway and usually a build mistake (chmod 777).",
	Check: func(ctx context.Context, t *Target) ([]Finding, error) {
		var out []Finding
		if t.Base != nil {
			for _, c := range t.Base.Changes {
				if c.New == nil {
					continue
				}
				mode, oldBits := diff.Mode(c.New.Mode), diff.Mode(0)
				if c.Old != nil {
					oldBits = diff.Mode(c.Old.Mode) & setIDBits
				}
				if added := mode & setIDBits &^ oldBits; added != 0 {
					out = append(out, finding(c.Path, c.Package, fmt.Sprintf("%s added (mode %s)", bitNames(added), mode)))
				}
				if under(c.Path, "/usr") && worldWritable(c.New.Type, mode) {
					out = append(out, finding(c.Path, c.Package, fmt.Sprintf("world-writable (mode %s)", mode)))
				}
			}
			return out, nil
		}
		// No base: setuid files the package records do not explain.
		changes, err := t.Verified(ctx)
		if err != nil {
			return nil, err
		}
		modeChanged := map[string]bool{}
		for _, c := range changes {
			if c.Kind == diff.Metadata || c.Kind == diff.Modified {
				modeChanged[c.Path] = true
			}
		}
		for p, n := range t.Tree.Walk() {
			abs := "/" + p
			mode := diff.Mode(n.Mode)
			if n.Type == layer.TypeRegular && mode&setIDBits != 0 {
				if owner := t.Owners.Of(abs, false); owner == "" || modeChanged[abs] {
					out = append(out, finding(abs, owner, fmt.Sprintf("%s file (mode %s) no package installed so", bitNames(mode&setIDBits), mode)))
				}
			}
			if under(abs, "/usr") && worldWritable(n.Type, mode) {
				out = append(out, finding(abs, t.Owners.Of(abs, n.Type == layer.TypeDir), fmt.Sprintf("world-writable (mode %s)", mode)))
			}
		}
		return out, nil
	},
}

// setIDBits are the setuid and setgid bits.
const setIDBits diff.Mode = 0o6000

func bitNames(bits diff.Mode) string {
	switch bits {
	case 0o4000:
		return "setuid"
	case 0o2000:
		return "setgid"
	}
	return "setuid and setgid"
}

// worldWritable: files and directories others can write; a sticky
// directory (like /tmp) is still reported under /usr.
func worldWritable(typ layer.Type, mode diff.Mode) bool {
	return (typ == layer.TypeRegular || typ == layer.TypeDir) && mode&0o002 != 0
}
