package lint

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/oslayer/oslayer/internal/rootdir"
)

const (
	// volumesConf receives the tmpfiles.d lines --volumes writes.
	volumesConf = "usr/lib/tmpfiles.d/oslayer-volumes.conf"
	// volumesService creates the directories of volumes before they are
	// mounted: systemd-tmpfiles-setup.service runs after local-fs.target,
	// which the mounts are part of.
	volumesService = "oslayer-volumes.service"
	// systemUnitDir is where --volumes writes units, enabled by links in
	// local-fs.target.wants/ beside them (presets would reach only
	// machines installed from this image, not upgraded ones).
	systemUnitDir = "usr/lib/systemd/system"
)

// VolumeFix says what finalize --volumes did, or would do, for one VOLUME.
type VolumeFix struct {
	Path string `json:"path"`
	// Real is where Path leads in the root, through symlinks.
	Real string `json:"real"`
	// Unit is the mount unit written for a VOLUME in the image; none for
	// one in /var or /etc.
	Unit string `json:"unit,omitempty"`
	// What is the directory Unit binds over Real.
	What string `json:"what,omitempty"`
	// Seed holds the image's content at Real, copied into What at first
	// boot, when there was any.
	Seed string `json:"seed,omitempty"`
	// Lines are its tmpfiles.d lines.
	Lines []string `json:"tmpfiles,omitempty"`
}

// fixVolumes keeps what is written at each VOLUME path on a booted system.
// A VOLUME in the image gets a bind mount from /var/lib/volumes/NAME (NAME
// being the unit name systemd gives the path), enabled in
// local-fs.target.wants, with a tmpfiles.d line for the directory; the
// image's content at the path moves to the same path below
// /usr/share/factory and a C line copies it into the volume at first boot.
// A VOLUME in /var gets only its tmpfiles.d d line (unless declared
// already), one in /etc nothing: both persist. declared are the tmpfiles.d
// entries the root has. Every VOLUME is checked before anything changes;
// with dryRun nothing does, and it returns what it would do.
func fixVolumes(r *rootdir.Dir, volumes []string, declared map[string]tmpfilesEntry, dryRun bool) ([]VolumeFix, error) {
	fixes, err := planVolumes(r, volumes, declared, false)
	if err != nil || dryRun {
		return fixes, err
	}
	if fixes, err = planVolumes(r, volumes, declared, true); err != nil {
		return fixes, err
	}
	var lines []string
	mounts := false
	for _, f := range fixes {
		lines = append(lines, f.Lines...)
		mounts = mounts || f.Unit != ""
	}
	if mounts {
		if err := r.WriteFile(path.Join(systemUnitDir, volumesService), []byte(volumesServiceUnit), 0o644, os.Getuid(), os.Getgid()); err != nil {
			return fixes, err
		}
	}
	if len(lines) == 0 {
		return fixes, nil
	}
	return fixes, writeVolumesConf(r, lines)
}

// planVolumes works out, and with apply carries out, what fixVolumes does
// for each VOLUME. A VOLUME below another is handled first: its content
// goes to its own seed, and its emptied mount point into the outer one's.
func planVolumes(r *rootdir.Dir, volumes []string, declared map[string]tmpfilesEntry, apply bool) ([]VolumeFix, error) {
	var fixes []VolumeFix
	sorted := declaredVolumes(nil, volumes)
	slices.Reverse(sorted)
	for _, v := range sorted {
		real, err := r.RealPath(v)
		if err != nil {
			return fixes, fmt.Errorf("VOLUME %s: %w", v, err)
		}
		if strings.ContainsFunc(real, isControl) {
			return fixes, fmt.Errorf("VOLUME %q: a control character cannot be written in tmpfiles.d or a unit file", v)
		}
		fix := VolumeFix{Path: v, Real: real}
		switch placeOf(real) {
		case notAVolume:
			return fixes, fmt.Errorf("VOLUME %s (%s): the OS itself or a file system mounted afresh at every boot cannot hold a volume; declare it under /var", v, real)
		case inEtc:
		case inVar:
			// Lines of an earlier run are written again, so that the report
			// and the file stay the same.
			if e, ok := declared[real]; !ok || e.File == "/"+volumesConf {
				mode, uid, gid, _, err := dirOwner(r, real)
				if err != nil {
					return fixes, fmt.Errorf("VOLUME %s: %w", v, err)
				}
				fix.Lines = []string{ownedDirLine(r, real, mode, uid, gid)}
			}
		case inImage:
			if err := bindVolume(r, &fix, apply); err != nil {
				return fixes, fmt.Errorf("VOLUME %s: %w", v, err)
			}
		}
		fixes = append(fixes, fix)
	}
	slices.Reverse(fixes)
	return fixes, nil
}

