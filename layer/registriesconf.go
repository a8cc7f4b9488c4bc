package layer

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
	"github.com/google/go-containerregistry/pkg/name"
)

// Registries is what oslayer takes from containers-registries.conf(5), the
// file podman, buildah and skopeo read: which registries are insecure
// (plain HTTP or unverified TLS allowed) or blocked, where a namespace is
// really pulled from (location), and the mirrors to try first.
type Registries struct {
	entries []registryEntry
}

type registryEntry struct {
	// prefix is what the entry applies to: HOST[:PORT][/PATH], or
	// *.DOMAIN for the hosts below a domain.
	prefix   string
	location string
	insecure bool
	blocked  bool
	mirrors  []registryMirror
}

type registryMirror struct {
	location       string
	insecure       bool
	pullFromMirror string // "all" (""), "digest-only" or "tag-only"
}

// registriesConf is the file format: v2 [[registry]] tables, and v1's
// [registries.insecure] and [registries.block] lists.
type registriesConf struct {
	Registry []struct {
		Location string `toml:"location"`
		Prefix   string `toml:"prefix"`
		Insecure bool   `toml:"insecure"`
		Blocked  bool   `toml:"blocked"`
		Mirror   []struct {
			Location       string `toml:"location"`
			Insecure       bool   `toml:"insecure"`
			PullFromMirror string `toml:"pull-from-mirror"`
		} `toml:"mirror"`
	} `toml:"registry"`
	Registries struct {
		Insecure struct {
			Registries []string `toml:"registries"`
		} `toml:"insecure"`
		Block struct {
			Registries []string `toml:"registries"`
		} `toml:"block"`
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

// LoadRegistries reads registries.conf files in order; an entry of a later
// file replaces one of an earlier file with the same prefix. Files that do
// not exist are skipped; one that does not parse is an error naming it.
func LoadRegistries(files []string) (*Registries, error) {
	r := &Registries{}
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
		for _, e := range c.Registry {
			entry := registryEntry{
				prefix:   strings.TrimSuffix(e.Prefix, "/"),
				location: strings.TrimSuffix(e.Location, "/"),
				insecure: e.Insecure,
				blocked:  e.Blocked,
			}
			if entry.prefix == "" {
				entry.prefix = entry.location
			}
			if entry.prefix == "" {
				return nil, fmt.Errorf("%s: a [[registry]] entry has neither prefix nor location", f)
			}
			if entry.location == "" && !strings.HasPrefix(entry.prefix, "*.") {
				entry.location = entry.prefix
			}
			for _, m := range e.Mirror {
				switch m.PullFromMirror {
				case "", "all", "digest-only", "tag-only":
				default:
					return nil, fmt.Errorf("%s: registry %s: pull-from-mirror %q: want all, digest-only or tag-only", f, entry.prefix, m.PullFromMirror)
				}
				if m.Location == "" {
					return nil, fmt.Errorf("%s: registry %s: a mirror without a location", f, entry.prefix)
				}
				entry.mirrors = append(entry.mirrors, registryMirror{strings.TrimSuffix(m.Location, "/"), m.Insecure, m.PullFromMirror})
			}
			r.set(entry)
		}
		for _, host := range c.Registries.Insecure.Registries {
			e := r.entry(host)
			e.insecure = true
			r.set(e)
		}
		for _, host := range c.Registries.Block.Registries {
			e := r.entry(host)
			e.blocked = true
			r.set(e)
		}
	}
	return r, nil
}

// entry returns the entry for exactly prefix, or a new one.
func (r *Registries) entry(prefix string) registryEntry {
	for _, e := range r.entries {
		if e.prefix == prefix {
			return e
		}
	}
	return registryEntry{prefix: prefix, location: prefix}
}

func (r *Registries) set(e registryEntry) {
	for i := range r.entries {
		if r.entries[i].prefix == e.prefix {
			r.entries[i] = e
			return
		}
	}
	r.entries = append(r.entries, e)
}

// find returns the entry whose prefix matches repo ("host/path/name")
// longest, as containers/image picks it; nil when none does.
func (r *Registries) find(repo string) *registryEntry {
	if r == nil {
		return nil
	}
	var best *registryEntry
	bestLen := -1
	for i, e := range r.entries {
		if !prefixMatches(e.prefix, repo) {
			continue
		}
		if n := len(e.prefix); n > bestLen {
			best, bestLen = &r.entries[i], n
		}
	}
	return best
}

// prefixMatches reports whether a registries.conf prefix applies to repo:
// repo is the prefix or below it at a path boundary; *.DOMAIN matches the
// hosts below DOMAIN.
func prefixMatches(prefix, repo string) bool {
	if domain, ok := strings.CutPrefix(prefix, "*."); ok {
		host, _, _ := strings.Cut(repo, "/")
		return strings.HasSuffix(host, "."+domain)
	}
	return repo == prefix || strings.HasPrefix(repo, prefix+"/")
}

// Insecure reports whether registries.conf allows plain HTTP or unverified
// TLS for a repository ("localhost:5000/os").
func (r *Registries) Insecure(repo string) bool {
	e := r.find(repo)
	return e != nil && e.insecure
}

// pullSource is one place to pull a reference from.
type pullSource struct {
	ref      string // the reference there
	insecure bool
	mirror   bool
}

// pullSources lists where to pull ref from, in order: the mirrors of its
// registries.conf entry that apply (pull-from-mirror), then its location
// (the prefix rewritten). A blocked entry is an error.
func (r *Registries) pullSources(ref name.Reference) ([]pullSource, error) {
	repo := ref.Context().RegistryStr() + "/" + ref.Context().RepositoryStr()
	suffix := ":" + ref.Identifier()
	_, byDigest := ref.(name.Digest)
	if byDigest {
		suffix = "@" + ref.Identifier()
	}
	e := r.find(repo)
	if e == nil {
		return []pullSource{{ref: repo + suffix}}, nil
	}
	if e.blocked {
		return nil, fmt.Errorf("registries.conf blocks %s (prefix %s)", repo, e.prefix)
	}
	rest := strings.TrimPrefix(repo, e.prefix)
	if strings.HasPrefix(e.prefix, "*.") {
		rest = repo // a wildcard entry does not rewrite
	}
	var out []pullSource
	for _, m := range e.mirrors {
		if m.pullFromMirror == "digest-only" && !byDigest || m.pullFromMirror == "tag-only" && byDigest {
			continue
		}
		out = append(out, pullSource{ref: m.location + rest + suffix, insecure: m.insecure, mirror: true})
	}
	return append(out, pullSource{ref: e.location + rest + suffix, insecure: e.insecure}), nil
}
