package lint

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"strings"
)

var volumesRule = &Rule{
	ID: "volumes", Level: Warning, Source: "oslayer",
	Description: "VOLUME paths outside /var and /etc do not persist on a booted system",
	Help: "A VOLUME says what is written there must persist. A container runtime mounts a volume there; a booted bootc system does not: " +
		"outside /var and /etc the path is part of the read-only image (with a transient root, writable but lost at reboot). " +
		"Declare the volume under /var, or keep it where it is with a bind mount from /var: as the last step of the build, " +
		"RUN oslayer finalize --volumes --volume PATH (one --volume per VOLUME: a build cannot see the image's VOLUME lines) writes the mount unit, " +
		"its tmpfiles.d line and moves the image's content at PATH to /usr/share/factory, copied into the volume at first boot; put the VOLUME line after that step. " +
		"An enabled ostree state overlay on the path (ostree-state-overlay@NAME.service) also keeps what is written there.",
	Applies: func(t *Target) (bool, string) {
		if t.Image == nil && len(t.Volumes) == 0 {
			return false, "no image config in rootfs mode: the image's VOLUMEs are not visible (finalize takes them from --volume PATH)"
		}
		return true, ""
	},
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		transient := readPrepareRoot(t.Tree.FS()).Transient
		var out []Finding
		for _, v := range t.volumes() {
			real := t.realPath(v)
			at := v
			if real != v {
				at = v + " (" + real + ")"
			}
			switch placeOf(real) {
			case inVar, inEtc:
				continue
			case notAVolume:
				out = append(out, finding(v, "", fmt.Sprintf("VOLUME %s cannot persist on a booted system: it is the OS itself or a file system mounted afresh at every boot; declare it under /var", at)))
				continue
			}
			if t.stateOverlay(real) {
				continue
			}
			unit, what, err := volumeMount(real)
			if err != nil {
				out = append(out, finding(v, "", err.Error()))
				continue
			}
			if file := t.unitFile(unit); file != "" {
				if problem := t.mountProblem(file, unit); problem != "" {
					out = append(out, finding(v, "", fmt.Sprintf("VOLUME %s: %s", at, problem)))
				}
				continue
			}
			fate := "read-only on a booted system"
			if transient {
				fate = "lost at reboot with the transient root"
			}
			out = append(out, finding(v, t.Owners.Of(real, true), fmt.Sprintf(
				"VOLUME %s: a container runtime mounts a volume there, a booted system does not: what is written there is %s; "+
					"RUN oslayer finalize --volumes --volume %s bind-mounts %s there with %s", at, fate, v, what, unit)))
		}
		return out, nil
	},
}

// unitFile returns the root-relative path of the unit file name, /etc
// first, or "".
func (t *Target) unitFile(name string) string {
	for _, dir := range unitDirs {
		if n := t.lookup("/" + dir + "/" + name); n != nil {
			return dir + "/" + name
		}
	}
	return ""
}

// mountProblem says why the mount unit at file does not keep its mount
// point in /var: it binds from elsewhere, or nothing enables it.
func (t *Target) mountProblem(file, unit string) string {
	data, err := fs.ReadFile(t.Tree.FS(), file)
	if err != nil {
		return fmt.Sprintf("reading /%s: %v", file, err)
	}
	what := unitSetting(string(data), "Mount", "What")
	if real := t.realPath(what); !strings.HasPrefix(what, "/") || !under(real, "/var") {
		return fmt.Sprintf("/%s mounts What=%s, which is not in /var", file, what)
	}
	if !t.unitEnabled(unit) {
		return fmt.Sprintf("/%s binds %s, but nothing enables it (a link in /usr/lib/systemd/system/local-fs.target.wants/)", file, what)
	}
	return ""
}

// unitSetting returns the value of key in section of a unit file: the last
// assignment wins, as in systemd.
func unitSetting(data, section, key string) string {
	var value, cur string
	sc := bufio.NewScanner(strings.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
		case line[0] == '[':
			cur = strings.Trim(line, "[]")
		case cur == section:
			if k, v, ok := strings.Cut(line, "="); ok && strings.TrimSpace(k) == key {
				value = strings.TrimSpace(v)
			}
		}
	}
	return value
}
