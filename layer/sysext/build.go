package sysext

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/layer"
)

// Options say what extensions to build from a derived image.
type Options struct {
	// Kinds are the extensions to build: one, or both (a sysext and a
	// confext of one image).
	Kinds []Kind
	// Name is the extension's name: its image file is NAME.raw (or its
	// directory NAME), its release file extension-release.NAME.
	Name    string
	Release ReleaseOptions
	// IgnoreOutside leaves out what the derived layers change outside
	// the extensions' hierarchies, instead of refusing it.
	IgnoreOutside bool
	// AllowOverride ships changed base files: the extension's copy then
	// shadows the host's.
	AllowOverride bool
}

// Validate checks the options.
func (o Options) Validate() error {
	if len(o.Kinds) == 0 {
		return errors.New("no extension kind")
	}
	seen := map[Kind]bool{}
	for _, k := range o.Kinds {
		if k != System && k != Config || seen[k] {
			return fmt.Errorf("extension kinds %v: want sysext, confext or both once", o.Kinds)
		}
		seen[k] = true
	}
	if err := ValidName(o.Name); err != nil {
		return err
	}
	return o.Release.Validate()
}

// Build is what a derived image's layers make into extensions: the
// images, or the problems that keep them from being written.
type Build struct {
	Images []*Image `json:"images"`
	// Problems are the changes no extension can express; when there are
	// any, nothing should be written.
	Problems []Problem `json:"problems"`
	// Ignored counts the paths outside the hierarchies left out
	// (Options.IgnoreOutside).
	Ignored int `json:"ignored,omitempty"`
	// Overrides are the changed base files shipped with AllowOverride.
	Overrides []string `json:"overrides,omitempty"`
	// OSRelease is the base's os-release file the releases come from (""
	// when it has none and the options gave everything).
	OSRelease string `json:"os_release,omitempty"`

	paths pathMap
}

// Image is one extension image: its files in tree order (parents before
// children, siblings by name), its extension-release file among them.
type Image struct {
	Kind    Kind    `json:"kind"`
	Name    string  `json:"name"`
	Release Release `json:"release"`
	// Entries are the image's paths, the root ("") first; regular files'
	// Content is set by Build.Load. Hard links name the first path of
	// their group. Times are set when the image is written.
	Entries []layer.TarEntry `json:"-"`
	// Files and Bytes count the regular files and their content.
	Files int   `json:"files"`
	Bytes int64 `json:"bytes"`

	nodes map[string]*layer.Node // the derived image's node of each path
}

// Prepare decides what goes into each extension: the paths the derived
// layers add below its hierarchies (with their parent directories, whose
// metadata is the derived image's), and its extension-release file. src
// must have its base; changes are what diff.Changes gives for it, in tree
// order. What no extension can express is a Problem; content that has no
// place in one is an error: device nodes (extensions are mounted nodev)
// and symlinks whose relative target climbs above the root.
func Prepare(src *layer.Source, changes []diff.Change, opts Options) (*Build, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if src.Base == nil {
		return nil, errors.New("an extension is what an image adds to its base: the base is needed")
	}
	b := &Build{Problems: []Problem{}}
	osrel, host, err := ReadOSRelease(src.Base.Tree.FS())
	switch {
	case errors.Is(err, fs.ErrNotExist) && (opts.Release.AnyOS || opts.Release.ID != ""):
	case err != nil:
		return nil, fmt.Errorf("the base %s: %w", src.BaseName(), err)
	}
	b.OSRelease = osrel
	arch := ""
	if src.Image != nil && src.Image.Config != nil {
		arch = Architecture(src.Image.Config.Architecture)
	}
	b.paths = newPathMap(src.Base.Tree)
	selected := map[Kind][]*diff.Change{}
	folded := map[string]int{} // path of a whole added or removed tree → its problem
	for i := range changes {
		c := &changes[i]
		rel := strings.TrimPrefix(c.Path, "/")
		if rel == "" {
			continue // the root's own metadata: no extension carries it
		}
		k := kindOf(opts.Kinds, b.paths.image(rel))
		switch {
		case k == 0 && opts.IgnoreOutside:
			b.Ignored++
		case k == 0:
			b.problem(folded, Problem{Kind: Outside, Path: c.Path, Change: c.Kind, Package: c.Package, Node: c.New})
		case c.Kind == diff.Added:
			selected[k] = append(selected[k], c)
		case c.Kind == diff.Removed:
			b.problem(folded, Problem{Kind: Removed, Path: c.Path, Change: c.Kind, Package: c.Package})
		case opts.AllowOverride:
			selected[k] = append(selected[k], c)
			b.Overrides = append(b.Overrides, c.Path)
		default:
			b.problem(folded, Problem{Kind: Changed, Path: c.Path, Change: c.Kind, Package: c.Package, Details: c.Details, Node: c.New})
		}
	}
	for _, k := range opts.Kinds {
		img, err := b.image(src.Tree, k, selected[k], opts.Name)
		if err != nil {
			return nil, err
		}
		if img.Release, err = NewRelease(k, host, arch, opts.Release); err != nil {
			return nil, err
		}
		img.Release.ReloadManager = addsUnits(k, img.Entries)
		img.addRelease()
		b.Images = append(b.Images, img)
	}
	return b, nil
}