// ownedDirLine is the d line of a directory of the root, its owner named
// as the root's passwd and group name it.
func ownedDirLine(r *rootdir.Dir, p string, mode uint32, uid, gid int) string {
	fsys := r.ReadFS()
	return tmpfilesDirLine(p, mode, readIDNames(fsys, "passwd").name(uint32(uid)), readIDNames(fsys, "group").name(uint32(gid)))
}

// dirOwner returns the mode and owner of the directory at the real path p,
// 0755 root for one that does not exist; exists says which.
func dirOwner(r *rootdir.Dir, p string) (mode uint32, uid, gid int, exists bool, err error) {
	dir, name := path.Split(strings.TrimPrefix(p, "/"))
	fd, err := r.OpenDir(strings.TrimSuffix(dir, "/"))
	if errors.Is(err, unix.ENOENT) {
		return 0o755, 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, 0, false, err
	}
	defer unix.Close(fd)
	var st unix.Stat_t
	if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); errors.Is(err, unix.ENOENT) {
		return 0o755, 0, 0, false, nil
	} else if err != nil {
		return 0, 0, 0, false, fmt.Errorf("%s: %w", r.Host(p[1:]), err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return 0, 0, 0, false, fmt.Errorf("%s: not a directory", p)
	}
	return st.Mode & 0o7777, int(st.Uid), int(st.Gid), true, nil
}

// bindVolume works out the mount unit of a VOLUME in the image and its
// tmpfiles.d line; with apply it writes the unit and its enabling link,
// and moves the image's content at the mount point into /usr/share/factory.
func bindVolume(r *rootdir.Dir, fix *VolumeFix, apply bool) error {
	if strings.TrimRight(fix.Real, " \t") != fix.Real {
		return fmt.Errorf("%q: a trailing blank cannot be written in a unit file", fix.Real)
	}
	unit, what, err := volumeMount(fix.Real)
	if err != nil {
		return err
	}
	fix.Unit, fix.What = unit, what
	mode, uid, gid, exists, err := dirOwner(r, fix.Real)
	if err != nil {
		return err
	}
	rel := fix.Real[1:]
	seedRel := path.Join(factoryDir, rel)
	var names []string
	if exists {
		fd, err := r.OpenDir(rel)
		if errors.Is(err, rootdir.ErrUnsafe) {
			return fmt.Errorf("%w: the builder mounts a volume there when the Containerfile's VOLUME line comes before this RUN step; put it after", err)
		}
		if err != nil {
			return err
		}
		names, err = rootdir.Names(fd)
		unix.Close(fd)
		if err != nil {
			return err
		}
		slices.Sort(names)
	}
	if seeded, err := hasEntries(r, seedRel); err != nil {
		return err
	} else if seeded || len(names) > 0 {
		fix.Seed = "/" + seedRel
		fix.Lines = []string{tmpfilesCopyLine(what, fix.Seed)}
	} else {
		fix.Lines = []string{ownedDirLine(r, what, mode, uid, gid)}
	}
	if !apply {
		return nil
	}
	if len(names) > 0 {
		if err := moveEntries(r, rel, seedRel, names, mode, uid, gid); err != nil {
			return err
		}
	}
	if !exists {
		fd, err := r.MkdirAll(rel)
		if err != nil {
			return err
		}
		unix.Close(fd)
	}
	wants := path.Join(systemUnitDir, "local-fs.target.wants")
	fd, err := r.MkdirAll(wants)
	if err != nil {
		return err
	}
	unix.Close(fd)
	if err := r.WriteFile(path.Join(systemUnitDir, unit), []byte(mountUnit(fix.Path, fix.Real, what)), 0o644, os.Getuid(), os.Getgid()); err != nil {
		return err
	}
	return r.Symlink(path.Join(wants, unit), "../"+unit, os.Getuid(), os.Getgid())
}

// hasEntries reports whether the root-relative directory rel exists and
// is not empty.
func hasEntries(r *rootdir.Dir, rel string) (bool, error) {
	fd, err := r.OpenDir(rel)
	if errors.Is(err, unix.ENOENT) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer unix.Close(fd)
	names, err := rootdir.Names(fd)
	return len(names) > 0, err
}

// moveEntries moves the named entries of the directory from into the
// directory to, created with the given mode and owner (its parents 0755),
// never replacing what is there.
func moveEntries(r *rootdir.Dir, from, to string, names []string, mode uint32, uid, gid int) error {
	pfd, err := r.MkdirAll(path.Dir(to))
	if err != nil {
		return err
	}
	unix.Close(pfd)
	if err := r.Mkdir(to, mode, uid, gid); err != nil {
		return err
	}
	src, err := r.OpenDir(from)
	if err != nil {
		return err
	}
	defer unix.Close(src)
	dst, err := r.OpenDir(to)
	if err != nil {
		return err
	}
	defer unix.Close(dst)
	for _, name := range names {
		err := unix.Renameat2(src, name, dst, name, unix.RENAME_NOREPLACE)
		switch {
		case errors.Is(err, unix.EEXIST):
			return fmt.Errorf("moving /%s/%s into /%s: /%s/%s exists already", from, name, to, to, name)
		case errors.Is(err, unix.EXDEV):
			return fmt.Errorf("moving /%s/%s into /%s: another file system", from, name, to)
		case err != nil:
			return fmt.Errorf("moving /%s/%s into /%s: %w", from, name, to, err)
		}
	}
	return nil
}

