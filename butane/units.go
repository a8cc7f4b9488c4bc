package butane

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/coreos/ignition/v2/config/v3_7_experimental/types"

	"github.com/oslayer/oslayer/layer"
)

const (
	// unitDir is where Ignition writes units, drop-ins and masks.
	unitDir = "/etc/systemd/system"
	// presetFile is where Ignition records enabled and disabled units.
	presetFile = "/etc/systemd/system-preset/20-ignition.preset"
)

// unitSearchPath is where an enabled unit the config does not define is
// looked for in the target.
var unitSearchPath = []string{"/etc/systemd/system", "/usr/lib/systemd/system", "/lib/systemd/system"}

// units writes units and drop-ins, masks, and enables or disables units:
// the preset file Ignition writes, plus the [Install] links systemctl
// enable would make, because presets are not applied again when a machine
// upgrades to the image.
func (r *renderer) units(context.Context) error {
	var presets []string
	for _, u := range r.cfg.Ign.Systemd.Units {
		what := "systemd.units " + u.Name
		if r.fb.units[u.Name] {
			continue // left for first boot with its file system
		}
		if strings.ContainsAny(u.Name, "/\x00") || u.Name == "" || u.Name == "." || u.Name == ".." {
			return fmt.Errorf("%s: invalid unit name", what)
		}
		unitPath := r.target.canonical(path.Join(unitDir, u.Name))
		masked := isTrue(u.Mask)
		if u.Contents != nil && !masked {
			if err := r.add(Entry{Path: unitPath, Type: layer.TypeRegular, Mode: 0o644, Data: []byte(*u.Contents), Why: what}); err != nil {
				return err
			}
		}
		for _, d := range u.Dropins {
			if strings.ContainsAny(d.Name, "/\x00") || d.Name == "" {
				return fmt.Errorf("%s: invalid drop-in name %q", what, d.Name)
			}
			if d.Contents == nil {
				continue
			}
			if err := r.add(Entry{Path: unitPath + ".d/" + d.Name, Type: layer.TypeRegular, Mode: 0o644, Data: []byte(*d.Contents), Why: what + " drop-in " + d.Name}); err != nil {
				return err
			}
		}
		switch {
		case masked:
			if err := r.add(Entry{Path: unitPath, Type: layer.TypeSymlink, Mode: 0o777, Link: "/dev/null", Why: what + " mask"}); err != nil {
				return err
			}
		case u.Mask != nil:
			if n := r.existing(unitPath); n != nil && n.Type == layer.TypeSymlink && n.Linkname == "/dev/null" {
				if err := r.add(Entry{Path: unitPath, Remove: true, Why: what + " unmask"}); err != nil {
					return err
				}
			}
		}
		if u.Enabled == nil {
			continue
		}
		if *u.Enabled {
			presets = append(presets, "enable "+u.Name)
			if err := r.enable(u, map[string]bool{}); err != nil {
				return err
			}
		} else {
			presets = append(presets, "disable "+u.Name)
			if err := r.disable(u.Name, what); err != nil {
				return err
			}
		}
	}
	if len(presets) == 0 {
		return nil
	}
	p := r.target.canonical(presetFile)
	old, _, err := r.target.readFile(p)
	if err != nil {
		return err
	}
	text := string(old)
	for _, line := range presets {
		text += line + "\n"
	}
	return r.add(Entry{Path: p, Type: layer.TypeRegular, Mode: 0o644, Data: []byte(text), Why: "systemd.units presets"})
}

// unitFile finds a unit's file and text: the config's, or the target's.
func (r *renderer) unitFile(name string, u *types.Unit) (file, text string, dropins []string, ok bool) {
	if u != nil {
		for _, d := range u.Dropins {
			if d.Contents != nil {
				dropins = append(dropins, *d.Contents)
			}
		}
		if u.Contents != nil {
			return path.Join(unitDir, name), *u.Contents, dropins, true
		}
	}
	candidates := []string{name}
	if tmpl, _ := templateOf(name); tmpl != "" {
		candidates = append(candidates, tmpl)
	}
	for _, c := range candidates {
		for _, dir := range unitSearchPath {
			p := path.Join(dir, c)
			if data, ok, _ := r.target.readFile(p); ok {
				return r.target.canonical(p), string(data), dropins, true
			}
		}
	}
	return "", "", nil, false
}