// kindOf returns the kind among kinds whose hierarchies hold the relative
// path p, or 0.
func kindOf(kinds []Kind, p string) Kind {
	for _, k := range kinds {
		if k.Contains(p) {
			return k
		}
	}
	return 0
}

// problem records p, or counts it under the problem of the directory
// above it when that directory was added or removed whole.
func (b *Build) problem(folded map[string]int, p Problem) {
	if i, ok := folded[path.Dir(p.Path)]; ok && b.Problems[i].Kind == p.Kind && b.Problems[i].Change == p.Change {
		b.Problems[i].Below++
		folded[p.Path] = i
		return
	}
	if p.Change == diff.Added || p.Change == diff.Removed {
		folded[p.Path] = len(b.Problems)
	}
	b.Problems = append(b.Problems, p)
}

// image collects the entries of the extension of kind k.
func (b *Build) image(tree *layer.Tree, k Kind, changes []*diff.Change, name string) (*Image, error) {
	img := &Image{Kind: k, Name: name, nodes: map[string]*layer.Node{}}
	entries := map[string]*layer.TarEntry{"": {Metadata: layer.Metadata{Type: layer.TypeDir, Mode: 0o755}}}
	add := func(p string, n *layer.Node) {
		md := n.Metadata
		md.Xattrs = maps.Clone(md.Xattrs)
		delete(md.Xattrs, "security.selinux") // the host relabels; bootc and chunk drop it too
		if len(md.Xattrs) == 0 {
			md.Xattrs = nil
		}
		entries[p] = &layer.TarEntry{Path: p, Metadata: md}
		img.nodes[p] = n
	}
	for _, c := range changes {
		real, n := strings.TrimPrefix(c.Path, "/"), c.New
		p := b.paths.image(real)
		switch {
		case n.Type == layer.TypeChar || n.Type == layer.TypeBlock:
			return nil, fmt.Errorf("%s: a %s: extensions are mounted nodev, and oslayer refuses device nodes in one", c.Path, n.Type)
		case n.Type == layer.TypeSymlink && escapes(real, n.Linkname):
			return nil, fmt.Errorf("%s: symlink to %s climbs out of the image's root", c.Path, n.Linkname)
		case p == "usr/lib/os-release" || p == k.ReleasePath(name):
			b.Problems = append(b.Problems, Problem{Kind: Forbidden, Path: c.Path, Change: c.Kind, Package: c.Package, Node: n})
			continue
		}
		add(p, n)
		for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
			if _, ok := entries[dir]; ok {
				break
			}
			n := tree.Lookup(b.paths.tree(dir))
			if n == nil || n.Type != layer.TypeDir {
				return nil, fmt.Errorf("/%s: the parent directory of %s is not a directory in the image", dir, c.Path)
			}
			add(dir, n)
		}
	}
	paths := slices.SortedFunc(maps.Keys(entries), treeOrder)
	holders := map[uint32]string{} // hard link groups: inode → first path
	for _, p := range paths {
		e := entries[p]
		if n := img.nodes[p]; n != nil && n.Inode != 0 && e.Type == layer.TypeRegular {
			if first, ok := holders[n.Inode]; ok {
				e.Hardlink = first
			} else {
				holders[n.Inode] = p
			}
		}
		if e.Type == layer.TypeRegular && e.Hardlink == "" {
			img.Files++
			img.Bytes += e.Size
		}
		img.Entries = append(img.Entries, *e)
	}
	return img, nil
}

