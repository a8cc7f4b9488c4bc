package layer

import (
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/oslayer/oslayer/layer/pkgdb"
)

// unitSuffixes are the systemd unit files whose [Install] sections the
// preset checks read.
var unitSuffixes = []string{".service", ".socket", ".timer", ".path", ".target", ".mount", ".automount", ".swap"}

// keptDirs are directories whose files with these suffixes are kept (all
// of them for none): the small configuration files oslayer's checks read.
var keptDirs = map[string][]string{
	"usr/lib/bootc/kargs.d":         {".toml"},
	"usr/lib/sysusers.d":            {".conf"},
	"etc/sysusers.d":                {".conf"},
	"usr/lib/tmpfiles.d":            {".conf"},
	"etc/tmpfiles.d":                {".conf"},
	"etc/dpkg/dpkg.cfg.d":           nil,
	"usr/lib/systemd/system-preset": {".preset"},
	"etc/systemd/system-preset":     {".preset"},
	"usr/lib/systemd/system":        unitSuffixes,
	"etc/systemd/system":            unitSuffixes,
}

// keptFiles are single configuration files that are kept.
var keptFiles = map[string]bool{
	"etc/passwd":                       true,
	"etc/group":                        true,
	"usr/lib/passwd":                   true,
	"usr/lib/group":                    true,
	"usr/lib/ostree/prepare-root.conf": true,
	"etc/ostree/prepare-root.conf":     true,
	"etc/dpkg/dpkg.cfg":                true,
	"etc/os-release":                   true,
	"usr/lib/os-release":               true,
	// bootc's reference copy of a base image root, which lint checks too.
	"usr/share/doc/bootc/baseimage/base/usr/lib/ostree/prepare-root.conf": true,
	"usr/share/doc/bootc/baseimage/base/etc/ostree/prepare-root.conf":     true,
}

// Kept reports whether the content of the regular file at the clean path
// p is kept when a layer is indexed, so that Tree.FS can read it without
// the layer: package databases and the configuration files oslayer's
// checks read (users and groups, sysusers.d, tmpfiles.d, kargs.d,
// prepare-root.conf, dpkg's configuration, systemd presets and unit
// files, os-release). Everything else is only hashed.
func Kept(p string) bool {
	if keptFiles[p] || pkgdb.IsDatabaseFile(p) {
		return true
	}
	dir, base := path.Split(p)
	exts, ok := keptDirs[strings.TrimSuffix(dir, "/")]
	return ok && (exts == nil || slices.ContainsFunc(exts, func(ext string) bool { return strings.HasSuffix(base, ext) }))
}

// keptNodes returns the regular files of t at kept paths.
func keptNodes(t *Tree) []*Node {
	var out []*Node
	add := func(p string, n *Node) {
		if n != nil && n.Type == TypeRegular && Kept(p) {
			out = append(out, n)
		}
	}
	for p := range keptFiles {
		add(p, t.Lookup(p))
	}
	dirs := append(slices.Collect(maps.Keys(keptDirs)), pkgdb.DatabaseDirs()...)
	for _, d := range dirs {
		if dir := t.Lookup(d); dir != nil && dir.Type == TypeDir {
			for _, n := range dir.all() {
				add(join(d, n.Name), n)
			}
		}
	}
	return out
}
