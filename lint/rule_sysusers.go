package lint

import "context"

var sysusersRule = &Rule{
	ID: "sysusers", Level: Warning, Source: "bootc",
	Description: "users and groups in /etc/passwd and /etc/group need sysusers.d entries",
	Help:        "/etc is merged three ways on upgrade: a machine whose /etc/passwd was changed locally keeps its own, and users the new image added to /etc/passwd never appear there. Declare users and groups in /usr/lib/sysusers.d/NAME.conf (u NAME UID \"GECOS\" HOME SHELL; g NAME GID) so systemd-sysusers creates them at boot. See https://bootc-dev.github.io/bootc/building/users-and-groups.html",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		fsys := t.Tree.FS()
		declared := readSysusers(fsys)
		var out []Finding
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
