package layer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"slices"
	"strings"
	"syscall"
)

// Node is one path of a Tree.
type Node struct {
	Metadata
	Name   string
	Parent *Node
	// Layer is the index of the layer that last wrote this path, or -1 for
	// nodes of a rootfs directory.
	Layer int32
	// DataLayer is the layer whose stream holds the content, at Offset
	// (-1 when unknown). It differs from Layer for a hardlink to a file of
	// an earlier layer.
	DataLayer int32
	Offset    int64
	// Header is where the entry that holds the content starts in that
	// layer's stream (see Entry.Header).
	Header int64
	// Inode groups hardlinks: nodes with the same non-zero Inode are one file.
	Inode uint32
	// Implicit marks a directory that no layer declared: a layer had entries
	// below it without an entry for the directory itself.
	Implicit bool
	// MountPoint marks a path of a rootfs where another filesystem was
	// mounted; its contents were not read.
	MountPoint bool

	kids *children
}

// Path returns the node's clean relative path ("" for the root).
func (n *Node) Path() string {
	if n.Parent == nil {
		return ""
	}
	var parts []string
	for c := n; c.Parent != nil; c = c.Parent {
		parts = append(parts, c.Name)
	}
	slices.Reverse(parts)
	return strings.Join(parts, "/")
}

// Tree is the merged filesystem of an image's layers, or of a directory.
type Tree struct {
	Root *Node
	// Encapsulated is set for the tree of an ostree-encapsulated image,
	// whose layers hold an ostree commit. Its repository at /sysroot/ostree
	// is left out of the tree: the tree is the checkout a deployment shows.
	Encapsulated bool
	nextInode    uint32
	// content opens the bytes of a regular file node, when they can be had.
	content func(*Node) (io.ReadCloser, error)
	// reread, when set, opens any regular file node's bytes, whatever
	// content allows (an image tree's reads its layer again).
	reread func(*Node) (io.ReadCloser, error)
	// readFiles, when set, is ReadFiles for a tree read from image
	// layers: a pass over each layer that holds one of the nodes.
	readFiles func(ctx context.Context, nodes []*Node, fn func(*Node, io.Reader) error) error
}

// NewTree returns a Tree holding only an empty root directory.
func NewTree() *Tree {
	return &Tree{Root: &Node{Metadata: Metadata{Type: TypeDir, Mode: 0o755}, Layer: -1, DataLayer: -1, Offset: -1, Implicit: true}}
}

// Open opens the content of a regular file node, when the tree can reach
// it (see ErrNoContent).
func (t *Tree) Open(n *Node) (io.ReadCloser, error) {
	if n.Type != TypeRegular || t.content == nil {
		return nil, ErrNoContent
	}
	return t.content(n)
}

// Lookup returns the node at the clean path p without following symlinks,
// or nil.
func (t *Tree) Lookup(p string) *Node {
	n := t.Root
	if p == "" {
		return n
	}
	for part := range strings.SplitSeq(p, "/") {
		if n = n.Child(part); n == nil {
			return nil
		}
	}
	return n
}

// Walk yields every node with its path, parents before children, siblings
// in name order.
func (t *Tree) Walk() iter.Seq2[string, *Node] {
	return func(yield func(string, *Node) bool) {
		var visit func(p string, n *Node) bool
		visit = func(p string, n *Node) bool {
			if !yield(p, n) {
				return false
			}
			for _, c := range n.Children() {
				if !visit(join(p, c.Name), c) {
					return false
				}
			}
			return true
		}
		visit("", t.Root)
	}
}

// Len returns the number of nodes, the root included.
func (t *Tree) Len() int {
	var count func(*Node) int
	count = func(n *Node) int {
		c := 1
		for _, ch := range n.all() {
			c += count(ch)
		}
		return c
	}
	return count(t.Root)
}

const (
	maxSymlinkHops = 40
	// maxResolveParts bounds the components one resolution may walk,
	// symlink targets included; the kernel's limits (40 links of at most
	// 4095 bytes) allow more, but no real path comes close.
	maxResolveParts = 8192
)

