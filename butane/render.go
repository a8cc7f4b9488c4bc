package butane

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/oslayer/oslayer/layer"
)

// RenderOptions tune Render.
type RenderOptions struct {
	// AllowOverride allows changing base content: appending to a base file,
	// or replacing one under /usr.
	AllowOverride bool
	// AllowRemote fetches http(s) sources that carry a verification hash.
	AllowRemote bool
	// Firstboot accepts firstboot-only parts (they are left for the
	// Ignition config SplitFirstboot writes); without it they are an error.
	Firstboot bool
	// HTTPClient fetches remote sources (http.DefaultClient when nil).
	HTTPClient *http.Client
}

// runtimeDirs are virtual or tmpfs on a booted system: content written
// there at build time is never seen.
var runtimeDirs = []string{"/proc", "/sys", "/dev", "/run", "/tmp"}

type renderer struct {
	cfg    *Config
	target *Target
	opts   RenderOptions
	fb     *Firstboot
	acct   accounts
	// name tags the files the renderer generates (sysusers.d, tmpfiles.d,
	// kargs.d): "butane-CONFIG".
	name    string
	entries map[string]*Entry
	tmpfile []string // tmpfiles.d lines
	msgs    []Message
}

// Render turns a translated config into entries for target.
func Render(ctx context.Context, cfg *Config, target *Target, opts RenderOptions) (*Result, error) {
	fb, err := SplitFirstboot(cfg)
	if err != nil {
		return nil, err
	}
	if len(fb.Parts) > 0 && !opts.Firstboot {
		return nil, fmt.Errorf("%s: these parts only Ignition can do at first boot: %s; pass --firstboot-out FILE to keep them for first boot and render the rest", cfg.Name, strings.Join(fb.Parts, ", "))
	}
	r := &renderer{cfg: cfg, target: target, opts: opts, fb: fb, name: generatedName(cfg.Name), entries: map[string]*Entry{}}
	if err := r.loadAccounts(); err != nil {
		return nil, err
	}
	steps := []func(context.Context) error{r.directories, r.files, r.links, r.units, r.users, r.kargs, r.moveVar}
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", cfg.Name, err)
		}
	}
	if err := r.writeTmpfiles(); err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Name, err)
	}
	if err := r.checkParents(); err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Name, err)
	}
	res := &Result{Firstboot: fb, Messages: r.msgs}
	for _, e := range r.entries {
		res.Entries = append(res.Entries, *e)
	}
	sortEntries(res.Entries)
	return res, nil
}

// generatedName is the stem of the files a config generates.
func generatedName(config string) string {
	base := strings.TrimSuffix(path.Base(config), path.Ext(config))
	var b strings.Builder
	for _, c := range base {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
			b.WriteRune(c)
		default:
			b.WriteRune('-')
		}
	}
	if b.Len() == 0 {
		return "butane"
	}
	return "butane-" + b.String()
}

// checkPath validates a config path and returns where it lands.
func (r *renderer) checkPath(p, what string) (string, error) {
	clean, err := layer.CleanPath(strings.TrimPrefix(p, "/"))
	if err != nil || !strings.HasPrefix(p, "/") || clean == "" {
		if err == nil {
			err = errors.New("not an absolute path below /")
		}
		return "", fmt.Errorf("%s: path %q: %w", what, p, err)
	}
	abs := "/" + clean
	canon := r.target.canonical(abs)
	for _, d := range runtimeDirs {
		if under(abs, d) || under(canon, d) {
			return "", fmt.Errorf("%s: %s is under %s, which is virtual or a tmpfs on a booted system: use a tmpfiles.d entry or a unit instead", what, p, d)
		}
	}
	for dir := parentOf(strings.TrimPrefix(canon, "/")); dir != ""; dir = parentOf(dir) {
		if n := r.target.Tree.Lookup(dir); n != nil && n.Type != layer.TypeDir {
			return "", fmt.Errorf("%s: %s: /%s is a %s, not a directory", what, p, dir, n.Type)
		}
	}
	return canon, nil
}

