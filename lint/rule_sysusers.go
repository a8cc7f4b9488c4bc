package lint

import (
	"context"
	"fmt"
)

var sysusersRule = &Rule{
	ID: "sysusers", Level: Warning, Source: "bootc",
	Description: "users and groups in /etc/passwd and /etc/group need sysusers.d entries",
	Help: "/etc is merged three ways on upgrade: a machine whose /etc/passwd was changed locally keeps its own, and users the new image added to /etc/passwd never appear there. " +
		"Declare users and groups in /usr/lib/sysusers.d/NAME.conf (u NAME UID \"GECOS\" HOME SHELL; g NAME GID; m USER GROUP) so systemd-sysusers creates them at boot. See https://bootc-dev.github.io/bootc/building/users-and-groups.html. " +
		"oslayer reads sysusers.d as systemd-sysusers does, where bootc reads /usr/lib/sysusers.d only: /etc/sysusers.d is read too, and a file there replaces the /usr/lib file of the same name; " +
		"u NAME UID:GROUP creates no group (GROUP must exist), and m USER GROUP creates the group and, as a u line would, the user. A line that does not parse is a fatal finding (bootc stops with an error).",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		fsys := t.Tree.FS()
		declared := readSysusers(fsys)
		var out []Finding
		for _, p := range declared.Problems {
			f := finding(p.File, t.Owners.Of(p.File, false), fmt.Sprintf("line %d does not parse: %v", p.Line, p.Err))
			f.Level = Fatal
			out = append(out, f)
		}
		for _, u := range readAccounts(fsys, "etc/passwd") {
			if !declared.Users[u.Name] {
				out = append(out, finding("/etc/passwd", "", "user "+u.Name+" (uid "+itoa(u.ID)+") has no sysusers.d entry"))
			}
		}
		for _, g := range readAccounts(fsys, "etc/group") {
			if !declared.Groups[g.Name] {
				out = append(out, finding("/etc/group", "", "group "+g.Name+" (gid "+itoa(g.ID)+") has no sysusers.d entry"))
			}
		}
		return out, nil
	},
}
