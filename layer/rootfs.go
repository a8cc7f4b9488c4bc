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
	"strconv"
	"strings"
	"sync"
	"syscall"
	"unicode/utf8"

	"golang.org/x/sys/unix"
)

// DirOptions tune TreeFromDir.
type DirOptions struct {
	// Hash computes the sha256 of every regular file, on all cores.
	// Without it Digest is left zero: callers that need some digests read
	// those files through Tree.Open.
	Hash bool
	// Invalid, when set, is told the path of each entry whose name or
	// symlink target is not UTF-8; such entries are left out. Without it
	// they are an error.
	Invalid func(path string)
	// Exclude lists directories (host paths) left out of the tree, such as
	// oslayer's own cache when the rootfs is "/".
	Exclude []string
}

// TreeFromDir reads a directory tree (a rootfs) into a Tree. Filesystems
// mounted below dir (/proc, /sys, the bind mounts of a container build,
// found in /proc/self/mountinfo or by device number) are recorded as mount
// points and not entered. Files can be read back through Tree.FS and
// Tree.Open.
func TreeFromDir(ctx context.Context, dir string, opts DirOptions) (*Tree, error) {
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
	r := &dirReader{root: root, dev: st.Dev, tree: t, inodes: map[[2]uint64]uint32{},
		mounts: MountPointsBelow(root), invalid: opts.Invalid, exclude: map[[2]uint64]bool{}}
	for _, x := range opts.Exclude {
		var xs unix.Stat_t
		if unix.Stat(x, &xs) == nil {
			r.exclude[[2]uint64{xs.Dev, xs.Ino}] = true
		}
	}
	if t.Root.Metadata, err = metadataOf(&st, root); err != nil {
		return nil, err
	}
	t.Root.Implicit = false
	if err := r.walk(ctx, root, t.Root); err != nil {
		return nil, err
	}
	t.freeze()
	if opts.Hash {
		if err := r.hash(ctx); err != nil {
			return nil, err
		}
	}
	t.content = func(n *Node) (io.ReadCloser, error) {
		f, err := openRegular(filepath.Join(root, filepath.FromSlash(n.Path())))
		if err != nil || !n.Sparse {
			return f, err
		}
		exts, ok := fileExtents(f, n.Size)
		if !ok {
			f.Close()
			return nil, fmt.Errorf("/%s: its holes cannot be found again", n.Path())
		}
		return sparseOfFile(f, exts, n.Size), nil
	}
	return t, nil
}

type dirReader struct {
	root    string
	dev     uint64
	tree    *Tree
	inodes  map[[2]uint64]uint32 // (dev, ino) of multiply-linked files → Inode
	files   []*Node              // regular files to hash
	mounts  map[string]bool      // mount points below root, as paths on the host
	invalid func(string)
	exclude map[[2]uint64]bool // (dev, ino) of directories left out
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
			if r.invalid != nil {
				r.invalid(rel)
				continue
			}
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
		if r.exclude[[2]uint64{st.Dev, st.Ino}] {
			continue
		}
		md, err := metadataOf(&st, p)
		if err != nil {
			return err
		}
		n := &Node{Metadata: md, Name: name, Layer: -1, DataLayer: -1, Offset: -1}
		if n.Type == TypeSymlink {
			target, err := os.Readlink(p)
			if err != nil {
				return fmt.Errorf("rootfs: %w", err)
			}
			if !utf8.ValidString(target) {
				if r.invalid != nil {
					r.invalid(rel)
					continue
				}
				return fmt.Errorf("rootfs: %s: symlink target is not valid UTF-8", rel)
			}
			n.Linkname = target
		}
		parent.addChild(n)
		// Only directories show a mount by their device: overlayfs reports
		// the lower file system's device for files. Bind-mounted files are
		// in mountinfo.
		if r.mounts[p] || (n.Type == TypeDir && st.Dev != r.dev) {
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
		}
	}
	return nil
}

func metadataOf(st *unix.Stat_t, p string) (Metadata, error) {
	m := Metadata{
		Mode:    st.Mode & 0o7777,
		UID:     st.Uid,
		GID:     st.Gid,
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
		m.Devmajor, m.Devminor = unix.Major(uint64(st.Rdev)), unix.Minor(uint64(st.Rdev))
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
	f, err := openRegular(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil // removed while we looked: its digest stays unknown
	}
	if err != nil {
		return fmt.Errorf("rootfs: %w", err)
	}
	defer f.Close()
	if exts, size, ok := holesOf(f); ok {
		d, err := digestExtents(sparseOfFile(f, exts, size).data, exts, size, buf, true)
		if err != nil {
			return fmt.Errorf("rootfs: reading %s: %w", p, err)
		}
		n.Size, n.Sparse, n.Digest = size, true, d
		return nil
	}
	h := sha256.New()
	size, err := io.CopyBuffer(h, f, buf)
	if err != nil {
		return fmt.Errorf("rootfs: reading %s: %w", p, err)
	}
	n.Size = size
	h.Sum(n.Digest[:0])
	return nil
}

// holesOf returns the data runs of a file the filesystem stores with at
// least sparseMin bytes of holes.
func holesOf(f *os.File) ([]Extent, int64, bool) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil || st.Blocks*512+sparseMin > st.Size {
		return nil, 0, false
	}
	exts, ok := fileExtents(f, st.Size)
	if !ok || holes(exts, st.Size) < sparseMin {
		return nil, 0, false
	}
	return exts, st.Size, true
}

// MountPointsBelow returns the mount points strictly below root (an
// absolute path), read from /proc/self/mountinfo. Bind mounts of a
// container build live on the same device as the root, so device numbers
// alone do not reveal them.
func MountPointsBelow(root string) map[string]bool {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	out := map[string]bool{}
	prefix := strings.TrimSuffix(root, "/") + "/"
	for line := range strings.SplitSeq(string(data), "\n") {
		fields := strings.Fields(line)
		if len(fields) < 5 {
			continue
		}
		if mp := unescapeMountinfo(fields[4]); strings.HasPrefix(mp, prefix) {
			out[mp] = true
		}
	}
	return out
}

// unescapeMountinfo decodes the octal escapes (\040 for a space) the
// kernel uses in mountinfo paths.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, "\\") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// openRegular opens a file that must still be the regular file the walk
// saw: no symlink is followed and a device or FIFO swapped in since is
// refused (opened without blocking, then checked).
func openRegular(p string) (*os.File, error) {
	f, err := os.OpenFile(p, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, fmt.Errorf("%s: no longer a regular file", p)
	}
	return f, nil
}