// Resolution errors are the kernel's, so that callers (fs.ErrNotExist,
// package database readers treating ENOTDIR as absent) read them as they
// read a real file system's.
var (
	errNotFound error = syscall.ENOENT
	errNotDir   error = syscall.ENOTDIR
	errLoop     error = syscall.ELOOP
)

// resolve walks the clean path p from the root. Symlinks met on the way are
// followed as a chroot would: absolute targets and ".." never leave the root.
// The final component is followed only when followFinal is set. stop, when
// not nil, is called with each literal prefix of p before it is entered (as
// long as no symlink was followed); returning true ends the walk with
// (nil, nil).
func (t *Tree) resolve(p string, followFinal bool, stop func(prefix string, n *Node) bool) (*Node, error) {
	parts := strings.Split(p, "/")
	if p == "" {
		parts = nil
	}
	stack := []*Node{t.Root}
	hops, walked := 0, 0
	literalEnd, followed := 0, false // p[:literalEnd] is the literal prefix walked so far
	for len(parts) > 0 {
		if walked++; walked > maxResolveParts {
			return nil, errLoop
		}
		part := parts[0]
		parts = parts[1:]
		cur := stack[len(stack)-1]
		switch part {
		case "", ".":
			continue
		case "..":
			if len(stack) > 1 {
				stack = stack[:len(stack)-1]
			}
			followed = true
			continue
		}
		if cur.Type != TypeDir {
			return nil, errNotDir
		}
		next := cur.Child(part)
		if !followed && stop != nil {
			if literalEnd > 0 {
				literalEnd++
			}
			literalEnd += len(part)
			if stop(p[:literalEnd], next) {
				return nil, nil
			}
		}
		if next == nil {
			return nil, errNotFound
		}
		if next.Type == TypeSymlink && (len(parts) > 0 || followFinal) {
			if hops++; hops > maxSymlinkHops {
				return nil, errLoop
			}
			followed = true
			target := next.Linkname
			if strings.HasPrefix(target, "/") {
				stack = stack[:1]
			}
			parts = append(strings.Split(target, "/"), parts...)
			continue
		}
		stack = append(stack, next)
	}
	return stack[len(stack)-1], nil
}

// Resolve returns the node at the clean path p, following symlinks in every
// component, the last one included, without ever leaving the root.
func (t *Tree) Resolve(p string) (*Node, error) {
	return t.resolve(p, true, nil)
}

// Apply merges one layer's index on top of the tree, as a container runtime
// extracting the layer would: whiteouts first (they hide only what lower
// layers provided), then the entries in tar order. layer is the layer's
// position in the image, recorded in the nodes it writes.
func (t *Tree) Apply(idx *Index, layer int) error {
	// Directories this layer declares: a whiteout below one that replaces a
	// lower symlink applies to the new directory, not through the symlink.
	declared := make(map[string]bool)
	for i := range idx.Entries {
		if e := &idx.Entries[i]; e.Whiteout == NoWhiteout && e.Type == TypeDir {
			declared[e.Path] = true
		}
	}
	stop := func(prefix string, n *Node) bool {
		return declared[prefix] && n != nil && n.Type != TypeDir
	}
	for i := range idx.Entries {
		e := &idx.Entries[i]
		if e.Whiteout != NoWhiteout {
			if err := t.applyWhiteout(e, stop); err != nil {
				return fmt.Errorf("whiteout for %s: %w", Abs(e.Path), err)
			}
		}
	}
	for i := range idx.Entries {
		e := &idx.Entries[i]
		if e.Whiteout != NoWhiteout {
			continue
		}
		if err := t.applyEntry(e, layer); err != nil {
			return fmt.Errorf("%s: %w", Abs(e.Path), err)
		}
	}
	return nil
}

