package lint

import (
	"strings"

	"github.com/oslayer/oslayer/layer"
)

// unitEnabled says whether the unit name starts at boot: a link to it in
// a .wants/, .requires/ or .upholds/ directory of a unit directory, or
// else a preset that enables it (presets are applied when a machine boots
// for the first time). A unit masked in a unit directory (a link to
// /dev/null), or whose template is, is not enabled.
func (t *Target) unitEnabled(name string) bool {
	template, _, _ := splitInstance(name)
	for _, dir := range unitDirs {
		for _, n := range []string{name, template} {
			if n == "" {
				continue
			}
			if node := t.lookup("/" + dir + "/" + n); node != nil && node.Type == layer.TypeSymlink && node.Linkname == "/dev/null" {
				return false
			}
		}
	}
	if staticallyEnabled(t.Tree, name) {
		return true
	}
	_, ok := readPresets(t.Tree.FS()).enables(name)
	return ok
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
