package layer

import (
	"cmp"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// registriesConf is what oslayer takes from containers-registries.conf(5),
// the file podman, buildah and skopeo read: which registries are insecure
// (plain HTTP or unverified TLS allowed).
type registriesConf struct {
	// Registry is the v2 format: [[registry]] tables.
	Registry []struct {
		Location string `toml:"location"`
		Prefix   string `toml:"prefix"`
		Insecure bool   `toml:"insecure"`
	} `toml:"registry"`
	// Registries is the v1 format: [registries.insecure] registries = [...].
	Registries struct {
		Insecure struct {
			Registries []string `toml:"registries"`
		} `toml:"insecure"`
	} `toml:"registries"`
}

// RegistriesConfFiles are the registries.conf files podman reads, in
// order: $CONTAINERS_REGISTRIES_CONF alone when set, else the system file
// and its drop-ins, then the user's (which replaces the system file when
// it exists, as in podman).
func RegistriesConfFiles() []string {
	if f := os.Getenv("CONTAINERS_REGISTRIES_CONF"); f != "" {
		return []string{f}
	}
	main := "/etc/containers/registries.conf"
	if home, err := os.UserConfigDir(); err == nil {
		user := filepath.Join(home, "containers", "registries.conf")
		if _, err := os.Stat(user); err == nil {
			main = user
		}
	}
	dropins, _ := filepath.Glob("/etc/containers/registries.conf.d/*.conf")
	slices.Sort(dropins)
	return append([]string{main}, dropins...)
}

// InsecureRegistries reads the registries the given registries.conf files
// mark insecure; files that do not exist are skipped, one that does not
// parse is an error naming it.
func InsecureRegistries(files []string) ([]string, error) {
	var out []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", f, err)
		}
		var c registriesConf
		if _, err := toml.Decode(string(data), &c); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		for _, r := range c.Registry {
			if r.Insecure {
				out = append(out, strings.TrimSuffix(cmp.Or(r.Location, r.Prefix), "/"))
			}
		}
		out = append(out, c.Registries.Insecure.Registries...)
	}
	return out, nil
}

// insecureHost reports whether a registry host ("localhost:5000") is one
// of the insecure registries: an entry names a host, with or without a
// repository path below it ("localhost:5000/team" counts for the host).
func insecureHost(insecure []string, host string) bool {
	for _, r := range insecure {
		if h, _, _ := strings.Cut(r, "/"); h == host {
			return true
		}
	}
	return false
}