func under(p, dir string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }

// add records an entry; a path may be written once.
func (r *renderer) add(e Entry) error {
	if prev, ok := r.entries[e.Path]; ok {
		return fmt.Errorf("%s: %s is also written by %s", e.Why, e.Path, prev.Why)
	}
	r.entries[e.Path] = &e
	return nil
}

// existing returns the target's node at a canonical path.
func (r *renderer) existing(p string) *layer.Node { return r.target.lookup(p) }

// isBaseOverride says whether changing an existing path needs
// --allow-override: base content under /usr.
func isBaseOverride(p string) bool { return under(p, "/usr") }

func (r *renderer) directories(context.Context) error {
	for _, d := range r.cfg.Ign.Storage.Directories {
		what := "storage.directories " + d.Path
		if r.fb.onFirstbootMount(d.Path) {
			continue
		}
		p, err := r.checkPath(d.Path, what)
		if err != nil {
			return err
		}
		e := Entry{Path: p, Type: layer.TypeDir, Why: what}
		if err := r.owner(&e, d.User, d.Group, what); err != nil {
			return err
		}
		mode := uint32(0o755)
		if d.Mode != nil {
			if mode, err = checkMode(*d.Mode, what); err != nil {
				return err
			}
		}
		if old := r.existing(p); old != nil {
			switch {
			case old.Type != layer.TypeDir && !isTrue(d.Overwrite):
				return fmt.Errorf("%s: %s exists and is a %s; set overwrite: true to replace it", what, p, old.Type)
			case old.Type == layer.TypeDir && d.Mode == nil:
				mode = old.Mode // Ignition keeps an existing directory's mode
			}
			if isBaseOverride(p) && !r.opts.AllowOverride && (old.Type != layer.TypeDir || old.Mode != mode || old.UID != e.UID || old.GID != e.GID) {
				return fmt.Errorf("%s: changing base directory %s is a base override: pass --allow-override", what, p)
			}
		}
		e.Mode = mode
		if err := r.add(e); err != nil {
			return err
		}
	}
	return nil
}

func (r *renderer) files(ctx context.Context) error {
	for _, f := range r.cfg.Ign.Storage.Files {
		what := "storage.files " + f.Path
		if r.fb.onFirstbootMount(f.Path) {
			continue
		}
		p, err := r.checkPath(f.Path, what)
		if err != nil {
			return err
		}
		e := Entry{Path: p, Type: layer.TypeRegular, Why: what}
		if err := r.owner(&e, f.User, f.Group, what); err != nil {
			return err
		}
		mode := uint32(0o644)
		if f.Mode != nil {
			if mode, err = checkMode(*f.Mode, what); err != nil {
				return err
			}
		}
		data, err := r.fetch(ctx, f.Contents, what)
		if err != nil {
			return err
		}
		old := r.existing(p)
		hasContents := f.Contents.Source != nil
		switch {
		case old == nil:
		case old.Type != layer.TypeRegular && !isTrue(f.Overwrite):
			return fmt.Errorf("%s: %s exists and is a %s; set overwrite: true to replace it", what, p, old.Type)
		case isTrue(f.Overwrite):
			if isBaseOverride(p) && !r.opts.AllowOverride {
				return fmt.Errorf("%s: replacing base file %s is a base override: pass --allow-override", what, p)
			}
		case hasContents:
			return fmt.Errorf("%s: %s exists; set overwrite: true to replace it (Ignition fails here too)", what, p)
		default:
			// No contents and no overwrite: Ignition keeps the content and
			// sets mode and owner; with no mode, the existing one.
			if old.Type == layer.TypeRegular {
				if data, err = r.target.read(old); err != nil {
					return fmt.Errorf("%s: reading the existing file: %w", what, err)
				}
				if f.Mode == nil {
					mode = old.Mode
				}
			}
		}
		if len(f.Append) > 0 {
			if r.target.none && !hasContents {
				return fmt.Errorf("%s: append needs the file it appends to: render onto the image or root that has %s (--base IMAGE or --apply DIR); without one the layer would hold only the appended text and replace the file", what, p)
			}
			if old != nil && !hasContents && !isTrue(f.Overwrite) && !r.opts.AllowOverride {
				return fmt.Errorf("%s: appending to base file %s is a base override: pass --allow-override", what, p)
			}
			for i, a := range f.Append {
				more, err := r.fetch(ctx, a, fmt.Sprintf("%s append %d", what, i))
				if err != nil {
					return err
				}
				data = append(data, more...)
			}
			if len(data) > MaxFileSize {
				return fmt.Errorf("%s: more than %d bytes after appending", what, MaxFileSize)
			}
		}
		if data == nil {
			data = []byte{}
		}
		e.Mode, e.Data = mode, data
		if err := r.add(e); err != nil {
			return err
		}
	}
	return nil
}

