package lint

import (
	"bufio"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/oslayer/oslayer/layer"
)

// presetDirs hold systemd preset files; a file in an earlier directory
// replaces the file of the same name in a later one.
var presetDirs = []string{"etc/systemd/system-preset", "usr/lib/systemd/system-preset"}

// unitDirs hold unit files, in systemd's order of precedence.
var unitDirs = []string{"etc/systemd/system", "usr/lib/systemd/system"}

// presetRule is one line of a preset file: enable, disable or ignore the
// units matching a glob, or the listed instances of a template.
type presetRule struct {
	enable    bool
	verb      string
	pattern   string
	instances []string
	file      string
}

// presets are a tree's preset rules in the order systemd applies them: all
// files sorted by name, the first matching line wins.
type presets []presetRule

func readPresets(fsys fs.FS) presets {
	files := confFiles(fsys, presetDirs, ".preset")
	byName := map[string]string{}
	for p := range files {
		byName[path.Base(p)] = p
	}
	var out presets
	for _, name := range slices.Sorted(maps.Keys(byName)) {
		sc := bufio.NewScanner(strings.NewReader(files[byName[name]]))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) < 2 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], ";") {
				continue
			}
			switch f[0] {
			case "enable", "disable", "ignore":
				out = append(out, presetRule{enable: f[0] == "enable", verb: f[0], pattern: f[1], instances: f[2:], file: "/" + byName[name]})
			}
		}
	}
	return out
}

// enables returns the rule that decides unit when it enables it: the
// first matching line. A unit no line matches is left to systemd's
// default, which this check does not count on.
func (ps presets) enables(unit string) (presetRule, bool) {
	for _, r := range ps {
		if r.matches(unit) {
			return r, r.enable
		}
	}
	return presetRule{}, false
}

// matches says whether the rule is about unit: "enable foo@.service a b"
// is about foo@a.service and foo@b.service; else its glob matches as
// fnmatch with FNM_NOESCAPE does, a backslash being itself (as in escaped
// unit names: ostree-state-overlay@opt-my\x2dapp.service).
func (r presetRule) matches(unit string) bool {
	if len(r.instances) > 0 {
		template, instance, ok := splitInstance(unit)
		return ok && r.pattern == template && slices.Contains(r.instances, instance)
	}
	ok, _ := path.Match(strings.ReplaceAll(r.pattern, `\`, `\\`), unit)
	return ok
}

// unitInstall is what a unit's [Install] section says.
type unitInstall struct {
	WantedBy, RequiredBy []string
	// Installable: the section has a key systemctl enable acts on.
	Installable bool
}

// readUnits returns the [Install] sections of a tree's units by name, the
// unit in the directory of highest precedence winning. Templates are left
// out: a preset enables their instances only with an explicit instance.
func readUnits(fsys fs.FS) map[string]unitInstall {
	out := map[string]unitInstall{}
	for _, dir := range unitDirs {
		ents, err := fs.ReadDir(fsys, dir)
		if err != nil {
			continue
		}
		for _, e := range ents {
			name := e.Name()
			if _, seen := out[name]; seen || strings.Contains(name, "@.") || !e.Type().IsRegular() {
				continue
			}
			data, err := fs.ReadFile(fsys, path.Join(dir, name))
			if err != nil {
				continue
			}
			out[name] = parseInstall(string(data))
		}
	}
	return out
}

// parseInstall reads the [Install] section of a unit file.
func parseInstall(data string) unitInstall {
	var in unitInstall
	section := ""
	sc := bufio.NewScanner(strings.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";") {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			section = line[1 : len(line)-1]
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || section != "Install" {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		switch k {
		case "WantedBy":
			in.WantedBy = append(in.WantedBy, strings.Fields(v)...)
		case "RequiredBy":
			in.RequiredBy = append(in.RequiredBy, strings.Fields(v)...)
		}
		switch k {
		case "WantedBy", "RequiredBy", "UpheldBy", "Also", "Alias":
			in.Installable = in.Installable || v != ""
		}
	}
	return in
}

// staticallyEnabled reports whether a .wants, .requires or .upholds link
// in a unit directory of the tree pulls unit in.
func staticallyEnabled(tree *layer.Tree, unit string) bool {
	for _, dir := range unitDirs {
		d := tree.Lookup(dir)
		if d == nil || d.Type != layer.TypeDir {
			continue
		}
		for _, n := range d.Children() {
			if n.Type == layer.TypeDir && (strings.HasSuffix(n.Name, ".wants") || strings.HasSuffix(n.Name, ".requires") || strings.HasSuffix(n.Name, ".upholds")) &&
				tree.Lookup(path.Join(dir, n.Name, unit)) != nil {
				return true
			}
		}
	}
	return false
}
