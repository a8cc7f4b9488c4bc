package butane

import (
	"fmt"
	"math"

	"github.com/coreos/ignition/v2/config/v3_7_experimental/types"

	"github.com/oslayer/oslayer/internal/passwd"
)

// accounts maps user and group names to ids: the target's passwd and group
// files (and nss-altfiles' /usr/lib copies), plus the users and groups the
// config declares with ids.
type accounts struct {
	users, groups map[string]int
}

func (r *renderer) loadAccounts() error {
	r.acct = accounts{users: map[string]int{}, groups: map[string]int{}}
	for _, f := range []struct {
		path string
		into map[string]int
	}{{"/etc/passwd", r.acct.users}, {"/usr/lib/passwd", r.acct.users}, {"/etc/group", r.acct.groups}, {"/usr/lib/group", r.acct.groups}} {
		data, ok, err := r.target.readFile(f.path)
		if err != nil {
			return fmt.Errorf("reading %s of the target: %w", f.path, err)
		}
		if !ok {
			continue
		}
		for _, a := range passwd.Parse(string(data)) {
			if _, dup := f.into[a.Name]; !dup {
				f.into[a.Name] = a.ID
			}
		}
	}
	for _, g := range r.cfg.Ign.Passwd.Groups {
		if g.Gid != nil {
			r.acct.groups[g.Name] = *g.Gid
		}
	}
	for _, u := range r.cfg.Ign.Passwd.Users {
		if u.UID != nil {
			r.acct.users[u.Name] = *u.UID
			if u.PrimaryGroup == nil && (u.NoUserGroup == nil || !*u.NoUserGroup) {
				r.acct.groups[u.Name] = *u.UID // sysusers gives the user a group of the same name and id
			}
		}
	}
	return nil
}

// owner resolves a node's user and group into e; unspecified means root.
// Under /var, names the image does not know yet are kept for tmpfiles.d,
// which resolves them at boot.
func (r *renderer) owner(e *Entry, u types.NodeUser, g types.NodeGroup, what string) error {
	lateOK := under(e.Path, "/var")
	uid, gid := 0, 0
	switch {
	case u.ID != nil:
		uid = *u.ID
	case u.Name != nil && *u.Name != "":
		e.User = *u.Name
		id, ok := r.acct.users[*u.Name]
		if !ok && !lateOK {
			return fmt.Errorf("%s: user %q is not in the target's /etc/passwd or /usr/lib/passwd, nor declared with a uid in passwd.users", what, *u.Name)
		}
		uid = id
	}
	switch {
	case g.ID != nil:
		gid = *g.ID
	case g.Name != nil && *g.Name != "":
		e.Group = *g.Name
		id, ok := r.acct.groups[*g.Name]
		if !ok && !lateOK {
			return fmt.Errorf("%s: group %q is not in the target's /etc/group or /usr/lib/group, nor declared with a gid in passwd.groups", what, *g.Name)
		}
		gid = id
	}
	var err error
	if e.UID, err = ownerID(what, "uid", uid); err != nil {
		return err
	}
	e.GID, err = ownerID(what, "gid", gid)
	return err
}

// ownerID checks that an id, from the config or the target's passwd and
// group files, is one the kernel can store (32 bits).
func ownerID(what, kind string, id int) (uint32, error) {
	if id < 0 || int64(id) > math.MaxUint32 {
		return 0, fmt.Errorf("%s: %s %d is out of range", what, kind, id)
	}
	return uint32(id), nil
}