// pathMap maps paths of the image's tree to paths of the extension. On
// Fedora CoreOS and the Fedora and CentOS bootc bases, /opt is a symlink
// to var/opt: what a build writes to /opt is in var/opt in the layers,
// while systemd-sysext merges the extension's opt/ where the host's /opt
// leads. The extension then holds it as opt/.
type pathMap struct {
	optReal string // where the base's /opt leads, when it is a symlink to a directory
}

func newPathMap(base *layer.Tree) pathMap {
	opt := base.Lookup("opt")
	if opt == nil || opt.Type != layer.TypeSymlink {
		return pathMap{}
	}
	n, err := base.Resolve("opt")
	if err != nil || n.Type != layer.TypeDir || n.Path() == "" {
		return pathMap{}
	}
	return pathMap{optReal: n.Path()}
}

// image returns the extension's path for the tree's relative path p.
func (m pathMap) image(p string) string {
	if m.optReal != "" && (p == m.optReal || strings.HasPrefix(p, m.optReal+"/")) {
		return "opt" + p[len(m.optReal):]
	}
	return p
}

// tree returns the tree's path for the extension's path p.
func (m pathMap) tree(p string) string {
	if m.optReal != "" && (p == "opt" || strings.HasPrefix(p, "opt/")) {
		return m.optReal + p[len("opt"):]
	}
	return p
}

// treeOrder orders relative paths parents first, siblings by name.
func treeOrder(a, b string) int {
	switch {
	case a == "":
		return -1
	case b == "":
		return 1
	}
	return slices.Compare(strings.Split(a, "/"), strings.Split(b, "/"))
}

// escapes reports whether the symlink at the relative path p, to target,
// climbs above the root: "../" more often than p has directories above
// it. Absolute targets resolve on the host, where they belong.
func escapes(p, target string) bool {
	if strings.HasPrefix(target, "/") {
		return false
	}
	depth := strings.Count(p, "/")
	for _, c := range strings.Split(target, "/") {
		switch c {
		case "", ".":
		case "..":
			if depth--; depth < 0 {
				return true
			}
		default:
			depth++
		}
	}
	return false
}

// addsUnits reports whether entries add a unit, a drop-in, a .wants link
// or a generator.
func addsUnits(k Kind, entries []layer.TarEntry) bool {
	return slices.ContainsFunc(entries, func(e layer.TarEntry) bool { return e.Type != layer.TypeDir && k.HasUnit(e.Path) })
}

// addRelease adds the extension-release file, and the directories it
// needs (0755, owned by root).
func (img *Image) addRelease() {
	p := img.Kind.ReleasePath(img.Name)
	data := img.Release.Bytes(img.Kind)
	have := map[string]bool{}
	for _, e := range img.Entries {
		have[e.Path] = true
	}
	for dir := path.Dir(p); dir != "."; dir = path.Dir(dir) {
		if !have[dir] {
			img.Entries = append(img.Entries, layer.TarEntry{Path: dir, Metadata: layer.Metadata{Type: layer.TypeDir, Mode: 0o755}})
		}
	}
	img.Entries = append(img.Entries, layer.TarEntry{Path: p,
		Metadata: layer.Metadata{Type: layer.TypeRegular, Mode: 0o644, Size: int64(len(data))},
		Content:  func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(string(data))), nil }})
	img.Files++
	img.Bytes += int64(len(data))
	slices.SortStableFunc(img.Entries, func(a, b layer.TarEntry) int { return treeOrder(a.Path, b.Path) })
}
