package butane

import (
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

// Firstboot is what only Ignition at first boot can do: partition disks,
// build RAID and LUKS devices and file systems (and write what goes on
// them, /boot included), set password hashes, remove kernel arguments,
// fetch further configs.
type Firstboot struct {
	// Parts names each firstboot-only part, for messages.
	Parts []string
	// mounts are the paths of the config's file systems and /boot:
	// content under them is written at first boot.
	mounts []string
	// units are the mount and swap units of firstboot file systems
	// (Butane's with_mount_unit): shipped in the image, they would fail the
	// boot of a machine that never ran the firstboot config.
	units map[string]bool
	raw   map[string]any
}

// firstbootStorage are the storage sections that are firstboot-only whole.
var firstbootStorage = []string{"disks", "raid", "luks", "filesystems"}

// SplitFirstboot finds the firstboot-only parts of a config.
func SplitFirstboot(c *Config) (*Firstboot, error) {
	var raw map[string]any
	if err := json.Unmarshal(c.Raw, &raw); err != nil {
		return nil, fmt.Errorf("%s: %w", c.Name, err)
	}
	fb := &Firstboot{raw: raw, mounts: []string{"/boot"}, units: map[string]bool{}}
	storage := object(raw, "storage")
	for _, k := range firstbootStorage {
		if n := len(list(storage, k)); n > 0 {
			fb.Parts = append(fb.Parts, fmt.Sprintf("storage.%s (%d)", k, n))
		}
	}
	for _, f := range list(storage, "filesystems") {
		fs := object2(f)
		if p, _ := fs["path"].(string); p != "" && p != "/" {
			fb.mounts = append(fb.mounts, path.Clean(p))
			fb.units[escapePath(p)+".mount"] = true
		}
		if format, _ := fs["format"].(string); format == "swap" {
			if dev, _ := fs["device"].(string); dev != "" {
				fb.units[escapePath(dev)+".swap"] = true
			}
		}
	}
	for _, u := range list(object(raw, "systemd"), "units") {
		if name, _ := object2(u)["name"].(string); fb.units[name] {
			fb.Parts = append(fb.Parts, "systemd.units "+name+" (mounts a file system created at first boot)")
		}
	}
	for _, k := range []string{"files", "directories", "links"} {
		for _, n := range list(storage, k) {
			if p, _ := object2(n)["path"].(string); fb.onFirstbootMount(p) {
				fb.Parts = append(fb.Parts, fmt.Sprintf("storage.%s %s (on a file system created at first boot)", k, p))
			}
		}
	}
	passwd := object(raw, "passwd")
	for _, k := range []string{"users", "groups"} {
		for _, u := range list(passwd, k) {
			m := object2(u)
			if h, _ := m["passwordHash"].(string); h != "" {
				fb.Parts = append(fb.Parts, fmt.Sprintf("passwd.%s %v: password_hash", k, m["name"]))
			}
			if se, ok := m["shouldExist"].(bool); ok && !se {
				fb.Parts = append(fb.Parts, fmt.Sprintf("passwd.%s %v: should_exist: false", k, m["name"]))
			}
		}
	}
	if n := len(list(object(raw, "kernelArguments"), "shouldNotExist")); n > 0 {
		fb.Parts = append(fb.Parts, fmt.Sprintf("kernel_arguments.should_not_exist (%d)", n))
	}
	cfg := object(object(raw, "ignition"), "config")
	if len(list(cfg, "merge")) > 0 || object(cfg, "replace")["source"] != nil {
		fb.Parts = append(fb.Parts, "ignition.config.merge/replace")
	}
	return fb, nil
}

// onFirstbootMount reports whether an absolute path lies on a file system
// that first boot creates (or on /boot).
func (fb *Firstboot) onFirstbootMount(p string) bool {
	p = path.Clean("/" + p)
	for _, m := range fb.mounts {
		if p == m || strings.HasPrefix(p, m+"/") {
			return true
		}
	}
	return false
}

// Config returns an Ignition config of the original spec version holding
// only the firstboot parts (plus the ignition section's fetch settings),
// deterministic JSON.
func (fb *Firstboot) Config() ([]byte, error) {
	out := map[string]any{}
	ign := map[string]any{}
	for k, v := range object(fb.raw, "ignition") {
		if k != "config" {
			ign[k] = v
		}
	}
	if cfg := object(object(fb.raw, "ignition"), "config"); len(cfg) > 0 {
		ign["config"] = cfg
	}
	out["ignition"] = ign
	storage := object(fb.raw, "storage")
	st := map[string]any{}
	for _, k := range firstbootStorage {
		if l := list(storage, k); len(l) > 0 {
			st[k] = l
		}
	}
	for _, k := range []string{"files", "directories", "links"} {
		var keep []any
		for _, n := range list(storage, k) {
			if p, _ := object2(n)["path"].(string); fb.onFirstbootMount(p) {
				keep = append(keep, n)
			}
		}
		if len(keep) > 0 {
			st[k] = keep
		}
	}
	if len(st) > 0 {
		out["storage"] = st
	}
	var units []any
	for _, u := range list(object(fb.raw, "systemd"), "units") {
		if name, _ := object2(u)["name"].(string); fb.units[name] {
			units = append(units, u)
		}
	}
	if len(units) > 0 {
		out["systemd"] = map[string]any{"units": units}
	}
	pw := map[string]any{}
	for _, k := range []string{"users", "groups"} {
		var keep []any
		for _, u := range list(object(fb.raw, "passwd"), k) {
			m := object2(u)
			entry := map[string]any{"name": m["name"]}
			if h, _ := m["passwordHash"].(string); h != "" {
				entry["passwordHash"] = h
			}
			if se, ok := m["shouldExist"].(bool); ok && !se {
				entry["shouldExist"] = false
			}
			if len(entry) > 1 {
				keep = append(keep, entry)
			}
		}
		if len(keep) > 0 {
			pw[k] = keep
		}
	}
	if len(pw) > 0 {
		out["passwd"] = pw
	}
	if l := list(object(fb.raw, "kernelArguments"), "shouldNotExist"); len(l) > 0 {
		out["kernelArguments"] = map[string]any{"shouldNotExist": l}
	}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}

// escapePath escapes a path into a unit name as systemd-escape --path does:
// "/var/lib/data" → "var-lib-data", special bytes as \xNN.
func escapePath(p string) string {
	p = strings.Trim(path.Clean(p), "/")
	if p == "" {
		return "-"
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '/':
			b.WriteByte('-')
		case c == '.' && i == 0, !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == ':' || c == '_' || c == '.'):
			fmt.Fprintf(&b, `\x%02x`, c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

func object(m map[string]any, k string) map[string]any {
	v, _ := m[k].(map[string]any)
	return v
}

func object2(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}

func list(m map[string]any, k string) []any {
	v, _ := m[k].([]any)
	return v
}