// enable materialises a unit's [Install] links.
func (r *renderer) enable(u types.Unit, seen map[string]bool) error {
	what := "systemd.units " + u.Name + " enabled"
	if seen[u.Name] {
		return nil
	}
	seen[u.Name] = true
	file, text, dropins, ok := r.unitFile(u.Name, &u)
	if !ok {
		return fmt.Errorf("%s: the unit is neither in the config nor in the target", what)
	}
	in := parseInstall(append([]string{text}, dropins...)...)
	linkName := u.Name
	if tmpl, inst := templateOf(u.Name); tmpl != "" && inst == "" {
		if in.DefaultInstance == "" {
			r.msgs = append(r.msgs, Message{File: r.cfg.Name, Level: "warning", Text: fmt.Sprintf("%s: a template without DefaultInstance= gets no [Install] links; enable an instance such as %s", what, strings.Replace(u.Name, "@.", "@NAME.", 1))})
			return nil
		}
		linkName = strings.Replace(u.Name, "@.", "@"+in.DefaultInstance+".", 1)
	}
	if len(in.WantedBy)+len(in.RequiredBy)+len(in.UpheldBy)+len(in.Alias)+len(in.Also) == 0 {
		r.msgs = append(r.msgs, Message{File: r.cfg.Name, Level: "warning", Text: what + ": the unit has no [Install] section: enabling it does nothing"})
	}
	for _, l := range []struct {
		targets []string
		suffix  string
	}{{in.WantedBy, ".wants"}, {in.RequiredBy, ".requires"}, {in.UpheldBy, ".upholds"}} {
		for _, t := range l.targets {
			p := r.target.canonical(path.Join(unitDir, t+l.suffix, linkName))
			if err := r.addLink(p, file, what); err != nil {
				return err
			}
		}
	}
	for _, a := range in.Alias {
		if err := r.addLink(r.target.canonical(path.Join(unitDir, a)), file, what+" alias"); err != nil {
			return err
		}
	}
	for _, also := range in.Also {
		if err := r.enable(types.Unit{Name: also}, seen); err != nil {
			return err
		}
	}
	return nil
}

// addLink adds a unit link unless the target has it already.
func (r *renderer) addLink(p, target, what string) error {
	if n := r.existing(p); n != nil && n.Type == layer.TypeSymlink && n.Linkname == target {
		return nil
	}
	if prev, ok := r.entries[p]; ok && prev.Type == layer.TypeSymlink && prev.Link == target {
		return nil
	}
	return r.add(Entry{Path: p, Type: layer.TypeSymlink, Mode: 0o777, Link: target, Why: what})
}

// disable removes the links that enable a unit: in *.wants, *.requires
// and *.upholds directories, and aliases pointing at it.
func (r *renderer) disable(name, what string) error {
	dir := r.existing(r.target.canonical(unitDir))
	if dir == nil {
		return nil
	}
	base := "/" + dir.Path()
	for _, c := range dir.Children() {
		switch {
		case c.Type == layer.TypeDir && (strings.HasSuffix(c.Name, ".wants") || strings.HasSuffix(c.Name, ".requires") || strings.HasSuffix(c.Name, ".upholds")):
			if l := c.Child(name); l != nil && l.Type == layer.TypeSymlink {
				if err := r.add(Entry{Path: base + "/" + c.Name + "/" + name, Remove: true, Why: what + " disabled"}); err != nil {
					return err
				}
			}
		case c.Type == layer.TypeSymlink && c.Name != name && path.Base(c.Linkname) == name:
			if err := r.add(Entry{Path: base + "/" + c.Name, Remove: true, Why: what + " disabled (alias)"}); err != nil {
				return err
			}
		}
	}
	return nil
}
