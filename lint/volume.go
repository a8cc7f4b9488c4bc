package lint

import (
	"fmt"
	"maps"
	"path"
	"slices"

	"github.com/oslayer/oslayer/layer"
)

// A VOLUME in an image config says "what is written here must persist". A
// container runtime mounts a volume there; a booted bootc system does not,
// so where the path really is decides what happens to what is written.

// volumePlace is where a VOLUME's real path is on a booted system.
type volumePlace int

const (
	// inVar: /var persists, but the image's /var reaches a machine only at
	// its first install, so the directory is declared in tmpfiles.d.
	inVar volumePlace = iota
	// inEtc: /etc persists through ostree's 3-way merge.
	inEtc
	// inImage: part of the image, read-only (or, with a transient root, lost
	// at reboot): it needs a bind mount from /var.
	inImage
	// notAVolume: the root, /usr itself, /boot, /sysroot, /ostree or an API
	// file system (/dev, /proc, /sys, /run, /tmp) cannot hold a volume.
	notAVolume
)

// apiFileSystems are mounted afresh at every boot.
var apiFileSystems = []string{"/dev", "/proc", "/sys", "/run", "/tmp"}

// placeOf says where the clean absolute real path p is.
func placeOf(p string) volumePlace {
	switch {
	case slices.Contains([]string{"/", "/usr", "/boot", "/sysroot", "/ostree"}, p) || slices.ContainsFunc(apiFileSystems, func(d string) bool { return under(p, d) }):
		return notAVolume
	case under(p, "/var"):
		return inVar
	case under(p, "/etc"):
		return inEtc
	}
	return inImage
}

// volumesDir holds the directories bind-mounted over VOLUMEs in the image.
const volumesDir = "/var/lib/volumes"

// volumeMount names the mount unit that keeps the VOLUME at the real path
// where (see placeOf: inImage) in /var, and the directory it binds there.
func volumeMount(where string) (unit, what string, err error) {
	name, err := escapeUnitPath(where)
	if err != nil {
		return "", "", err
	}
	unit = name + ".mount"
	if len(unit) > maxUnitName {
		return "", "", fmt.Errorf("VOLUME %s: its mount unit name would be %d characters long, more than systemd's %d", where, len(unit), maxUnitName)
	}
	return unit, volumesDir + "/" + name, nil
}

// volumes returns the clean, sorted VOLUME paths of the target: its image
// config's, and those given for a rootfs.
func (t *Target) volumes() []string { return declaredVolumes(t.Image, t.Volumes) }

// declaredVolumes returns the clean, sorted VOLUME paths of an image's
// config (img may be nil) and extra.
func declaredVolumes(img *layer.Image, extra []string) []string {
	out := slices.Clone(extra)
	if img != nil {
		out = slices.AppendSeq(out, maps.Keys(img.Config.Config.Volumes))
	}
	for i, v := range out {
		out[i] = path.Clean("/" + v)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
