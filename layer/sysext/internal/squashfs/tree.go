package squashfs

import (
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/oslayer/oslayer/layer"
)

// node is one name in the filesystem.
type node struct {
	name     string
	e        *layer.TarEntry // the name's own entry (a hard link's, for one)
	children []*node         // sorted by name, as the kernel's lookup expects
	ino      *inode
}

func (n *node) isDir() bool { return n.ino.e.Type == layer.TypeDir }

// inode is one file: several names share it when hard linked.
type inode struct {
	e       *layer.TarEntry // the entry that holds the metadata and content
	number  uint32
	nlink   uint32
	uid     uint16 // index in the id table
	gid     uint16
	xattr   uint32 // index in the xattr id table, or noXattr
	ref     uint64 // where it is in the inode table
	written bool
	// start and blocks are where a regular file's data is and the size
	// word of each block.
	start  uint64
	blocks []uint32
	// A directory's parent's inode number, and where its listing is in
	// the directory table and how big it is.
	parent    uint32
	dirBlock  uint32
	dirOffset uint16
	dirSize   uint32
}

// tree is the filesystem to write, numbered.
type tree struct {
	root      *node
	count     uint32   // inodes
	ids       []uint32 // the id table: every uid and gid, sorted
	xattrSets [][]byte // the xattr id table's sets, encoded, in index order
	xattrSize []uint32 // per set: names with prefix and NUL plus values
	xattrN    []uint32 // per set: how many xattrs
}

// maxName is the longest name squashfs stores.
const maxName = 256

func newTree(entries []layer.TarEntry) (*tree, error) {
	rootEntry := &layer.TarEntry{Metadata: layer.Metadata{Type: layer.TypeDir, Mode: 0o755}}
	byPath := map[string]*node{}
	root := &node{e: rootEntry, ino: &inode{e: rootEntry}}
	byPath[""] = root
	for i := range entries {
		e := &entries[i]
		if e.Whiteout {
			return nil, fmt.Errorf("squashfs: /%s: a whiteout has no place in a filesystem", e.Path)
		}
		if e.Path == "" {
			if e.Type != layer.TypeDir || e.Hardlink != "" {
				return nil, fmt.Errorf("squashfs: the root must be a directory")
			}
			if len(root.children) > 0 {
				return nil, fmt.Errorf("squashfs: the root must come first")
			}
			root.e, root.ino.e = e, e
			continue
		}
		if _, dup := byPath[e.Path]; dup {
			return nil, fmt.Errorf("squashfs: /%s: listed twice", e.Path)
		}
		dir, name := "", e.Path
		if i := strings.LastIndexByte(e.Path, '/'); i >= 0 {
			dir, name = e.Path[:i], e.Path[i+1:]
		}
		if name == "" || name == "." || name == ".." || len(name) > maxName {
			return nil, fmt.Errorf("squashfs: /%s: not a valid name", e.Path)
		}
		parent := byPath[dir]
		if parent == nil || !parent.isDir() {
			return nil, fmt.Errorf("squashfs: /%s: its parent directory comes before it in no entry", e.Path)
		}
		n := &node{name: name, e: e}
		if e.Hardlink != "" {
			target := byPath[e.Hardlink]
			if target == nil || target.isDir() {
				return nil, fmt.Errorf("squashfs: /%s: hard link to /%s, which is not a file listed before it", e.Path, e.Hardlink)
			}
			n.ino = target.ino
		} else {
			switch e.Type {
			case layer.TypeRegular, layer.TypeDir, layer.TypeSymlink, layer.TypeChar, layer.TypeBlock, layer.TypeFIFO:
			default:
				return nil, fmt.Errorf("squashfs: /%s: cannot store a %s", e.Path, e.Type)
			}
			n.ino = &inode{e: e}
		}
		parent.children = append(parent.children, n)
		byPath[e.Path] = n
	}
	t := &tree{root: root}
	if err := t.number(); err != nil {
		return nil, err
	}
	return t, nil
}

