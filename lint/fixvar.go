package lint

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/oslayer/oslayer/internal/rootdir"
)

const (
	// factoryDir is where systemd-tmpfiles' C lines copy from by default.
	factoryDir = "usr/share/factory"
	// fixVarConf receives the lines --fix-var writes.
	fixVarConf = "usr/lib/tmpfiles.d/oslayer-var.conf"
)

// varLeftAlone are /var paths --fix-var does not move: the directories
// finalize empties and /var/log, whose files are the build's logs, to be
// deleted rather than copied to every machine (declared with a d line if
// need be), and /var/run, which var-run judges.
var varLeftAlone = map[string]bool{"/var/tmp": true, "/var/cache": true, "/var/log": true, "/var/run": true}

// varPackageState are the package managers' databases and state: moved
// into /usr/share/factory, a C line would copy them once and never again,
// so the database would describe the first image forever (and the same
// run would judge base files against an empty one). They stay where they
// are; the var-pkgdb rule says what to do instead.
var varPackageState = map[string]bool{
	"/var/lib/dpkg": true, "/var/lib/apt": true, "/var/lib/rpm": true, "/var/lib/rpm-state": true,
	"/var/lib/dnf": true, "/var/lib/yum": true, "/var/lib/alternatives": true,
}

// fixVar moves /var content no tmpfiles.d entry declares into
// /usr/share/factory/var and declares it: a C line copies a file or
// directory back at boot when it is missing, an L line recreates a
// symlink. Directories that are declared are entered; what is below them
// is judged the same way. It returns the lines written; with dryRun it
// moves and writes nothing and returns the lines it would write.
func fixVar(r *rootdir.Dir, dryRun bool) ([]string, error) {
	fsys := r.ReadFS()
	entries := readTmpfiles(fsys)
	users, groups := readIDNames(fsys, "passwd"), readIDNames(fsys, "group")
	var lines []string
	var walk func(rel string) error
	walk = func(rel string) error {
		fd, err := r.OpenDir(rel)
		if err != nil {
			return fmt.Errorf("--fix-var: %w", err)
		}
		defer unix.Close(fd)
		children, err := rootdir.Names(fd)
		if err != nil {
			return err
		}
		slices.Sort(children)
		for _, name := range children {
			childRel := rel + "/" + name
			abs := "/" + childRel
			if r.Mounts[r.Host(childRel)] {
				continue
			}
			if strings.ContainsFunc(name, isControl) {
				return fmt.Errorf("--fix-var: %q: a name with a control character cannot be declared in tmpfiles.d", abs)
			}
			var st unix.Stat_t
			if err := unix.Fstatat(fd, name, &st, unix.AT_SYMLINK_NOFOLLOW); err != nil {
				return fmt.Errorf("%s: %w", r.Host(childRel), err)
			}
			isDir := st.Mode&unix.S_IFMT == unix.S_IFDIR
			_, declared := entries[abs]
			if varPackageState[abs] {
				continue
			}
			if varLeftAlone[abs] {
				if isDir && !declared && abs != "/var/run" {
					lines = append(lines, tmpfilesDirLine(abs, st.Mode, users.name(st.Uid), groups.name(st.Gid)))
				}
				continue
			}
			if declared {
				if isDir && st.Dev == r.Dev {
					if err := walk(childRel); err != nil {
						return err
					}
				}
				continue
			}
			if st.Mode&unix.S_IFMT == unix.S_IFLNK {
				target, err := fsys.ReadLink(childRel)
				if err != nil {
					return fmt.Errorf("%s: %w", r.Host(childRel), err)
				}
				if dryRun {
					lines = append(lines, tmpfilesLinkLine(abs, target))
					continue
				}
				if err := unix.Unlinkat(fd, name, 0); err != nil {
					return fmt.Errorf("removing %s: %w", r.Host(childRel), err)
				}
				lines = append(lines, tmpfilesLinkLine(abs, target))
				continue
			}
			copyLine := tmpfilesCopyLine(abs, "/"+path.Join(factoryDir, childRel))
			if dryRun {
				lines = append(lines, copyLine)
				continue
			}
			dst, err := r.MkdirAll(path.Join(factoryDir, rel))
			if err != nil {
				return err
			}
			err = unix.Renameat(fd, name, dst, name)
			unix.Close(dst)
			if errors.Is(err, unix.EXDEV) {
				return fmt.Errorf("moving %s into /%s: /var is another file system", abs, factoryDir)
			}
			if err != nil {
				return fmt.Errorf("moving %s into /%s: %w", abs, path.Join(factoryDir, rel), err)
			}
			lines = append(lines, copyLine)
		}
		return nil
	}
	if err := walk("var"); err != nil {
		return lines, err
	}
	if len(lines) == 0 || dryRun {
		return lines, nil
	}
	return lines, appendConf(r, fixVarConf, lines)
}

// appendConf adds lines to a root-relative configuration file, keeping
// the lines it has.
func appendConf(r *rootdir.Dir, rel string, lines []string) error {
	dir, name := path.Split(rel)
	dfd, err := r.MkdirAll(strings.TrimSuffix(dir, "/"))
	if err != nil {
		return err
	}
	defer unix.Close(dfd)
	var old []byte
	if f, err := r.ReadFS().Open(rel); err == nil {
		old, _ = readAllClose(f)
	}
	text := string(old)
	if text == "" {
		text = "# Written by oslayer finalize --fix-var: /var content the image shipped, recreated at boot.\n"
	}
	for _, l := range lines {
		if !strings.Contains(text, l+"\n") {
			text += l + "\n"
		}
	}
	fd, err := unix.Openat(dfd, name, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return fmt.Errorf("writing %s: %w", r.Host(rel), err)
	}
	_, werr := unix.Write(fd, []byte(text))
	if cerr := unix.Close(fd); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("writing %s: %w", r.Host(rel), werr)
	}
	return nil
}
