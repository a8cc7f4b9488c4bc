package lint

import "context"

// runtimeOwned are /run entries a container runtime puts there during a
// build; they are not image content.
var runtimeOwned = map[string]bool{"/run/.containerenv": true, "/run/secrets": true}

var nonemptyRunTmp = &Rule{
	ID: "nonempty-run-tmp", Level: Warning, Source: "bootc",
	Description: "/run and /tmp must be empty",
	Help:        "Both are tmpfs on the booted system: whatever the image ships there is hidden, and only wastes space. Clean them in the last RUN step (oslayer finalize does).",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		var out []Finding
		for _, dir := range []string{"/run", "/tmp"} {
			n := t.lookup(dir)
			if n == nil || n.MountPoint {
				continue
			}
			for _, c := range n.Children() {
				p := dir + "/" + c.Name
				if c.MountPoint || (t.Running && runtimeOwned[p]) {
					continue
				}
				out = append(out, finding(p, t.Owners.Of(p, false), "content in "+dir+" is hidden at runtime"))
			}
		}
		return out, nil
	},
}
