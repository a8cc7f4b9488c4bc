package lint

import (
	"context"
	"strings"

	"github.com/oslayer/oslayer/layer"
)

// packageDBDirs hold sqlite package databases.
var packageDBDirs = []string{"/usr/lib/sysimage/rpm", "/var/lib/rpm", "/usr/share/rpm", "/usr/lib/sysimage/libdnf5", "/var/lib/dnf"}

var sqliteWAL = &Rule{
	ID: "sqlite-wal", Level: Warning, Source: "oslayer",
	Description: "no sqlite -wal / -shm files beside a package database",
	Help: "rpm and dnf keep their sqlite databases in WAL mode: after a transaction, recent pages can live only in NAME-wal, and NAME-shm is a lock file. " +
		"Shipped in a layer they waste space, break reproducibility, and on a read-only /usr can make the database unreadable. Checkpoint before the layer is committed: oslayer finalize does (or sqlite3 rpmdb.sqlite 'PRAGMA wal_checkpoint(TRUNCATE)').",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		var out []Finding
		for _, dir := range packageDBDirs {
			n := t.lookup(dir)
			if n == nil || n.Type != layer.TypeDir {
				continue
			}
			for _, c := range n.Children() {
				for _, suffix := range []string{"-wal", "-shm"} {
					db, ok := strings.CutSuffix(c.Name, suffix)
					if ok && n.Child(db) != nil && c.Type == layer.TypeRegular {
						out = append(out, finding(dir+"/"+c.Name, "", "sqlite "+strings.TrimPrefix(suffix, "-")+" file of "+db+" ("+itoa(int(c.Size))+" bytes)"))
					}
				}
			}
		}
		return out, nil
	},
}
