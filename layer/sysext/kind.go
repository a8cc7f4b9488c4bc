package sysext

import (
	"strings"

	"github.com/oslayer/oslayer/internal/enum"
)

// Kind is the class of an extension image.
type Kind uint8

const (
	// System extensions (systemd-sysext) overlay /usr and /opt.
	System Kind = iota + 1
	// Config extensions (systemd-confext) overlay /etc.
	Config
)

// Kinds lists every Kind.
var Kinds = []Kind{System, Config}

var kindNames = enum.Names[Kind]{System: "sysext", Config: "confext"}

func (k Kind) String() string { return kindNames.Name(k, "kind") }

// MarshalText spells the kind as String does, for JSON output.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (k *Kind) UnmarshalText(b []byte) error { return kindNames.Parse(b, "extension kind", k) }

// Hierarchies are the top-level directories the kind overlays, as
// systemd-sysext and systemd-confext do unless told otherwise
// ($SYSTEMD_SYSEXT_HIERARCHIES, $SYSTEMD_CONFEXT_HIERARCHIES).
func (k Kind) Hierarchies() []string {
	if k == Config {
		return []string{"etc"}
	}
	return []string{"usr", "opt"}
}

// Contains reports whether the clean relative path p is one of the kind's
// hierarchies or below one.
func (k Kind) Contains(p string) bool {
	top, _, _ := strings.Cut(p, "/")
	for _, h := range k.Hierarchies() {
		if top == h {
			return true
		}
	}
	return false
}

// ReleaseDir is the directory of the kind's extension-release files.
func (k Kind) ReleaseDir() string {
	if k == Config {
		return "etc/extension-release.d"
	}
	return "usr/lib/extension-release.d"
}

// ReleasePath is where the extension-release file of the extension
// called name is: systemd requires that name to be the image's (its file
// name without .raw, or its directory's name).
func (k Kind) ReleasePath(name string) string { return k.ReleaseDir() + "/extension-release." + name }

// LevelKey is the os-release and extension-release field that matches
// extensions by API level instead of VERSION_ID.
func (k Kind) LevelKey() string {
	if k == Config {
		return "CONFEXT_LEVEL"
	}
	return "SYSEXT_LEVEL"
}

// ScopeKey lists where an extension may be merged (initrd, system,
// portable).
func (k Kind) ScopeKey() string {
	if k == Config {
		return "CONFEXT_SCOPE"
	}
	return "SYSEXT_SCOPE"
}

// SearchDir is the directory of /var where systemd looks for the kind's
// images (/etc/extensions, /run/extensions, /var/lib/extensions and
// /var/lib/confexts, /run/confexts, /etc/confexts are searched too).
func (k Kind) SearchDir() string {
	if k == Config {
		return "/var/lib/confexts"
	}
	return "/var/lib/extensions"
}

// UnitDirs are the kind's directories whose files the service manager
// reads when it is reloaded: units, drop-ins, .wants links, generators.
func (k Kind) UnitDirs() []string {
	if k == Config {
		return []string{"etc/systemd/system", "etc/systemd/system-generators"}
	}
	return []string{"usr/lib/systemd/system", "usr/local/lib/systemd/system", "usr/lib/systemd/system-generators"}
}

// HasUnit reports whether the relative path p is below one of the kind's
// unit directories.
func (k Kind) HasUnit(p string) bool {
	for _, d := range k.UnitDirs() {
		if strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}
