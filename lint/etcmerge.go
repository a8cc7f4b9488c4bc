package lint

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/oslayer/oslayer/layer"
)

// localState is what a machine did to a file of its /etc, relative to the
// release it runs.
type localState uint8

const (
	localUntouched localState = iota
	localModified
	localAdded
	localDeleted
)

// machineEtc is a machine's /etc as --etc gives it: a copy of the
// directory, or the output of ostree admin config-diff.
type machineEtc struct {
	dir  string                // a copy of /etc
	diff map[string]localState // config-diff's lines, by path below /etc
}

// readMachineEtc reads --etc: a directory is a copy of a machine's /etc; a
// file is what ostree admin config-diff printed ("M    path", "A    path",
// "D    path", paths relative to /etc).
func readMachineEtc(p string) (*machineEtc, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("--etc: %w", err)
	}
	if st.IsDir() {
		return &machineEtc{dir: p}, nil
	}
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("--etc: %w", err)
	}
	defer f.Close()
	m := &machineEtc{diff: map[string]localState{}}
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		kind, rel, ok := strings.Cut(line, " ")
		rel = strings.TrimPrefix(strings.TrimSpace(rel), "/etc/")
		states := map[string]localState{"M": localModified, "A": localAdded, "D": localDeleted}
		s, known := states[kind]
		if !ok || !known || rel == "" {
			return nil, fmt.Errorf("--etc %s line %d: %q is not an ostree admin config-diff line (M, A or D and a path)", p, n, line)
		}
		m.diff[strings.Trim(rel, "/")] = s
	}
	return m, sc.Err()
}

// state says what the machine did to the file at abs (below /etc), which
// the previous release had as old (nil when it had none).
func (m *machineEtc) state(abs string, old *layer.Node) (localState, error) {
	rel := strings.TrimPrefix(abs, "/etc/")
	if m.diff != nil {
		return m.diff[rel], nil
	}
	p := filepath.Join(m.dir, filepath.FromSlash(rel))
	st, err := os.Lstat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist) && old != nil:
		return localDeleted, nil
	case errors.Is(err, fs.ErrNotExist):
		return localUntouched, nil
	case err != nil:
		return 0, fmt.Errorf("--etc: %w", err)
	case old == nil:
		return localAdded, nil
	}
	same, err := sameAsNode(p, st, old)
	if err != nil {
		return 0, fmt.Errorf("--etc: %w", err)
	}
	if same {
		return localUntouched, nil
	}
	return localModified, nil
}

// sameAsNode reports whether the machine's file is the release's: type,
// permission bits, and content or link target.
func sameAsNode(p string, st os.FileInfo, n *layer.Node) (bool, error) {
	switch {
	case n.Type == layer.TypeSymlink && st.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(p)
		return target == n.Linkname, err
	case n.Type == layer.TypeDir && st.IsDir():
		return uint32(st.Mode().Perm()) == n.Mode&0o777, nil
	case n.Type != layer.TypeRegular || !st.Mode().IsRegular() || st.Size() != n.Size || uint32(st.Mode().Perm()) != n.Mode&0o777:
		return false, nil
	case n.Sparse || n.Digest.IsZero():
		return false, fmt.Errorf("%s: the release's digest of %s is not known", p, n.Path())
	}
	f, err := os.Open(p)
	if err != nil {
		return false, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return false, err
	}
	var d layer.Digest
	h.Sum(d[:0])
	return d == n.Digest, nil
}
