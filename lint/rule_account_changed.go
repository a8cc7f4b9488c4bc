package lint

import (
	"context"
	"fmt"
	"io/fs"
	"maps"
	"slices"
)

// accountKinds are the account files, and what their entries are called.
var accountKinds = []struct{ file, kind string }{{"passwd", "user"}, {"group", "group"}}

var accountChanged = &Rule{
	ID: "account-changed", Level: Warning, Source: "oslayer", Relative: true, Upgrade: true,
	Description: "users or groups whose id changed, or that are gone, between the releases",
	Help: "Files in /var and in home directories keep the numeric ids they were created with: when a release gives a user or group another id, or drops it, upgraded machines have files owned by the old id, which the service can no longer read or which a later account inherits. " +
		"Keep ids stable across releases: declare accounts with fixed ids in /usr/lib/sysusers.d (u NAME UID), and when an id must change, ship a tmpfiles.d Z line or a oneshot unit that chowns the account's files on upgraded machines. " +
		"Also note that /etc/passwd and /etc/group are merged three ways: a machine that added an account keeps its own files, and never gets the new release's changes to them.",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		var out []Finding
		for _, f := range accountKinds {
			oldAccts := accountsIn(t.Previous.Tree.FS(), f.file)
			newAccts := accountsIn(t.Tree.FS(), f.file)
			for _, name := range slices.Sorted(maps.Keys(oldAccts)) {
				old := oldAccts[name]
				cur, ok := newAccts[name]
				switch {
				case !ok:
					out = append(out, finding("/"+old.file, "", fmt.Sprintf("%s %s (id %d) is gone in the new release: its files on upgraded machines keep id %d", f.kind, name, old.id, old.id)))
				case cur.id != old.id:
					out = append(out, finding("/"+cur.file, "", fmt.Sprintf("%s %s has id %d in the new release, %d in the previous one: its files on upgraded machines keep %d", f.kind, name, cur.id, old.id, old.id)))
				}
			}
		}
		return out, nil
	},
}

// account is a user or group and the file that declares it.
type account struct {
	id   int
	file string
}

// accountsIn reads the accounts of the passwd or group files of /etc and
// /usr/lib (see accountFiles); /etc wins for a name in both.
func accountsIn(fsys fs.FS, file string) map[string]account {
	out := map[string]account{}
	for _, dir := range accountFiles {
		for _, e := range readAccounts(fsys, dir+file) {
			if _, seen := out[e.Name]; !seen {
				out[e.Name] = account{e.ID, dir + file}
			}
		}
	}
	return out
}
