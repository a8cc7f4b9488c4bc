package sysext

import (
	"fmt"
	"slices"
	"strings"
)

// Host is what systemd knows of the host when it decides whether an
// extension may be merged: its os-release fields and its architecture.
type Host struct {
	ID, IDLike, VersionID string
	// SysextLevel and ConfextLevel are SYSEXT_LEVEL and CONFEXT_LEVEL.
	SysextLevel, ConfextLevel string
	// Architecture is systemd's name of the host's ("x86-64"); empty
	// when unknown, and then not compared.
	Architecture string
}

// NewHost reads a host from its os-release fields and its architecture
// (systemd's name).
func NewHost(osRelease map[string]string, arch string) Host {
	return Host{ID: osRelease["ID"], IDLike: osRelease["ID_LIKE"], VersionID: osRelease["VERSION_ID"],
		SysextLevel: osRelease["SYSEXT_LEVEL"], ConfextLevel: osRelease["CONFEXT_LEVEL"], Architecture: arch}
}

func (h Host) level(k Kind) string {
	if k == Config {
		return h.ConfextLevel
	}
	return h.SysextLevel
}

// Match says whether systemd would merge an extension of kind k whose
// extension-release file holds ext on h, on a booted system (scope
// "system"): nil if it would, else why not. It follows systemd's
// extension_release_validate() (src/shared/extension-util.c), check for
// check and in its order: release data present; the scope (SYSEXT_SCOPE,
// by default "system portable") includes "system"; ARCHITECTURE, unless
// empty or "_any", is the host's; ID is "_any" (then nothing else is
// compared), the host's ID or one of its ID_LIKE; a host with neither
// VERSION_ID nor a level matches any version; when both sides have a
// level they must be equal, otherwise the extension's VERSION_ID must be
// the host's. ID_LIKE counts since systemd 258 (pull request 37648); see
// LikeOnly.
func Match(h Host, k Kind, ext map[string]string) error {
	if len(ext) == 0 {
		return fmt.Errorf("the extension-release file holds no fields")
	}
	scopes := []string{"system", "portable"}
	if s, ok := ext[k.ScopeKey()]; ok && s != "" {
		scopes = strings.Fields(s)
	}
	if !slices.Contains(scopes, "system") {
		return fmt.Errorf("%s=%q does not include system: it is not merged on a booted host", k.ScopeKey(), ext[k.ScopeKey()])
	}
	if a := ext["ARCHITECTURE"]; a != "" && a != AnyOS && h.Architecture != "" && a != h.Architecture {
		return fmt.Errorf("ARCHITECTURE=%s, but the host is %s", a, h.Architecture)
	}
	id := ext["ID"]
	switch {
	case id == "":
		return fmt.Errorf("no ID (the host's %q, or %s for any host)", h.ID, AnyOS)
	case id == AnyOS:
		return nil
	case id != h.ID && !slices.Contains(strings.Fields(h.IDLike), id):
		if h.IDLike != "" {
			return fmt.Errorf("ID=%s, but the host is %s (like %s)", id, h.ID, h.IDLike)
		}
		return fmt.Errorf("ID=%s, but the host is %s", id, h.ID)
	}
	hostLevel := h.level(k)
	if h.VersionID == "" && hostLevel == "" {
		return nil // a rolling release: the ID is enough
	}
	if level := ext[k.LevelKey()]; hostLevel != "" && level != "" {
		if level != hostLevel {
			return fmt.Errorf("%s=%s, but the host's is %s", k.LevelKey(), level, hostLevel)
		}
		return nil
	}
	if h.VersionID != "" {
		v := ext["VERSION_ID"]
		if v == "" {
			if hostLevel != "" {
				return fmt.Errorf("no %s or VERSION_ID (the host has %s=%s, VERSION_ID=%s)", k.LevelKey(), k.LevelKey(), hostLevel, h.VersionID)
			}
			return fmt.Errorf("no VERSION_ID (the host's is %s)", h.VersionID)
		}
		if v != h.VersionID {
			return fmt.Errorf("VERSION_ID=%s, but the host's is %s", v, h.VersionID)
		}
	}
	return nil
}

// LikeOnly reports whether an extension matches the host only through
// its ID_LIKE, which systemd before 258 does not accept.
func LikeOnly(h Host, ext map[string]string) bool {
	id := ext["ID"]
	return id != "" && id != AnyOS && id != h.ID && slices.Contains(strings.Fields(h.IDLike), id)
}
