package layer

import (
	"path"
	"slices"
	"strings"

	"github.com/oslayer/oslayer/layer/pkgdb"
)

// Owners maps absolute paths to the names of the packages that own them.
type Owners map[string][]string

// NewOwners indexes the files of every package in dbs. Package databases
// record paths as the package shipped them ("/bin/ls"); on a merged-/usr
// system that path reaches "/usr/bin/ls" through a symlink, so each path's
// directory is also resolved inside tree and the file indexed under both.
func NewOwners(tree *Tree, dbs []*pkgdb.DB) Owners {
	o := Owners{}
	canonical := Canonicalizer(tree)
	for _, db := range dbs {
		for i := range db.Packages {
			pkg := &db.Packages[i]
			for _, f := range pkg.Files {
				if f.IsGhost() {
					continue
				}
				o.add(f.Path, pkg.Name)
				if c := canonical(f.Path); c != f.Path {
					o.add(c, pkg.Name)
				}
			}
		}
	}
	return o
}

// Canonicalizer returns a function that maps an absolute path as a
// package recorded it to where it is in tree: its directory is resolved
// through symlinks inside the tree ("/bin/ls" → "/usr/bin/ls" on a
// merged-/usr system), its last component is kept. Paths whose directory
// does not resolve are returned as they are.
func Canonicalizer(tree *Tree) func(string) string {
	resolved := map[string]string{} // directory → canonical directory
	return func(p string) string {
		dir, base := path.Split(p)
		dir = path.Clean(dir)
		c, ok := resolved[dir]
		if !ok {
			c = dir
			if n, err := tree.Resolve(strings.TrimPrefix(dir, "/")); err == nil {
				c = "/" + n.Path()
			}
			resolved[dir] = c
		}
		return path.Join(c, base)
	}
}

func (o Owners) add(p, name string) {
	if !slices.Contains(o[p], name) {
		o[p] = append(o[p], name)
	}
}

// maxDirOwners: a directory listed by more packages than this is shared
// infrastructure (dpkg lists every parent directory in every package) and
// naming its owners says nothing.
const maxDirOwners = 1

// Of returns the owners of p, joined by ",", or "". Bytecode that Debian's
// py3compile writes at install time (DIR/__pycache__/NAME.cpython-311.pyc,
// listed by no package) belongs to the owners of its source, DIR/NAME.py.
func (o Owners) Of(p string, isDir bool) string {
	names := o[p]
	if len(names) == 0 && !isDir {
		if src, ok := pycSource(p); ok {
			names = o[src]
		}
	}
	if len(names) == 0 || (isDir && len(names) > maxDirOwners) {
		return ""
	}
	names = slices.Clone(names)
	slices.Sort(names)
	return strings.Join(names, ",")
}

// pycSource returns the source of a PEP 3147 bytecode file:
// DIR/__pycache__/NAME.TAG[.opt-N].pyc is compiled from DIR/NAME.py.
func pycSource(p string) (string, bool) {
	dir, file := path.Split(p)
	parent, cache := path.Split(strings.TrimSuffix(dir, "/"))
	if cache != "__pycache__" || !strings.HasSuffix(file, ".pyc") {
		return "", false
	}
	name, _, ok := strings.Cut(strings.TrimSuffix(file, ".pyc"), ".")
	if !ok || name == "" {
		return "", false
	}
	return parent + name + ".py", true
}
