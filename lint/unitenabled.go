package lint

import (
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/oslayer/oslayer/layer"
)

// unitDirs hold unit files and the links that enable them; /etc first.
var unitDirs = []string{"etc/systemd/system", "usr/lib/systemd/system"}

// presetDirs hold systemd.preset files; a file in /etc replaces the file
// of the same name in /usr/lib.
var presetDirs = []string{"etc/systemd/system-preset", "usr/lib/systemd/system-preset"}

// unitEnabled says whether the unit name starts at boot, and why: a link
// to it in a .wants/ or .requires/ directory of a unit directory, or else
// a preset rule (presets are applied when a machine boots for the first
// time). A unit masked in a unit directory (a link to /dev/null), or whose
// template is, is not enabled.
func (t *Target) unitEnabled(name string) (how string, ok bool) {
	template, _, _ := splitInstance(name)
	for _, dir := range unitDirs {
		for _, n := range []string{name, template} {
			if node := t.lookup("/" + dir + "/" + n); n != "" && node != nil && node.Type == layer.TypeSymlink && node.Linkname == "/dev/null" {
				return "", false
			}
		}
	}
	for _, dir := range unitDirs {
		d := t.lookup("/" + dir)
		if d == nil || d.Type != layer.TypeDir {
			continue
		}
		for _, c := range d.Children() {
			if c.Type == layer.TypeDir && (strings.HasSuffix(c.Name, ".wants") || strings.HasSuffix(c.Name, ".requires")) && c.Child(name) != nil {
				return "/" + path.Join(dir, c.Name, name), true
			}
		}
	}
	return presetEnables(t.Tree.FS(), name)
}

// splitInstance splits an instance's name into its template and instance
// ("foo@bar.service" → "foo@.service", "bar"); ok is false for a name
// that is not an instance.
func splitInstance(name string) (template, instance string, ok bool) {
	prefix, rest, found := strings.Cut(name, "@")
	dot := strings.LastIndexByte(rest, '.')
	if !found || dot <= 0 {
		return "", "", false
	}
	return prefix + "@" + rest[dot:], rest[:dot], true
}

// presetEnables applies systemd.preset(5): the rules of every preset file,
// files in the order of their names, are tried in turn, and the first
// that matches the unit decides.
func presetEnables(fsys fs.FS, name string) (how string, ok bool) {
	files := confFiles(fsys, presetDirs, ".preset")
	byName := slices.SortedFunc(maps.Keys(files), func(a, b string) int { return strings.Compare(path.Base(a), path.Base(b)) })
	for _, file := range byName {
		for _, line := range strings.Split(files[file], "\n") {
			fields := strings.Fields(line)
			if len(fields) < 2 || !slices.Contains([]string{"enable", "disable", "ignore"}, fields[0]) || !presetMatches(fields[1], fields[2:], name) {
				continue
			}
			if fields[0] == "enable" {
				return "/" + file + ": " + strings.Join(fields, " "), true
			}
			return "", false
		}
	}
	return "", false
}

// presetMatches says whether a preset rule's glob (and its instance list,
// for a template) matches a unit name. Globs match as fnmatch does with
// FNM_NOESCAPE: a backslash is itself, as in escaped unit names.
func presetMatches(pattern string, instances []string, name string) bool {
	if len(instances) > 0 {
		template, instance, ok := splitInstance(name)
		return ok && pattern == template && slices.Contains(instances, instance)
	}
	ok, _ := path.Match(strings.ReplaceAll(pattern, `\`, `\\`), name)
	return ok
}
