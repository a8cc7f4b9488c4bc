package lint

import (
	"context"
	"fmt"

	"github.com/oslayer/oslayer/layer/sysext"
)

var extensionRelease = &Rule{
	ID: "extension-release", Level: Fatal, Source: "oslayer", Extension: true,
	Description: "the extension-release file is there, named after the image, and matches the host's os-release as systemd-sysext merge requires",
	Help:        "systemd merges an extension only when usr/lib/extension-release.d/extension-release.NAME (etc/extension-release.d/ for a confext), NAME being the image's name without .raw, says ID= the host's ID (or _any) and, unless ID=_any, SYSEXT_LEVEL= (CONFEXT_LEVEL=) the host's when both have one, else VERSION_ID= the host's; ARCHITECTURE=, when set, must be the host's. Rebuild the extension for this host (oslayer sysext takes these from the base), or rename the image to the name its release file has.",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		e := t.Extension
		var out []Finding
		kinds := e.Kinds()
		if len(e.Releases) == 0 {
			for _, k := range kinds {
				out = append(out, finding("/"+k.ReleasePath(e.Name), "", fmt.Sprintf("no extension-release file for the %s %s: systemd ignores the image", k, e.Name)))
			}
			if len(kinds) == 0 {
				out = append(out, finding("", "", "neither an extension-release file nor /usr, /opt or /etc: not an extension image"))
			}
			return out, nil
		}
		if e.Host.ID == "" {
			return append(out, finding("", "", "the host has no os-release with an ID: systemd-sysext refuses to merge anything on it")), nil
		}
		for _, k := range kinds {
			rf := e.Releases[k]
			if rf.Relaxed {
				f := finding(rf.Path, "", fmt.Sprintf("named for another image, but taken: the only one, with %s=0 (systemd checks the name otherwise)", "user.extension-release.strict"))
				f.Level = Info
				out = append(out, f)
			}
			if err := sysext.Match(e.Host, k, rf.Fields); err != nil {
				out = append(out, finding(rf.Path, "", fmt.Sprintf("systemd-%s merge ignores %s on %s: %v", k, e.Name, e.HostName, err)))
				continue
			}
			if sysext.LikeOnly(e.Host, rf.Fields) {
				f := finding(rf.Path, "", fmt.Sprintf("ID=%s matches the host only through its ID_LIKE (%s), which systemd before 258 does not accept", rf.Fields["ID"], e.Host.IDLike))
				f.Level = Warning
				out = append(out, f)
			}
		}
		return out, nil
	},
}
