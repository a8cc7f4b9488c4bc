package lint

import (
	"context"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/layer/pkgdb"
)

// record is one package's claim about a path.
type record struct {
	pkg  *pkgdb.Package
	kind pkgdb.Kind
	file pkgdb.File
}

// Verified returns how the target's files differ from what its package
// databases recorded when the packages were installed, as changes to
// "base" content: a file removed, of another type, with other content,
// mode or owner. Only files under /usr and /etc that the package manager
// installed are checked. A path several packages own differs only if it
// matches none of them. Image trees only know sha256 digests, so records
// with other digests (dpkg's md5sums) are verified on rootfs targets only;
// a note says how many were left out.
func (t *Target) Verified(ctx context.Context) ([]diff.Change, error) {
	t.verifyOnce.Do(func() { t.verified, t.verifyErr = t.verify(ctx) })
	return t.verified, t.verifyErr
}

func (t *Target) verify(ctx context.Context) ([]diff.Change, error) {
	canonical := layer.Canonicalizer(t.Tree)
	records := map[string][]record{}
	for _, db := range t.Packages {
		for i := range db.Packages {
			p := &db.Packages[i]
			for _, f := range p.Files {
				if !f.Installed() || f.IsGhost() || !underVerifiedArea(f.Path) {
					continue
				}
				c := canonical(f.Path)
				records[c] = append(records[c], record{pkg: p, kind: db.Kind, file: f})
			}
		}
	}
	paths := make([]string, 0, len(records))
	for p := range records {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	users, groups := t.accounts()
	filters, err := pkgdb.ReadDpkgFilters(t.Tree.FS())
	if err != nil {
		return nil, err
	}
	dpkgOnly := len(t.Packages) > 0
	for _, db := range t.Packages {
		dpkgOnly = dpkgOnly && db.Kind == pkgdb.KindDpkg
	}
	if dpkgOnly {
		t.Notes = append(t.Notes, "dpkg records no file modes, owners or xattrs: without a base image, changes to those of Debian packages' files cannot be seen (lint the image with its base for that)")
	}

	h := &hasher{tree: t.Tree, sums: map[hashKey]string{}}
	var out []diff.Change
	var pending []pendingContent
	for _, p := range paths {
		recs := records[p]
		n := t.lookup(p)
		if n == nil {
			if c, ok := missing(p, recs, filters); ok {
				out = append(out, c)
			}
			continue
		}
		if d := typeMismatch(n, recs); d != "" {
			out = append(out, change(p, diff.TypeChange, n, recs, d))
			continue
		}
		if d := metadataMismatch(n, recs, users, groups); len(d) > 0 {
			out = append(out, change(p, diff.Metadata, n, recs, d...))
		}
		switch n.Type {
		case layer.TypeSymlink:
			if d := linkMismatch(n, recs); d != "" {
				out = append(out, change(p, diff.Modified, n, recs, d))
			}
		case layer.TypeRegular:
			if algos := digestAlgos(recs); len(algos) > 0 {
				pending = append(pending, pendingContent{path: p, node: n, recs: recs})
				for _, a := range algos {
					h.want(n, a)
				}
			}
		}
	}
	if err := h.run(ctx); err != nil {
		return nil, err
	}
	for _, pc := range pending {
		matched, checked := false, false
		for _, r := range pc.recs {
			sum, ok := h.sums[hashKey{pc.node, r.file.Algo}]
			if !ok || r.file.Digest == "" {
				continue
			}
			checked = true
			if sum == r.file.Digest {
				matched = true
				break
			}
		}
		if checked && !matched {
			out = append(out, change(pc.path, diff.Modified, pc.node, pc.recs, "content"))
		}
	}
	if h.unverifiable > 0 {
		t.Notes = append(t.Notes, fmt.Sprintf("%d package files have digests only a rootfs can check (the image keeps sha256 only): lint the rootfs or pass --base to verify them", h.unverifiable))
	}
	// A path can be both a metadata and a content change: keep one change
	// per path, content first, as diff does.
	return mergeChanges(out), nil
}

type pendingContent struct {
	path string
	node *layer.Node
	recs []record
}

// underVerifiedArea limits verification to what the checks judge.
func underVerifiedArea(p string) bool {
	return strings.HasPrefix(p, "/usr/") || strings.HasPrefix(p, "/etc/")
}

// missing reports a package file that is not there, unless the package
// manager left it out on purpose: rpm records that (FileNotInstalled),
// dpkg does not, so its path-exclude filters are applied here.
func missing(p string, recs []record, filters pkgdb.DpkgFilters) (diff.Change, bool) {
	for _, r := range recs {
		if r.file.IsConfig() {
			return diff.Change{}, false // a removed config file is the admin's business
		}
		if r.kind == pkgdb.KindDpkg && (filters.Excluding(r.file.Path) != nil || filters.Excluding(p) != nil) {
			return diff.Change{}, false
		}
	}
	c := diff.Change{Path: p, Kind: diff.Removed, Type: recordType(recs[0]), Package: owners(recs)}
	return c, true
}

const (
	sIFMT  = 0o170000
	sIFDIR = 0o040000
	sIFREG = 0o100000
	sIFLNK = 0o120000
)

func recordType(r record) layer.Type {
	switch r.file.Mode & sIFMT {
	case sIFDIR:
		return layer.TypeDir
	case sIFLNK:
		return layer.TypeSymlink
	case sIFREG:
		return layer.TypeRegular
	}
	return layer.TypeUnknown
}

// typeMismatch compares the node's type with rpm's record (dpkg records
// no types).
func typeMismatch(n *layer.Node, recs []record) string {
	if len(recs) == 0 {
		return ""
	}
	var want layer.Type
	for _, r := range recs {
		if r.file.Mode&sIFMT == 0 {
			return ""
		}
		if want = recordType(r); want == n.Type {
			return ""
		}
	}
	return "type " + want.String() + " -> " + n.Type.String()
}

// metadataMismatch compares mode and owner with rpm's records.
func metadataMismatch(n *layer.Node, recs []record, users, groups map[string]int) []string {
	if n.Type == layer.TypeSymlink {
		return nil
	}
	var mode, owner []string
	for _, r := range recs {
		if r.file.Mode&sIFMT == 0 {
			return nil // dpkg: nothing recorded
		}
		var d []string
		if want := r.file.Mode & 0o7777; want != n.Mode {
			d = append(d, fmt.Sprintf("mode %04o -> %04o", want, n.Mode))
		}
		var o []string
		if uid, ok := users[r.file.User]; ok && uid != int(n.UID) {
			o = append(o, fmt.Sprintf("uid %d -> %d", uid, n.UID))
		}
		if gid, ok := groups[r.file.Group]; ok && gid != int(n.GID) {
			o = append(o, fmt.Sprintf("gid %d -> %d", gid, n.GID))
		}
		if len(d) == 0 && len(o) == 0 {
			return nil
		}
		mode, owner = d, o
	}
	return append(mode, owner...)
}

func linkMismatch(n *layer.Node, recs []record) string {
	want := ""
	for _, r := range recs {
		if r.file.LinkTo == "" || r.file.LinkTo == n.Linkname {
			return ""
		}
		want = r.file.LinkTo
	}
	return fmt.Sprintf("target %s -> %s", want, n.Linkname)
}

func digestAlgos(recs []record) []string {
	var out []string
	for _, r := range recs {
		if r.file.Digest != "" && !slices.Contains(out, r.file.Algo) {
			out = append(out, r.file.Algo)
		}
	}
	return out
}

func owners(recs []record) string {
	var names []string
	for _, r := range recs {
		if !slices.Contains(names, r.pkg.Name) {
			names = append(names, r.pkg.Name)
		}
	}
	slices.Sort(names)
	return strings.Join(names, ",")
}

func change(p string, kind diff.Kind, n *layer.Node, recs []record, details ...string) diff.Change {
	return diff.Change{Path: p, Kind: kind, Type: n.Type, Package: owners(recs), Details: details}
}

// mergeChanges keeps one change per path: a content change absorbs a
// metadata change of the same path.
func mergeChanges(in []diff.Change) []diff.Change {
	byPath := map[string]int{}
	var out []diff.Change
	for _, c := range in {
		i, seen := byPath[c.Path]
		if !seen {
			byPath[c.Path] = len(out)
			out = append(out, c)
			continue
		}
		prev := &out[i]
		prev.Details = append(prev.Details, c.Details...)
		if c.Kind == diff.Modified {
			prev.Kind = diff.Modified
		}
	}
	slices.SortFunc(out, func(a, b diff.Change) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// accounts maps user and group names to ids from the tree's passwd and
// group files (and nss-altfiles' copies in /usr/lib).
func (t *Target) accounts() (users, groups map[string]int) {
	users, groups = map[string]int{}, map[string]int{}
	fsys := t.Tree.FS()
	for _, f := range []struct {
		path string
		into map[string]int
	}{{"etc/passwd", users}, {"usr/lib/passwd", users}, {"etc/group", groups}, {"usr/lib/group", groups}} {
		for _, a := range readAccounts(fsys, f.path) {
			if _, dup := f.into[a.Name]; !dup {
				f.into[a.Name] = a.ID
			}
		}
	}
	return users, groups
}

// hasher computes the digests verification needs, once per node and
// algorithm, reading each file once for all its algorithms, on all cores.
type hasher struct {
	tree         *layer.Tree
	sums         map[hashKey]string
	order        []*layer.Node
	algos        map[*layer.Node][]string
	unverifiable int
}

type hashKey struct {
	node *layer.Node
	algo string
}

func (h *hasher) want(n *layer.Node, algo string) {
	if algo == "sha256" && !n.Digest.IsZero() && !n.Sparse {
		h.sums[hashKey{n, algo}] = n.Digest.Hex()
		return
	}
	if newHash(algo) == nil {
		return
	}
	if h.algos == nil {
		h.algos = map[*layer.Node][]string{}
	}
	if _, ok := h.algos[n]; !ok {
		h.order = append(h.order, n)
	}
	if !slices.Contains(h.algos[n], algo) {
		h.algos[n] = append(h.algos[n], algo)
	}
}

func newHash(algo string) hash.Hash {
	switch algo {
	case "md5":
		return md5.New()
	case "sha1":
		return sha1.New()
	case "sha256":
		return sha256.New()
	case "sha224":
		return sha256.New224()
	case "sha384":
		return sha512.New384()
	case "sha512":
		return sha512.New()
	}
	return nil
}

func (h *hasher) run(ctx context.Context) error {
	var mu sync.Mutex
	work := make(chan *layer.Node)
	var firstErr error
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 256<<10)
			for n := range work {
				sums, err := h.hashNode(n, buf)
				mu.Lock()
				switch {
				case errors.Is(err, layer.ErrNoContent):
					h.unverifiable++
				case err != nil && firstErr == nil:
					firstErr = err
				}
				for algo, s := range sums {
					h.sums[hashKey{n, algo}] = s
				}
				mu.Unlock()
			}
		}()
	}
	for _, n := range h.order {
		if ctx.Err() != nil {
			break
		}
		work <- n
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	return firstErr
}

func (h *hasher) hashNode(n *layer.Node, buf []byte) (map[string]string, error) {
	rc, err := h.tree.Open(n)
	if err != nil {
		if errors.Is(err, layer.ErrNoContent) {
			return nil, err
		}
		return nil, fmt.Errorf("verifying /%s: %w", n.Path(), err)
	}
	defer rc.Close()
	algos := h.algos[n]
	hs := make([]hash.Hash, len(algos))
	ws := make([]io.Writer, len(algos))
	for i, a := range algos {
		hs[i] = newHash(a)
		ws[i] = hs[i]
	}
	if _, err := io.CopyBuffer(io.MultiWriter(ws...), rc, buf); err != nil {
		return nil, fmt.Errorf("verifying /%s: %w", n.Path(), err)
	}
	out := map[string]string{}
	for i, a := range algos {
		out[a] = hex.EncodeToString(hs[i].Sum(nil))
	}
	return out, nil
}