// unitValue escapes the specifier character of systemd unit files.
func unitValue(s string) string { return strings.ReplaceAll(s, "%", "%%") }

// mountUnit is the bind mount of the VOLUME declared as volume, at the real
// path where, from what in /var.
func mountUnit(volume, where, what string) string {
	return "# Written by oslayer finalize --volumes: VOLUME " + unitValue(volume) + " persists in /var.\n" +
		"[Unit]\n" +
		"Description=VOLUME " + unitValue(volume) + ", kept in " + what + "\n" +
		"Requires=" + volumesService + "\n" +
		"After=" + volumesService + " var.mount\n" +
		"\n[Mount]\n" +
		"What=" + what + "\n" +
		"Where=" + unitValue(where) + "\n" +
		"Options=bind\n" +
		"\n[Install]\n" +
		"WantedBy=local-fs.target\n"
}

// volumesServiceUnit creates the volumes' directories once /var is
// writable (ostree remounts it read-write), before the mounts that need
// them.
const volumesServiceUnit = `# Written by oslayer finalize --volumes.
[Unit]
Description=Directories of the image's VOLUMEs in ` + volumesDir + `
DefaultDependencies=no
RequiresMountsFor=` + volumesDir + `
After=systemd-remount-fs.service ostree-remount.service var.mount
Conflicts=shutdown.target
Before=shutdown.target

[Service]
Type=oneshot
RemainAfterExit=yes
ExecStart=systemd-tmpfiles --create --prefix=` + volumesDir + `
`

// writeVolumesConf writes lines into volumesConf: a line for a path the
// file has replaces it in place, the others are added at its end.
func writeVolumesConf(r *rootdir.Dir, lines []string) error {
	byPath := map[string]string{}
	var order []string
	for _, l := range lines {
		p := parseTmpfiles(l)[0].Path
		byPath[p] = l
		order = append(order, p)
	}
	text := "# Written by oslayer finalize --volumes: the directories in /var of the image's VOLUMEs\n" +
		"# (" + volumesService + " creates those in " + volumesDir + " before their mounts).\n"
	if f, err := r.ReadFS().Open(volumesConf); err == nil {
		old, err := readAllClose(f)
		if err != nil {
			return err
		}
		text = ""
		for _, l := range strings.SplitAfter(string(old), "\n") {
			if ents := parseTmpfiles(l); len(ents) == 1 && byPath[ents[0].Path] != "" {
				l = byPath[ents[0].Path] + "\n"
				delete(byPath, ents[0].Path)
			}
			text += l
		}
	}
	for _, p := range order {
		if l, ok := byPath[p]; ok {
			text += l + "\n"
		}
	}
	fd, err := r.MkdirAll(path.Dir(volumesConf))
	if err != nil {
		return err
	}
	unix.Close(fd)
	return r.WriteFile(volumesConf, []byte(text), 0o644, os.Getuid(), os.Getgid())
}

// writeVolumeFixes says what --volumes did for each VOLUME.
func writeVolumeFixes(w io.Writer, rep *FinalizeReport) {
	binds, lines, wrote := "binds", 0, "written to"
	if rep.DryRun {
		binds, wrote = "would bind", "would go to"
	}
	for _, v := range rep.Volumes {
		at := v.Path
		if v.Real != v.Path {
			at += " (" + v.Real + ")"
		}
		switch {
		case v.Unit != "" && v.Seed != "":
			fmt.Fprintf(w, "  --volumes: %s: %s %s %s there, seeded at first boot from %s\n", at, v.Unit, binds, v.What, v.Seed)
		case v.Unit != "":
			fmt.Fprintf(w, "  --volumes: %s: %s %s %s there\n", at, v.Unit, binds, v.What)
		case len(v.Lines) > 0:
			fmt.Fprintf(w, "  --volumes: %s: in /var, declared with %s\n", at, v.Lines[0])
		case placeOf(v.Real) == inEtc:
			fmt.Fprintf(w, "  --volumes: %s: in /etc, kept by the 3-way merge\n", at)
		default:
			fmt.Fprintf(w, "  --volumes: %s: in /var, declared in tmpfiles.d already\n", at)
		}
		lines += len(v.Lines)
	}
	if rep.VolumesConf != "" {
		fmt.Fprintf(w, "  --volumes: %d tmpfiles.d lines %s %s\n", lines, wrote, rep.VolumesConf)
	}
}
