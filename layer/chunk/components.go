package chunk

import (
	"cmp"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/oslayer/oslayer/internal/enum"
	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/layer/pkgdb"
)

// Kind is what makes a group of paths a component.
type Kind uint8

// Component kinds, in the order they claim paths.
const (
	KindXattr     Kind = iota + 1 // the user.component xattr
	KindPackage                   // an rpm or deb, by source package
	KindKernel                    // /usr/lib/modules/<kver> content no package owns
	KindPkgDB                     // the package database
	KindBig                       // a file of at least BigFile bytes no one claims
	KindUnclaimed                 // everything else
)

var kindNames = enum.Names[Kind]{
	KindXattr: "xattr", KindPackage: "package", KindKernel: "kernel",
	KindPkgDB: "pkgdb", KindBig: "big", KindUnclaimed: "unclaimed",
}

func (k Kind) String() string { return kindNames.Name(k, "kind") }

// componentKey is a component's identity: its kind and name. Fedora's
// kernel package is called kernel, like the kernel component of the files
// in /usr/lib/modules that no package owns; they are two components.
type componentKey struct {
	kind Kind
	name string
}

// BigFile is the size from which an unclaimed file is a component of its own.
const BigFile = 1 << 20

// ComponentXattr names a path's component explicitly; on a directory it
// covers the subtree.
const ComponentXattr = "user.component"

// Component is a group of paths that travel together, in one layer.
type Component struct {
	Name string
	Kind Kind
	// Paths are clean tree paths, sorted: files, links and devices, the
	// directories the package or user.component owns, and, in unclaimed,
	// the other empty directories.
	Paths []string
	// Size is the content bytes (a hardlinked file counts once).
	Size int64
	// Compressed estimates the component's bytes in a compressed layer
	// (see Estimate); Pack weighs layers by it, or by Size while it is 0.
	Compressed int64
	// Packages are the binary packages of a package component, sorted:
	// a prior build may name its components by them (rpm-ostree does).
	Packages []string
	// Changes counts the days the package changed in the ActivityWindow
	// (see activity); 0 for other kinds.
	Changes int
}

// pkgDBDirs are where package databases live; their files form the pkgdb
// component, which changes with every package update.
var pkgDBDirs = []string{"usr/lib/sysimage/rpm", "var/lib/rpm", "usr/share/rpm", "var/lib/dpkg", "usr/lib/sysimage/libdnf5", "var/lib/dnf"}

// skipped reports whether a path is left out of the output: the objects of
// an ostree-encapsulated image, whose content is already at the real
// paths. /sysroot itself stays, empty.
func skipped(p string) bool { return strings.HasPrefix(p, "sysroot/") }

// Components groups the tree's paths.
//
// Files no package owns under /usr and /opt follow their neighbours: the
// nearest ancestor directory that directly holds package files decides,
// when all of those come from one source package (Python byte code beside
// its sources, a generated file in a package's own directory); otherwise,
// and in /etc and /var, they are unclaimed. Directories go with their
// user.component or their package, even when empty. dpkg's per-package
// control files (var/lib/dpkg/info/NAME.*) go with their package; the
// rest of the package database is the pkgdb component.
func Components(tree *layer.Tree, dbs []*pkgdb.DB) []*Component {
	owners, binaries := packageOwners(tree, dbs)
	sourceOf := map[string]string{}
	for src, bins := range binaries {
		for b := range bins {
			sourceOf[b] = src
		}
	}
	neighbour := neighbours(tree, owners)
	// claim names the component of a file, link or device nobody named
	// explicitly, in the order of the rules above.
	claim := func(p string, n *layer.Node) (string, Kind) {
		if o := owners[p]; o != "" {
			return o, KindPackage
		}
		if kernelPath(p) {
			return "kernel", KindKernel
		}
		if src := sourceOf[dpkgInfoPackage(p)]; src != "" {
			return src, KindPackage
		}
		if inPkgDB(p) {
			return "pkgdb", KindPkgDB
		}
		if n.Type == layer.TypeRegular && n.Size >= BigFile {
			return "/" + p, KindBig
		}
		if src := neighbour(p); src != "" {
			return src, KindPackage
		}
		return "unclaimed", KindUnclaimed
	}
	byKey := map[componentKey]*Component{}
	get := func(name string, kind Kind) *Component {
		k := componentKey{kind, name}
		if kind == KindXattr {
			// A user.component of a package's name joins that package's
			// component, as the user asked.
			k.kind = KindPackage
		}
		c := byKey[k]
		if c == nil {
			c = &Component{Name: name, Kind: kind}
			byKey[k] = c
		}
		if kind == KindPackage {
			c.Kind = kind
		}
		return c
	}
	dirComponent := map[*layer.Node]string{} // user.component of a directory, inherited
	inodes := map[uint32]*Component{}        // hardlink groups follow their first path
	type inodeIn struct {
		c     *Component
		inode uint32
	}
	counted := map[inodeIn]bool{}     // a hardlinked file's bytes count once per component
	groupOwner := map[uint32]string{} // encapsulated: a package owning some name of a file
	if tree.Encapsulated {
		for p, n := range tree.Walk() {
			if o := owners[p]; n.Inode != 0 && o != "" && groupOwner[n.Inode] == "" {
				groupOwner[n.Inode] = o
			}
		}
	}
	for p, n := range tree.Walk() {
		if p == "" || skipped(p) {
			continue
		}
		xattr := n.Xattrs[ComponentXattr]
		if xattr == "" && n.Parent != nil {
			xattr = dirComponent[n.Parent]
		}
		var c *Component
		switch {
		case n.Type == layer.TypeDir && xattr != "":
			dirComponent[n] = xattr
			c = get(xattr, KindXattr)
		case n.Type == layer.TypeDir && owners[p] != "":
			// A package's directory stays in its layer whatever appears
			// in it later.
			c = get(owners[p], KindPackage)
		case n.Type == layer.TypeDir:
			// Other directories come with what they hold; an empty one
			// (or /sysroot, whose content is left out) still needs a layer.
			if n.NumChildren() > 0 && !skipped(p+"/") {
				continue
			}
			c = get("unclaimed", KindUnclaimed)
		case n.Inode != 0 && tree.Encapsulated && owners[p] == "" && groupOwner[n.Inode] != "":
			// In an encapsulated image identical files share one ostree
			// object whichever packages ship them: each name a package
			// owns goes with its package, as in the plain form of the
			// image, and the others with a package owning the file.
			c = get(groupOwner[n.Inode], KindPackage)
		case n.Inode != 0 && inodes[n.Inode] != nil && !(tree.Encapsulated && owners[p] != ""):
			c = inodes[n.Inode]
		case xattr != "":
			c = get(xattr, KindXattr)
		default:
			c = get(claim(p, n))
		}
		if n.Inode == 0 || !counted[inodeIn{c, n.Inode}] {
			c.Size += n.Size
		}
		if n.Inode != 0 {
			counted[inodeIn{c, n.Inode}] = true
			if inodes[n.Inode] == nil {
				inodes[n.Inode] = c
			}
		}
		c.Paths = append(c.Paths, p)
	}
	changes := activity(tree.FS(), dbs)
	out := make([]*Component, 0, len(byKey))
	for _, c := range byKey {
		slices.Sort(c.Paths)
		if c.Kind == KindPackage {
			c.Packages = slices.Sorted(maps.Keys(binaries[c.Name]))
			c.Changes = changes[c.Name]
		}
		out = append(out, c)
	}
	slices.SortFunc(out, compareComponents)
	return out
}

