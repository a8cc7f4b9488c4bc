package layer

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// TreeFromDir reads a directory tree (a rootfs) into a Tree. Regular files
// are hashed, on all cores. Filesystems mounted below dir (/proc, /sys, bind
// mounts of a container build) are recorded as mount points and not
// entered. Files can be read back through Tree.FS.
func TreeFromDir(ctx context.Context, dir string) (*Tree, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	var st unix.Stat_t
	if err := unix.Lstat(root, &st); err != nil {
		return nil, fmt.Errorf("rootfs %s: %w", dir, err)
	}
	if st.Mode&unix.S_IFMT != unix.S_IFDIR {
		return nil, fmt.Errorf("rootfs %s: not a directory", dir)
	}
	t := NewTree()
	r := &dirReader{root: root, dev: st.Dev, tree: t, inodes: map[[2]uint64]uint64{}}
	if t.Root.Metadata, err = metadataOf(&st, root); err != nil {
		return nil, err
	}
	t.Root.Implicit = false
	if err := r.walk(ctx, root, t.Root); err != nil {
		return nil, err
	}
	if err := r.hash(ctx); err != nil {
		return nil, err
	}
	t.content = func(n *Node) (io.ReadCloser, error) {
		return os.Open(filepath.Join(root, filepath.FromSlash(n.Path())))
	}
	return t, nil
}

type dirReader struct {
	root   string
	dev    uint64
	tree   *Tree
	inodes map[[2]uint64]uint64 // (dev, ino) of multiply-linked files → Inode
	files  []*Node              // regular files to hash
}

func (r *dirReader) walk(ctx context.Context, dir string, parent *Node) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("rootfs: %w", err)
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return fmt.Errorf("rootfs: reading %s: %w", dir, err)
	}
	for _, name := range names {
		p := filepath.Join(dir, name)
		rel := strings.TrimPrefix(p, r.root+"/")
		if !utf8.ValidString(name) {
			return fmt.Errorf("rootfs: %s: name is not valid UTF-8", p)
		}
		var st unix.Stat_t
		if err := unix.Lstat(p, &st); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue // removed while we looked
			}
			return fmt.Errorf("rootfs: %w", &os.PathError{Op: "lstat", Path: p, Err: err})
		}
		if st.Mode&unix.S_IFMT == unix.S_IFSOCK {
			continue // sockets are runtime state; layers cannot hold them
		}
		md, err := metadataOf(&st, p)
		if err != nil {
			return err
		}
		n := &Node{Metadata: md, Name: name, Layer: -1, Offset: -1}
		parent.addChild(n)
		if st.Dev != r.dev {
			n.MountPoint = true
			continue
		}
		switch n.Type {
		case TypeDir:
			if err := r.walk(ctx, p, n); err != nil {
				return err
			}
		case TypeRegular:
			r.files = append(r.files, n)
			if st.Nlink > 1 {
				key := [2]uint64{st.Dev, st.Ino}
				if r.inodes[key] == 0 {
					r.tree.nextInode++
					r.inodes[key] = r.tree.nextInode
				}
				n.Inode = r.inodes[key]
			}
		case TypeSymlink:
			target, err := os.Readlink(p)
			if err != nil {
				return fmt.Errorf("rootfs: %w", err)
			}
			if !utf8.ValidString(target) {
				return fmt.Errorf("rootfs: %s: symlink target is not valid UTF-8", rel)
			}
			n.Linkname = target
		}
	}
	return nil
}

func metadataOf(st *unix.Stat_t, p string) (Metadata, error) {
	m := Metadata{
		Mode:    st.Mode & 0o7777,
		UID:     int(st.Uid),
		GID:     int(st.Gid),
		ModTime: st.Mtim.Nano(),
	}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFDIR:
		m.Type = TypeDir
	case unix.S_IFLNK:
		m.Type = TypeSymlink
	case unix.S_IFCHR:
		m.Type = TypeChar
	case unix.S_IFBLK:
		m.Type = TypeBlock
	case unix.S_IFIFO:
		m.Type = TypeFIFO
	default:
		m.Type = TypeRegular
		m.Size = st.Size
	}
	if m.Type == TypeChar || m.Type == TypeBlock {
		m.Devmajor, m.Devminor = int64(unix.Major(uint64(st.Rdev))), int64(unix.Minor(uint64(st.Rdev)))
	}
	var err error
	m.Xattrs, err = readXattrs(p)
	return m, err
}

// readXattrs lists a path's extended attributes without following symlinks.
// Filesystems without xattr support have none.
func readXattrs(p string) (map[string]string, error) {
	size, err := unix.Llistxattr(p, nil)
	if err != nil || size == 0 {
		if err != nil && !errors.Is(err, unix.ENOTSUP) && !errors.Is(err, unix.ENOENT) {
			return nil, fmt.Errorf("rootfs: listing xattrs of %s: %w", p, err)
		}
		return nil, nil
	}
	buf := make([]byte, size)
	if size, err = unix.Llistxattr(p, buf); err != nil {
		return nil, fmt.Errorf("rootfs: listing xattrs of %s: %w", p, err)
	}
	out := map[string]string{}
	for name := range strings.SplitSeq(strings.TrimRight(string(buf[:size]), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		vsize, err := unix.Lgetxattr(p, name, nil)
		if err != nil {
			return nil, fmt.Errorf("rootfs: xattr %s of %s: %w", name, p, err)
		}
		val := make([]byte, vsize)
		if vsize, err = unix.Lgetxattr(p, name, val); err != nil {
			return nil, fmt.Errorf("rootfs: xattr %s of %s: %w", name, p, err)
		}
		out[name] = string(val[:vsize])
	}
	return out, nil
}

// hash computes the content digests of all regular files, on all cores.
func (r *dirReader) hash(ctx context.Context) error {
	work := make(chan *Node)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 256<<10)
			for n := range work {
				if err := r.hashFile(n, buf); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	var err error
feed:
	for _, n := range r.files {
		select {
		case work <- n:
		case err = <-errs:
			break feed
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return err
}

func (r *dirReader) hashFile(n *Node, buf []byte) error {
	p := filepath.Join(r.root, filepath.FromSlash(n.Path()))
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return fmt.Errorf("rootfs: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	size, err := io.CopyBuffer(h, f, buf)
	if err != nil {
		return fmt.Errorf("rootfs: reading %s: %w", p, err)
	}
	n.Size = size
	h.Sum(n.Digest[:0])
	return nil
}