// number sorts every directory, numbers the inodes as they are written
// (children before their directory, so the root is last), counts links
// and fills the id and xattr id tables.
func (t *tree) number() error {
	ids := map[uint32]bool{}
	var order []*inode
	var visit func(d *node)
	visit = func(d *node) {
		slices.SortFunc(d.children, func(a, b *node) int { return strings.Compare(a.name, b.name) })
		for _, c := range d.children {
			c.ino.nlink++
			if c.isDir() {
				d.ino.nlink++ // the child's ".."
				continue
			}
			if c.ino.number == 0 {
				t.count++
				c.ino.number = t.count
				order = append(order, c.ino)
			}
		}
		d.ino.nlink += 1 // its own "."
		// Subdirectories are numbered after the files beside them, each
		// after what it holds; a directory after its subdirectories.
		var subdirs []*node
		for _, c := range d.children {
			if c.isDir() {
				subdirs = append(subdirs, c)
			}
		}
		for _, c := range subdirs {
			visit(c)
		}
		t.count++
		d.ino.number = t.count
		order = append(order, d.ino)
		for _, c := range subdirs {
			c.ino.parent = d.ino.number
		}
	}
	visit(t.root)
	t.root.ino.nlink++ // the root is its own parent
	t.root.ino.parent = t.count + 1
	for _, in := range order {
		ids[in.e.UID], ids[in.e.GID] = true, true
	}
	t.ids = slices.Sorted(maps.Keys(ids))
	if len(t.ids) > 1<<16 {
		return fmt.Errorf("squashfs: %d distinct owners: at most 65536 fit", len(t.ids))
	}
	index := map[uint32]uint16{}
	for i, id := range t.ids {
		index[id] = uint16(i)
	}
	sets := map[string]uint32{}
	for _, in := range order {
		in.uid, in.gid, in.xattr = index[in.e.UID], index[in.e.GID], noXattr
		if len(in.e.Xattrs) == 0 {
			continue
		}
		enc, size, err := encodeXattrs(in.e.Xattrs)
		if err != nil {
			return fmt.Errorf("squashfs: /%s: %w", in.e.Path, err)
		}
		id, ok := sets[string(enc)]
		if !ok {
			id = uint32(len(t.xattrSets))
			sets[string(enc)] = id
			t.xattrSets = append(t.xattrSets, enc)
			t.xattrSize = append(t.xattrSize, size)
			t.xattrN = append(t.xattrN, uint32(len(in.e.Xattrs)))
		}
		in.xattr = id
	}
	return nil
}

// xattrPrefixes are the namespaces squashfs stores, by type.
var xattrPrefixes = []string{"user.", "trusted.", "security."}

// encodeXattrs encodes a set of xattrs as the xattr table holds them,
// sorted by name: per xattr its type and name without the prefix, then
// its value. size is what listxattr and getxattr need: each full name with
// a NUL, and each value.
func encodeXattrs(x map[string]string) (enc []byte, size uint32, err error) {
	le := binary.LittleEndian
	for _, k := range slices.Sorted(maps.Keys(x)) {
		typ := slices.IndexFunc(xattrPrefixes, func(p string) bool { return strings.HasPrefix(k, p) })
		if typ < 0 {
			return nil, 0, fmt.Errorf("xattr %s: squashfs stores only user., trusted. and security. xattrs", k)
		}
		name, v := k[len(xattrPrefixes[typ]):], x[k]
		if name == "" || len(name) > 0xffff {
			return nil, 0, fmt.Errorf("xattr %q: not a valid name", k)
		}
		enc = le.AppendUint16(enc, uint16(typ))
		enc = le.AppendUint16(enc, uint16(len(name)))
		enc = append(enc, name...)
		enc = le.AppendUint32(enc, uint32(len(v)))
		enc = append(enc, v...)
		size += uint32(len(k) + 1 + len(v))
	}
	return enc, size, nil
}
