package lint

import (
	"slices"
	"strings"
	"testing"
)

// TestOptStateKnowsWhatPersists: content in /opt and /usr/local is fine
// under an enabled state overlay (a wants or requires link, or a preset),
// and otherwise a warning that says what happens to it and which overlay
// to enable.
func TestOptStateKnowsWhatPersists(t *testing.T) {
	const (
		template   = "-> /usr/lib/systemd/system/ostree-state-overlay@.service"
		readOnly   = "/opt/app: 1 file (2 bytes) will be read-only on a booted system; if the software writes there, enable ostree-state-overlay@opt.service"
		localTool  = "/usr/local/bin: 1 file (5 bytes) will be read-only on a booted system; if the software writes there, enable ostree-state-overlay@usr-local.service"
		presetFile = "usr/lib/systemd/system-preset/40-overlays.preset"
	)
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  []string
	}{
		{name: "read-only /opt", files: map[string]string{"opt/app/db": "x\n"}, want: []string{readOnly}},
		{name: "overlay on /opt enabled by a wants link in /etc", files: map[string]string{
			"opt/app/db": "x\n", "etc/systemd/system/local-fs.target.wants/ostree-state-overlay@opt.service": template}},
		{name: "rpm-ostree's layout: /opt -> usr/lib/opt and a requires link", files: map[string]string{
			"opt": "-> usr/lib/opt", "usr/lib/opt/app/bin/app": "app\n",
			"usr/lib/systemd/system/local-fs.target.requires/ostree-state-overlay@usr-lib-opt.service": "-> ../ostree-state-overlay@.service"}},
		{name: "the usr-lib-opt overlay does not cover a real /opt", files: map[string]string{
			"opt/app/db": "x\n", "usr/lib/opt/": "/",
			"usr/lib/systemd/system/local-fs.target.requires/ostree-state-overlay@usr-lib-opt.service": "-> ../ostree-state-overlay@.service"},
			want: []string{readOnly + " (ostree-state-overlay@usr-lib-opt.service is enabled, but /opt leads to /opt, which it does not cover)"}},
		{name: "/usr/local enabled by a preset", files: map[string]string{
			"usr/local/bin/tool": "tool\n", presetFile: "# state overlays\nenable ostree-state-overlay@usr-local.service\ndisable *\n"}},
		{name: "a preset for a template with instances", files: map[string]string{
			"usr/local/bin/tool": "tool\n", presetFile: "enable ostree-state-overlay@.service usr-lib-opt usr-local\n"}},
		{name: "a preset for other instances", files: map[string]string{
			"usr/local/bin/tool": "tool\n", presetFile: "enable ostree-state-overlay@.service usr-lib-opt\n"},
			want: []string{localTool}},
		{name: "an earlier preset file disables it", files: map[string]string{
			"usr/local/bin/tool": "tool\n", "usr/lib/systemd/system-preset/10-off.preset": "disable ostree-state-overlay@*\n",
			"usr/lib/systemd/system-preset/90-on.preset": "enable ostree-state-overlay@usr-local.service\n"},
			want: []string{localTool}},
		{name: "a preset in /etc replaces the one of the same name in /usr/lib", files: map[string]string{
			"usr/local/bin/tool": "tool\n", presetFile: "enable ostree-state-overlay@usr-local.service\n",
			"etc/systemd/system-preset/40-overlays.preset": "# not here\n"},
			want: []string{localTool}},
		{name: "a masked overlay", files: map[string]string{
			"usr/local/bin/tool": "tool\n", "usr/lib/systemd/system/local-fs.target.wants/ostree-state-overlay@usr-local.service": template,
			"etc/systemd/system/ostree-state-overlay@usr-local.service": "-> /dev/null"},
			want: []string{localTool}},
		{name: "an overlay on one application's directory (an escaped name, globbed)", files: map[string]string{
			"opt/my-app/db": "x\n", "opt/app/db": "x\n", presetFile: `enable ostree-state-overlay@opt-my\x2d*.service` + "\n"},
			want: []string{readOnly}},
		{name: "a transient root", files: map[string]string{
			"opt/app/db": "x\n", "usr/lib/ostree/prepare-root.conf": "[composefs]\nenabled = true\n[root]\ntransient = true\n"},
			want: []string{"/opt/app: 1 file (2 bytes): writable with the transient root, but what is written there is lost at reboot; if the software writes there, enable ostree-state-overlay@opt.service"}},
		{name: "Fedora's /opt -> var/opt", files: map[string]string{"opt": "-> var/opt", "var/opt/app/db": "x\n"},
			want: []string{"/var/opt/app: 1 file (2 bytes) land in /var/opt through the /opt symlink: bootc installs /var content only at first boot; " +
				"to update it with the image, make /opt a symlink to usr/lib/opt and enable ostree-state-overlay@usr-lib-opt.service for what software writes there"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := checkRule(t, optState, Input{Rootfs: scratchRoot(t, tc.files)})
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("findings (-want +got):\n-%s\n+%s", strings.Join(tc.want, "\n-"), strings.Join(got, "\n+"))
			}
		})
	}
}