func (r *renderer) links(context.Context) error {
	for _, l := range r.cfg.Ign.Storage.Links {
		what := "storage.links " + l.Path
		if r.fb.onFirstbootMount(l.Path) {
			continue
		}
		p, err := r.checkPath(l.Path, what)
		if err != nil {
			return err
		}
		if l.Target == nil || *l.Target == "" {
			return fmt.Errorf("%s: no target", what)
		}
		target := *l.Target
		e := Entry{Path: p, Type: layer.TypeSymlink, Link: target, Mode: 0o777, Why: what}
		if err := r.owner(&e, l.User, l.Group, what); err != nil {
			return err
		}
		if isTrue(l.Hard) {
			tp, err := r.checkPath(target, what+" target")
			if err != nil {
				return err
			}
			e.Type, e.Link, e.Hardlink = layer.TypeRegular, "", tp
			if te, ok := r.entries[tp]; ok && te.Type == layer.TypeRegular {
				e.Mode, e.UID, e.GID, e.Data = te.Mode, te.UID, te.GID, te.Data
			} else if tn := r.existing(tp); tn != nil && tn.Type == layer.TypeRegular {
				e.Mode, e.UID, e.GID = tn.Mode, tn.UID, tn.GID
			} else {
				return fmt.Errorf("%s: hard link target %s is not a file of the config or the target", what, target)
			}
		}
		if old := r.existing(p); old != nil {
			same := old.Type == layer.TypeSymlink && !isTrue(l.Hard) && old.Linkname == target
			if !same && !isTrue(l.Overwrite) {
				return fmt.Errorf("%s: %s exists; set overwrite: true to replace it", what, p)
			}
			if !same && isBaseOverride(p) && !r.opts.AllowOverride {
				return fmt.Errorf("%s: replacing base path %s is a base override: pass --allow-override", what, p)
			}
		}
		if err := r.add(e); err != nil {
			return err
		}
	}
	return nil
}

// checkParents refuses entries below a symlink or file of the config
// itself: the path would be written through that link, wherever it points.
func (r *renderer) checkParents() error {
	for _, p := range slices.Sorted(maps.Keys(r.entries)) {
		e := r.entries[p]
		for dir := parentOf(strings.TrimPrefix(p, "/")); dir != ""; dir = parentOf(dir) {
			if pe, ok := r.entries["/"+dir]; ok && (pe.Type != layer.TypeDir || pe.Remove) {
				return fmt.Errorf("%s: %s would be written through /%s, which %s makes a %s", e.Why, p, dir, pe.Why, pe.Type)
			}
		}
	}
	return nil
}

// checkMode refuses modes beyond the permission, setuid, setgid and
// sticky bits.
func checkMode(m int, what string) (uint32, error) {
	if m < 0 || m > 0o7777 {
		return 0, fmt.Errorf("%s: mode %#o has bits beyond 07777", what, m)
	}
	return uint32(m), nil
}

func isTrue(b *bool) bool { return b != nil && *b }
