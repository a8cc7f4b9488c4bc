package layer

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"syscall"
	"time"
)

// ErrNoContent is returned when a file's metadata is known but its bytes
// were not kept (only package databases are kept from image layers).
var ErrNoContent = fmt.Errorf("content not kept: %w", fs.ErrPermission)

// FS returns a read-only fs.FS view of the tree. Paths are resolved as
// inside the image: symlinks are followed and never lead out of the root.
// Every node can be stat'ed and every directory listed; regular files can be
// opened when the tree can reach their bytes (see ErrNoContent). Lstat and
// ReadLink see symlinks themselves.
func (t *Tree) FS() fs.ReadLinkFS { return treeFS{t} }

type treeFS struct{ t *Tree }

var (
	_ fs.ReadLinkFS = treeFS{}
	_ fs.StatFS     = treeFS{}
)

// node resolves name as inside the image, the last component followed
// only when followFinal is set.
func (f treeFS) node(op, name string, followFinal bool) (*Node, error) {
	if !fs.ValidPath(name) {
		return nil, &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	p := name
	if p == "." {
		p = ""
	}
	n, err := f.t.resolve(p, followFinal, nil)
	if err != nil {
		return nil, &fs.PathError{Op: op, Path: name, Err: err}
	}
	return n, nil
}

// Stat describes the node at name, following symlinks; unlike Open it
// needs no content.
func (f treeFS) Stat(name string) (fs.FileInfo, error) {
	n, err := f.node("stat", name, true)
	if err != nil {
		return nil, err
	}
	return nodeInfo{n}, nil
}

// Lstat describes the node at name without following a final symlink.
func (f treeFS) Lstat(name string) (fs.FileInfo, error) {
	n, err := f.node("lstat", name, false)
	if err != nil {
		return nil, err
	}
	return nodeInfo{n}, nil
}

// ReadLink returns the target of the symlink at name.
func (f treeFS) ReadLink(name string) (string, error) {
	n, err := f.node("readlink", name, false)
	if err != nil {
		return "", err
	}
	if n.Type != TypeSymlink {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: syscall.EINVAL}
	}
	return n.Linkname, nil
}

func (f treeFS) Open(name string) (fs.File, error) {
	n, err := f.node("open", name, true)
	if err != nil {
		return nil, err
	}
	file := &treeFile{n: n}
	switch n.Type {
	case TypeDir:
		file.entries = n.Children()
	case TypeRegular:
		if f.t.content == nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: ErrNoContent}
		}
		rc, err := f.t.content(n)
		if err != nil {
			return nil, &fs.PathError{Op: "open", Path: name, Err: err}
		}
		file.rc = rc
	default:
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrNoContent}
	}
	return file, nil
}

type treeFile struct {
	n       *Node
	rc      io.ReadCloser
	entries []*Node
}

func (f *treeFile) Stat() (fs.FileInfo, error) { return nodeInfo{f.n}, nil }

func (f *treeFile) Read(p []byte) (int, error) {
	if f.rc == nil {
		return 0, &fs.PathError{Op: "read", Path: f.n.Name, Err: errors.New("is a directory")}
	}
	return f.rc.Read(p)
}

func (f *treeFile) Close() error {
	if f.rc != nil {
		return f.rc.Close()
	}
	return nil
}

func (f *treeFile) ReadDir(count int) ([]fs.DirEntry, error) {
	if f.n.Type != TypeDir {
		return nil, &fs.PathError{Op: "readdir", Path: f.n.Name, Err: errNotDir}
	}
	n := len(f.entries)
	if count > 0 {
		if n == 0 {
			return nil, io.EOF
		}
		n = min(n, count)
	}
	out := make([]fs.DirEntry, n)
	for i, c := range f.entries[:n] {
		out[i] = fs.FileInfoToDirEntry(nodeInfo{c})
	}
	f.entries = f.entries[n:]
	return out, nil
}

// nodeInfo presents a Node as an fs.FileInfo; Sys returns the *Node.
type nodeInfo struct{ n *Node }

func (i nodeInfo) Name() string {
	if i.n.Parent == nil {
		return "."
	}
	return i.n.Name
}
func (i nodeInfo) Size() int64 { return i.n.Size }
func (i nodeInfo) Mode() fs.FileMode {
	m := fs.FileMode(i.n.Mode&0o777) | i.n.Type.FileMode()
	if i.n.Mode&0o4000 != 0 {
		m |= fs.ModeSetuid
	}
	if i.n.Mode&0o2000 != 0 {
		m |= fs.ModeSetgid
	}
	if i.n.Mode&0o1000 != 0 {
		m |= fs.ModeSticky
	}
	return m
}
func (i nodeInfo) ModTime() time.Time { return time.Unix(0, i.n.ModTime) }
func (i nodeInfo) IsDir() bool        { return i.n.Type == TypeDir }
func (i nodeInfo) Sys() any           { return i.n }