// compareComponents orders components by name, then kind.
func compareComponents(a, b *Component) int {
	return cmp.Or(strings.Compare(a.Name, b.Name), cmp.Compare(a.Kind, b.Kind))
}

// Label is how annotations name the component, unique in an image:
// packages and user.component names as they are, a big file by its
// absolute path, and the kernel, pkgdb and unclaimed components with a
// leading ":", which neither package names nor paths have.
func (c *Component) Label() string {
	switch c.Kind {
	case KindKernel, KindPkgDB, KindUnclaimed:
		return ":" + c.Name
	}
	return c.Name
}

// packageOwners maps tree paths to the source package that owns them
// (rpm: the source RPM's name; dpkg: the Source field), resolving the
// paths packages record through the tree's symlinks (merged /usr). A path
// several packages claim goes to the first source in name order. binaries
// lists each source's binary packages.
func packageOwners(tree *layer.Tree, dbs []*pkgdb.DB) (owners map[string]string, binaries map[string]map[string]bool) {
	canonical := layer.Canonicalizer(tree)
	out := map[string]string{}
	binaries = map[string]map[string]bool{}
	for _, db := range dbs {
		for i := range db.Packages {
			p := &db.Packages[i]
			src := p.Source
			if src == "" {
				src = p.Name
			}
			if binaries[src] == nil {
				binaries[src] = map[string]bool{}
			}
			binaries[src][p.Name] = true
			for _, f := range p.Files {
				if f.IsGhost() || !f.Installed() {
					continue
				}
				c := strings.TrimPrefix(canonical(f.Path), "/")
				if prev, ok := out[c]; !ok || src < prev {
					out[c] = src
				}
			}
		}
	}
	return out, binaries
}

// neighbours returns the neighbour rule of Components: the one source
// package that owns the files directly in p's nearest ancestor directory
// holding package files, or "".
func neighbours(tree *layer.Tree, owners map[string]string) func(p string) string {
	const several = "\x00"
	bySource := map[string]string{} // directory → its files' one source, or several
	for p, src := range owners {
		if n := tree.Lookup(p); n == nil || n.Type == layer.TypeDir {
			continue
		}
		dir, _ := splitPath(p)
		switch prev, ok := bySource[dir]; {
		case !ok:
			bySource[dir] = src
		case prev != src:
			bySource[dir] = several
		}
	}
	return func(p string) string {
		if !strings.HasPrefix(p, "usr/") && !strings.HasPrefix(p, "opt/") {
			return "" // state in /etc and /var belongs to no package's layer
		}
		for dir, _ := splitPath(p); ; dir, _ = splitPath(dir) {
			if src, ok := bySource[dir]; ok {
				if src == several {
					return ""
				}
				return src
			}
			if dir == "" {
				return ""
			}
		}
	}
}

// dpkgInfoPackage returns the package of a dpkg control file
// (var/lib/dpkg/info/NAME[:ARCH].EXT), or "". These files change exactly
// when their package does, so they travel in its layer.
func dpkgInfoPackage(p string) string {
	name, ok := strings.CutPrefix(p, "var/lib/dpkg/info/")
	if !ok || strings.Contains(name, "/") {
		return ""
	}
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		name = name[:i]
	} else {
		return ""
	}
	name, _, _ = strings.Cut(name, ":")
	return name
}

func kernelPath(p string) bool {
	rest, ok := strings.CutPrefix(p, "usr/lib/modules/")
	return ok && strings.Contains(rest, "/")
}

func inPkgDB(p string) bool {
	for _, d := range pkgDBDirs {
		if strings.HasPrefix(p, d+"/") {
			return true
		}
	}
	return false
}

func splitPath(p string) (dir, base string) {
	d, b := path.Split(p)
	return strings.TrimSuffix(d, "/"), b
}
