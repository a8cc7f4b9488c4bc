package lint

import (
	"context"
	"fmt"

	"github.com/oslayer/oslayer/layer/pkgdb"
)

var varPkgDB = &Rule{
	ID: "var-pkgdb", Level: Warning, Source: "oslayer",
	Description: "the package database is not under /var",
	Help: "bootc and ostree install /var only when a machine is first installed and never update it: a package database in /var goes stale on the first upgrade, and from then on describes an older image than the one running (rpm -qa, dpkg -l, security scanners and oslayer itself then read the wrong package list). " +
		"Ship it under /usr, as Fedora and rpm-ostree do for rpm: %_dbpath /usr/lib/sysimage/rpm with /var/lib/rpm a symlink to it. For dpkg, move /var/lib/dpkg to /usr/lib/sysimage/dpkg and leave /var/lib/dpkg a symlink to it (or set admindir in /etc/dpkg/dpkg.cfg.d). " +
		"oslayer finalize --fix-var never moves a package database into /usr/share/factory: a C line would copy it once and never again.",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		var out []Finding
		for _, db := range t.Packages {
			if !under(db.Path, "/var") {
				continue
			}
			name := "rpm"
			if db.Kind == pkgdb.KindDpkg {
				name = "dpkg"
			}
			out = append(out, finding(db.Path, "", fmt.Sprintf("the %s database (%d packages) is in /var, which upgrades never update", name, len(db.Packages))))
		}
		return out, nil
	},
}
