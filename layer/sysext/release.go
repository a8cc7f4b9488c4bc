package sysext

import (
	"fmt"
	"strings"
)

// Release is what an extension's extension-release file says: what host
// it can be merged on, and whether merging it reloads the service
// manager.
type Release struct {
	// ID is the host's os-release ID, or "_any" for any.
	ID string `json:"id"`
	// VersionID must equal the host's VERSION_ID, unless Level is set.
	VersionID string `json:"version_id,omitempty"`
	// Level must equal the host's SYSEXT_LEVEL (CONFEXT_LEVEL for a
	// confext) when both have one.
	Level string `json:"level,omitempty"`
	// Architecture is systemd's name of the architecture the content is
	// for ("x86-64", "arm64"); empty for any.
	Architecture string `json:"architecture,omitempty"`
	// ReloadManager makes systemd reload the service manager after a
	// merge (EXTENSION_RELOAD_MANAGER=1, systemd 255 and later): set when
	// the extension adds units.
	ReloadManager bool `json:"reload_manager,omitempty"`
}

// AnyOS is the ID of an extension for any host.
const AnyOS = "_any"

// Bytes spells the release as the extension-release file of an
// extension of kind k: one KEY=VALUE line a field, in a fixed order.
func (r Release) Bytes(k Kind) []byte {
	var b strings.Builder
	line := func(key, v string) {
		if v != "" {
			fmt.Fprintf(&b, "%s=%s\n", key, quote(v))
		}
	}
	line("ID", r.ID)
	line("VERSION_ID", r.VersionID)
	line(k.LevelKey(), r.Level)
	line("ARCHITECTURE", r.Architecture)
	if r.ReloadManager {
		line("EXTENSION_RELOAD_MANAGER", "1")
	}
	return []byte(b.String())
}

// ReleaseOptions override what a release takes from the base.
type ReleaseOptions struct {
	// ID replaces the base's ID; AnyOS sets it to "_any", and then no
	// version is written.
	ID    string
	AnyOS bool
	// VersionID and Level replace the version the release matches on:
	// either, not both.
	VersionID, Level string
}

// Validate checks the overrides as os-release(5) restricts the fields:
// lower-case letters, digits, ".", "_" and "-".
func (o ReleaseOptions) Validate() error {
	for _, f := range []struct{ flag, v string }{{"--id", o.ID}, {"--version-id", o.VersionID}, {"--level", o.Level}} {
		if f.v != "" && !releaseWord(f.v) {
			return fmt.Errorf("%s %q: want lower-case letters, digits, \".\", \"_\" and \"-\"", f.flag, f.v)
		}
	}
	switch {
	case o.AnyOS && o.ID != "":
		return fmt.Errorf("--any-os sets ID=%s: give it or --id, not both", AnyOS)
	case o.AnyOS && (o.VersionID != "" || o.Level != ""):
		return fmt.Errorf("--any-os matches any host: it takes no --version-id or --level")
	case o.VersionID != "" && o.Level != "":
		return fmt.Errorf("give --version-id or --level, not both: systemd matches on the level when both sides have one")
	}
	return nil
}

func releaseWord(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return s != ""
}

// NewRelease makes the release of an extension of kind k built on a base
// whose os-release has the fields host: its ID, and its SYSEXT_LEVEL
// (CONFEXT_LEVEL) when it has one, else its VERSION_ID (a host with
// neither, a rolling release, is matched by ID alone), unless o says
// otherwise. arch is systemd's name of the content's architecture.
func NewRelease(k Kind, host map[string]string, arch string, o ReleaseOptions) (Release, error) {
	r := Release{ID: host["ID"], Architecture: arch}
	switch {
	case o.AnyOS:
		r.ID = AnyOS
		return r, nil
	case o.ID != "":
		r.ID = o.ID
	case r.ID == "":
		return r, fmt.Errorf("the base's os-release has no ID: give --id ID, or --any-os for an extension that runs on any host")
	}
	switch {
	case o.Level != "":
		r.Level = o.Level
	case o.VersionID != "":
		r.VersionID = o.VersionID
	case host[k.LevelKey()] != "":
		r.Level = host[k.LevelKey()]
	default:
		r.VersionID = host["VERSION_ID"]
	}
	return r, nil
}
