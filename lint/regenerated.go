package lint

import (
	"path"
	"strings"
)

// Regenerated lists the files package managers and their triggers rewrite
// whenever packages are added, whatever those packages are. Changing them
// is not overriding base content, so usr-override leaves them alone. Each
// entry is a pattern for MatchPath, with what rewrites it.
var Regenerated = []Regenerate{
	{"/usr/lib/sysimage/rpm/**", "the rpm database"},
	{"/usr/share/rpm/**", "the rpm database (older location)"},
	{"/usr/lib/sysimage/libdnf5/**", "dnf5's state"},
	{"/usr/lib/sysimage/dnf/**", "dnf's state"},
	{"/usr/share/info/dir", "install-info's index"},
	{"/usr/share/icons/*/icon-theme.cache", "gtk-update-icon-cache"},
	{"/usr/share/fonts/**/fonts.dir", "mkfontdir"},
	{"/usr/share/fonts/**/fonts.scale", "mkfontscale"},
	{"/usr/share/fonts/**/.uuid", "fontconfig"},
	{"/usr/lib/fontconfig/cache/**", "fc-cache"},
	{"/usr/lib64/fontconfig/cache/**", "fc-cache"},
	{"/usr/lib/*/gio/modules/giomodule.cache", "gio-querymodules"},
	{"/usr/lib64/gio/modules/giomodule.cache", "gio-querymodules"},
	{"/usr/lib/gio/modules/giomodule.cache", "gio-querymodules"},
	{"/usr/share/glib-2.0/schemas/gschemas.compiled", "glib-compile-schemas"},
	{"/usr/lib/*/gdk-pixbuf-2.0/*/loaders.cache", "gdk-pixbuf-query-loaders"},
	{"/usr/lib64/gdk-pixbuf-2.0/*/loaders.cache", "gdk-pixbuf-query-loaders"},
	{"/usr/lib/*/gtk-3.0/*/immodules.cache", "gtk-query-immodules-3.0"},
	{"/usr/lib64/gtk-3.0/*/immodules.cache", "gtk-query-immodules-3.0"},
	{"/usr/share/applications/mimeinfo.cache", "update-desktop-database"},
	{"/usr/share/mime/**", "update-mime-database (except packages/, which packages own)"},
	{"/usr/lib/udev/hwdb.bin", "systemd-hwdb update"},
	{"/usr/lib/locale/locale-archive", "localedef (langpacks)"},
	{"/usr/lib/modules/*/modules.*", "depmod (kernel module packages)"},
	{"/usr/share/dict/words", "update-dictcommon"},
	{"/usr/lib/python3*/**/__pycache__/*.pyc", "byte-compilation of added Python modules"},
	{"/usr/lib/python3/dist-packages/**/__pycache__/*.pyc", "byte-compilation of added Python modules"},
}

// Regenerate is one entry of Regenerated.
type Regenerate struct {
	Pattern string `json:"pattern"`
	Why     string `json:"why"`
}

// regenerated reports whether an absolute path is one of Regenerated.
func regenerated(p string) bool {
	if strings.HasPrefix(p, "/usr/share/mime/packages/") {
		return false
	}
	for _, r := range Regenerated {
		if MatchPath(r.Pattern, p) {
			return true
		}
	}
	return false
}

// MatchPath matches an absolute path against a pattern: path.Match
// wildcards within a component (*, ?, [...]), plus "**" for any number of
// components, so "/usr/lib/app/**" matches everything below /usr/lib/app.
// A malformed pattern matches nothing.
func MatchPath(pattern, p string) bool {
	return matchParts(strings.Split(strings.Trim(pattern, "/"), "/"), strings.Split(strings.Trim(p, "/"), "/"))
}

func matchParts(pat, parts []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			if len(pat) == 1 {
				return len(parts) > 0
			}
			for i := range parts {
				if matchParts(pat[1:], parts[i:]) {
					return true
				}
			}
			return false
		}
		if len(parts) == 0 {
			return false
		}
		if ok, err := path.Match(pat[0], parts[0]); err != nil || !ok {
			return false
		}
		pat, parts = pat[1:], parts[1:]
	}
	return len(parts) == 0
}
