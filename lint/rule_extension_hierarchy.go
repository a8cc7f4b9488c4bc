package lint

import (
	"context"
	"fmt"
	"strings"

	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/layer/sysext"
)

var extensionHierarchy = &Rule{
	ID: "extension-hierarchy", Level: Fatal, Source: "oslayer", Extension: true,
	Description: "the extension holds only its hierarchies (/usr and /opt for a sysext, /etc for a confext), no /usr/lib/os-release and no device nodes",
	Help:        "systemd-sysext overlays /usr and /opt, systemd-confext /etc: anything else in the image never appears on the host. An image with /usr/lib/os-release is refused outright, and extensions are mounted nodev. Build the extension from what belongs in it (oslayer sysext refuses the rest, or leaves it out with --ignore-outside); ship /var content as tmpfiles.d lines, configuration as a confext.",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		e := t.Extension
		var out []Finding
		for _, c := range e.Tree.Root.Children() {
			if _, ok := e.inHierarchy(c.Name); !ok {
				out = append(out, finding("/"+c.Name, "", fmt.Sprintf("outside the hierarchies of %s: never merged onto the host", strings.Join(kindNames(e.Kinds()), " and "))))
			}
		}
		if n := e.Tree.Lookup("usr/lib/os-release"); n != nil {
			out = append(out, finding("/usr/lib/os-release", "", "an extension that carries the host's os-release is refused (systemd-sysext: \"Extension contains '/usr/lib/os-release', which is not allowed\")"))
		}
		for p, n := range e.Tree.Walk() {
			if n.Type == layer.TypeChar || n.Type == layer.TypeBlock {
				if _, ok := e.inHierarchy(p); ok {
					out = append(out, finding("/"+p, "", fmt.Sprintf("a %s: extensions are mounted nodev, it cannot be opened", n.Type)))
				}
			}
		}
		return out, nil
	},
}

var extensionReload = &Rule{
	ID: "extension-reload", Level: Warning, Source: "oslayer", Extension: true,
	Description: "an extension that adds systemd units asks for the service manager to be reloaded (EXTENSION_RELOAD_MANAGER=1)",
	Help:        "Without EXTENSION_RELOAD_MANAGER=1 in its extension-release file (systemd 255 and later), systemd-sysext merge leaves the service manager unaware of the units the extension adds until a daemon-reload. oslayer sysext sets it when the extension adds units.",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		e := t.Extension
		var out []Finding
		for _, k := range e.Kinds() {
			rf := e.Releases[k]
			if rf == nil || rf.Fields["EXTENSION_RELOAD_MANAGER"] == "1" {
				continue
			}
			if unit := firstUnit(e.Tree, k); unit != "" {
				out = append(out, finding(rf.Path, "", fmt.Sprintf("adds %s but does not set EXTENSION_RELOAD_MANAGER=1: the unit is unknown until a daemon-reload", unit)))
			}
		}
		return out, nil
	},
}

// firstUnit returns the first non-directory below the kind's unit
// directories, or "".
func firstUnit(tree *layer.Tree, k sysext.Kind) string {
	for p, n := range tree.Walk() {
		if n.Type != layer.TypeDir && k.HasUnit(p) {
			return "/" + p
		}
	}
	return ""
}
