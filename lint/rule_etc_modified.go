package lint

import (
	"context"

	"github.com/oslayer/oslayer/diff"
)

// etcRegenerated are /etc files tools rewrite as a side effect (caches,
// shadow-utils backups): changing them is not configuring the system.
var etcRegenerated = map[string]bool{
	"/etc/ld.so.cache": true, "/etc/passwd-": true, "/etc/group-": true, "/etc/shadow-": true,
	"/etc/gshadow-": true, "/etc/subuid-": true, "/etc/subgid-": true, "/etc/.pwd.lock": true,
}

var etcModified = &Rule{
	ID: "etc-modified", Level: Warning, Source: "oslayer", Relative: true,
	Description: "base files in /etc changed by derived layers",
	Help: "On upgrade, /etc is merged three ways: a machine keeps its own version of every file it changed locally, so your change to a base file in /etc reaches only machines that never edited it. " +
		"Prefer drop-in directories (/etc/ssh/sshd_config.d/, /etc/sudoers.d/, /etc/systemd/system/NAME.d/) or, better, the same under /usr/lib, which is never merged.",
	Check: func(ctx context.Context, t *Target) ([]Finding, error) {
		changes, err := t.baseChanges(ctx)
		if err != nil {
			return nil, err
		}
		var out []Finding
		for _, c := range changes {
			if !under(c.Path, "/etc") || c.Kind == diff.Added || etcRegenerated[c.Path] {
				continue
			}
			out = append(out, finding(c.Path, c.Package, "base file changed: "+whatChanged(c)+t.packageNote(c)+"; machines that edited it keep their version"))
		}
		return out, nil
	},
}