func (t *Tree) applyWhiteout(e *Entry, stop func(string, *Node) bool) error {
	if e.Whiteout == WhiteoutOpaque {
		// The marker makes this layer's directory opaque. If the lower path
		// is a symlink, the layer's directory replaces it; the symlink's
		// target is not touched (as containers/storage and overlayfs do).
		dir, err := t.resolve(e.Path, false, stop)
		if dir == nil || errors.Is(err, errNotFound) || errors.Is(err, errNotDir) {
			return nil // nothing below to hide
		}
		if err != nil {
			return err
		}
		if dir.Type == TypeDir {
			dir.clearChildren()
		}
		return nil
	}
	if e.Path == "" {
		return fmt.Errorf("whiteout of the root directory")
	}
	dirPath, name := split(e.Path)
	dir, err := t.resolve(dirPath, true, stop)
	if dir == nil || errors.Is(err, errNotFound) || errors.Is(err, errNotDir) {
		return nil // a whiteout for something that does not exist is harmless
	}
	if err != nil {
		return err
	}
	dir.removeChild(name)
	return nil
}

func (t *Tree) applyEntry(e *Entry, layer int) error {
	if e.Path == "" {
		if e.Type != TypeDir || e.Hardlink != "" {
			return fmt.Errorf("the root must be a directory, layer has a %s", e.Type)
		}
		t.Root.Metadata = e.Metadata
		t.Root.Layer, t.Root.DataLayer, t.Root.Offset, t.Root.Implicit = int32(layer), int32(layer), e.Offset, false
		return nil
	}
	dirPath, name := split(e.Path)
	dir, err := t.mkdirAll(dirPath, layer)
	if err != nil {
		return err
	}
	n := &Node{Metadata: e.Metadata, Name: strings.Clone(name), Layer: int32(layer), DataLayer: int32(layer), Offset: e.Offset, Header: e.Header}
	if e.Hardlink != "" {
		target, err := t.resolve(e.Hardlink, false, nil)
		if err != nil {
			return fmt.Errorf("hardlink to %s: %w", Abs(e.Hardlink), err)
		}
		if target.Type == TypeDir {
			return fmt.Errorf("hardlink to directory %s", Abs(e.Hardlink))
		}
		if target.Inode == 0 {
			t.nextInode++
			target.Inode = t.nextInode
		}
		n.Metadata, n.DataLayer, n.Offset, n.Header, n.Inode = target.Metadata, target.DataLayer, target.Offset, target.Header, target.Inode
	}
	if old := dir.Child(name); old != nil && old.Type == TypeDir && n.Type == TypeDir {
		old.Metadata, old.Layer, old.DataLayer, old.Offset, old.Implicit = n.Metadata, int32(layer), int32(layer), n.Offset, false
		return nil
	}
	dir.addChild(n)
	return nil
}

// mkdirAll resolves the directory p, creating missing directories as
// implicit ones owned by the given layer. It walks p once; only symlinks
// met on the way are resolved from the root.
func (t *Tree) mkdirAll(p string, layer int) (*Node, error) {
	cur := t.Root
	if p == "" {
		return cur, nil
	}
	end := 0
	for part := range strings.SplitSeq(p, "/") {
		if end > 0 {
			end++
		}
		end += len(part)
		child := cur.Child(part)
		switch {
		case child == nil:
			child = &Node{Metadata: Metadata{Type: TypeDir, Mode: 0o755}, Name: strings.Clone(part), Layer: int32(layer), DataLayer: int32(layer), Offset: -1, Implicit: true}
			cur.addChild(child)
		case child.Type == TypeSymlink:
			target, err := t.resolve(p[:end], true, nil)
			if errors.Is(err, errNotFound) {
				return nil, fmt.Errorf("parent %s is a symlink to missing %s", Abs(p[:end]), child.Linkname)
			}
			if err != nil {
				return nil, fmt.Errorf("parent %s: %w", Abs(p[:end]), err)
			}
			child = target
		}
		if child.Type != TypeDir {
			return nil, fmt.Errorf("parent %s: %w", Abs(p[:end]), errNotDir)
		}
		cur = child
	}
	return cur, nil
}
