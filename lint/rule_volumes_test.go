package lint

import (
	"slices"
	"strings"
	"testing"
)

// TestVolumesPersistOrWarn: a VOLUME outside /var and /etc is a warning
// with the finalize line that fixes it, unless a bind mount from /var
// that something enables, or a state overlay, keeps what is written there.
func TestVolumesPersistOrWarn(t *testing.T) {
	const (
		unitDir = "usr/lib/systemd/system/"
		unit    = "[Unit]\nAfter=var.mount\n[Mount]\nWhat=/var/lib/volumes/opt-app-data\nWhere=/opt/app/data\nOptions=bind\n[Install]\nWantedBy=local-fs.target\n"
		warn    = "/opt/app/data: VOLUME /opt/app/data: a container runtime mounts a volume there, a booted system does not: what is written there is read-only on a booted system; " +
			"RUN oslayer finalize --volumes --volume /opt/app/data bind-mounts /var/lib/volumes/opt-app-data there with opt-app-data.mount"
	)
	for _, tc := range []struct {
		name    string
		files   map[string]string
		volumes []string
		want    []string
	}{
		{name: "a VOLUME in the image", files: map[string]string{"opt/app/data/": "/"}, volumes: []string{"/opt/app/data"}, want: []string{warn}},
		{name: "VOLUMEs in /var and /etc persist", volumes: []string{"/var/lib/app", "/etc/app", "/var"}},
		{name: "a VOLUME that leads into /var", files: map[string]string{"opt": "-> var/opt"}, volumes: []string{"/opt/app/data"}},
		{name: "a bind mount from /var, enabled", volumes: []string{"/opt/app/data"}, files: map[string]string{
			unitDir + "opt-app-data.mount": unit, unitDir + "local-fs.target.wants/opt-app-data.mount": "-> ../opt-app-data.mount"}},
		{name: "a bind mount nothing enables", volumes: []string{"/opt/app/data"}, files: map[string]string{unitDir + "opt-app-data.mount": unit},
			want: []string{"/opt/app/data: VOLUME /opt/app/data: /usr/lib/systemd/system/opt-app-data.mount binds /var/lib/volumes/opt-app-data, but nothing enables it (a link in /usr/lib/systemd/system/local-fs.target.wants/)"}},
		{name: "a mount from outside /var", volumes: []string{"/opt/app/data"}, files: map[string]string{
			"etc/systemd/system/opt-app-data.mount": strings.Replace(unit, "/var/lib/volumes/opt-app-data", "/srv/data", 1),
			unitDir + "opt-app-data.mount":          unit, unitDir + "local-fs.target.wants/opt-app-data.mount": "-> ../opt-app-data.mount"},
			want: []string{"/opt/app/data: VOLUME /opt/app/data: /etc/systemd/system/opt-app-data.mount mounts What=/srv/data, which is not in /var"}},
		{name: "a state overlay keeps it", volumes: []string{"/opt/app/data"}, files: map[string]string{
			"etc/systemd/system/local-fs.target.wants/ostree-state-overlay@opt.service": "-> /usr/lib/systemd/system/ostree-state-overlay@.service"}},
		{name: "a transient root loses it", volumes: []string{"/opt/app/data"}, files: map[string]string{"usr/lib/ostree/prepare-root.conf": "[root]\ntransient = true\n"},
			want: []string{strings.Replace(warn, "read-only on a booted system", "lost at reboot with the transient root", 1)}},
		{name: "an escaped unit name, through a symlink", volumes: []string{"/srv/my-app"}, files: map[string]string{"srv": "-> usr/lib/srv"},
			want: []string{`/srv/my-app: VOLUME /srv/my-app (/usr/lib/srv/my-app): a container runtime mounts a volume there, a booted system does not: what is written there is read-only on a booted system; ` +
				`RUN oslayer finalize --volumes --volume /srv/my-app bind-mounts /var/lib/volumes/usr-lib-srv-my\x2dapp there with usr-lib-srv-my\x2dapp.mount`}},
		{name: "API file systems", volumes: []string{"/run/app", "/tmp"},
			want: []string{"/run/app: VOLUME /run/app cannot persist on a booted system: it is the OS itself or a file system mounted afresh at every boot; declare it under /var",
				"/tmp: VOLUME /tmp cannot persist on a booted system: it is the OS itself or a file system mounted afresh at every boot; declare it under /var"}},
		{name: "a rootfs without --volume", files: map[string]string{"opt/app/data/": "/"},
			want: []string{"skipped: no image config in rootfs mode: the image's VOLUMEs are not visible (finalize takes them from --volume PATH)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := checkRule(t, volumesRule, Input{Rootfs: scratchRoot(t, tc.files), Volumes: tc.volumes})
			slices.Sort(got)
			if !slices.Equal(got, tc.want) {
				t.Errorf("findings (-want +got):\n-%s\n+%s", strings.Join(tc.want, "\n-"), strings.Join(got, "\n+"))
			}
		})
	}
}
