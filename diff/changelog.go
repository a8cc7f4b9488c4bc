package diff

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/oslayer/oslayer/layer"
	"github.com/oslayer/oslayer/layer/pkgdb"
)

// ChangelogEntry is one changelog entry of an upgraded or downgraded
// package, as the JSON output spells it.
type ChangelogEntry struct {
	// Version is the version the entry was written for ("" when an rpm
	// entry names none).
	Version string `json:"version,omitempty"`
	// Date is when it was written (left out when unknown).
	Date   time.Time `json:"date,omitzero"`
	Author string    `json:"author,omitempty"`
	Text   string    `json:"text"`
	// CVEs are the CVE ids the entry names.
	CVEs []string `json:"cves"`
}

// maxSharedChangelog bounds a changelog file several packages read (a
// documentation directory that is a symlink to another's): it is held in
// memory while each reads it.
const maxSharedChangelog = 16 << 20

// AddChangelogs gives each upgraded or downgraded package of res.Packages
// the changelog entries between its two versions, newest first (see
// pkgdb.ChangelogRange), at most limit of them (0: all), and res the CVE
// ids they name. An upgrade's entries come from the derived image's
// changelog; a downgrade's from the base's: the entries it takes back.
// rpm changelogs come from the rpm headers (src must have been opened with
// layer.Request.Changelogs); Debian ones from the files each package
// installs, read from the images, only those (see layer.Tree.ReadFiles).
// A package whose image has no changelog for it gets ChangelogMissing,
// saying why.
func AddChangelogs(ctx context.Context, src *layer.Source, res *Result, limit int) error {
	base, derived := newChangelogSide(src.Base.Tree, src.Base.Packages), newChangelogSide(src.Tree, src.Packages)
	var jobs []*changelogJob
	for i := range res.Packages {
		pc := &res.Packages[i]
		if pc.Kind != PackageUpgraded && pc.Kind != PackageDowngraded {
			continue
		}
		// The newer version's changelog holds the entries between.
		older, newer := pc.From, pc.To
		newSide, oldSide := derived, base
		if pc.Kind == PackageDowngraded {
			older, newer = newer, older
			newSide, oldSide = oldSide, newSide
		}
		key := pkgKey{pc.Manager, pc.Name, pc.Arch}
		pkg := newSide.pkgs[pkgVersion{key, newer}]
		if pkg == nil {
			return fmt.Errorf("changelog of %s %s: no such package in the database", pc.FullName(), newer)
		}
		job := &changelogJob{pc: pc, pkg: pkg, side: newSide,
			r: pkgdb.ChangelogRange{Kind: pc.Manager, From: older, To: newer}}
		if old := oldSide.pkgs[pkgVersion{key, older}]; old != nil && len(old.Changelog) > 0 {
			job.r.Last = &old.Changelog[0]
		}
		jobs = append(jobs, job)
	}
	for _, s := range []*changelogSide{base, derived} {
		if err := s.readDebian(ctx, jobs); err != nil {
			return err
		}
	}
	fixed, reverted := []string{}, []string(nil)
	for _, job := range jobs {
		entries, err := job.entries()
		if err != nil {
			job.pc.ChangelogMissing = err.Error()
			continue
		}
		job.pc.Changelog = []ChangelogEntry{}
		for i, e := range entries {
			ids := cves(e.Text)
			if job.pc.Kind == PackageUpgraded {
				fixed = append(fixed, ids...)
			} else {
				reverted = append(reverted, ids...)
			}
			if limit > 0 && i >= limit {
				job.pc.ChangelogOmitted++
				continue
			}
			if ids == nil {
				ids = []string{}
			}
			job.pc.Changelog = append(job.pc.Changelog, ChangelogEntry{Version: e.Version, Date: e.Time,
				Author: e.Author, Text: e.Text, CVEs: ids})
		}
	}
	res.CVEsFixed, res.CVEsReverted = sortCVEs(fixed), sortCVEs(reverted)
	return nil
}

// pkgVersion is a package at one version.
type pkgVersion struct {
	pkgKey
	evr string
}

// changelogSide is one image of the comparison, as changelogs are read
// from it.
type changelogSide struct {
	tree *layer.Tree
	pkgs map[pkgVersion]*pkgdb.Package
	// filters are dpkg's path filters, once read.
	filters     pkgdb.DpkgFilters
	filtersErr  error
	filtersRead bool
}

// dpkgFilters reads the image's dpkg path filters, once.
func (s *changelogSide) dpkgFilters() (pkgdb.DpkgFilters, error) {
	if !s.filtersRead {
		s.filters, s.filtersErr = pkgdb.ReadDpkgFilters(s.tree.FS())
		s.filtersRead = true
	}
	return s.filters, s.filtersErr
}

func newChangelogSide(tree *layer.Tree, dbs []*pkgdb.DB) *changelogSide {
	s := &changelogSide{tree: tree, pkgs: map[pkgVersion]*pkgdb.Package{}}
	for _, db := range dbs {
		for i := range db.Packages {
			p := &db.Packages[i]
			k := pkgVersion{pkgKey{db.Kind, p.Name, p.Arch}, p.EVR()}
			if s.pkgs[k] == nil {
				s.pkgs[k] = p
			}
		}
	}
	return s
}

// changelogJob is the changelog entries one package change needs.
type changelogJob struct {
	pc *PackageChange
	// pkg is the package at the newer version, whose changelog holds the
	// entries; side the image it is installed in.
	pkg  *pkgdb.Package
	side *changelogSide
	r    pkgdb.ChangelogRange
	// For dpkg: where its changelog is, which of those files the image
	// has (nil: not there), and what reading them gave.
	paths          pkgdb.DebianChangelogPaths
	binNMU, main   *layer.Node
	native         bool // main is changelog.gz
	binNMUEntries  []pkgdb.ChangelogEntry
	mainEntries    []pkgdb.ChangelogEntry
	binNMUErr, err error
}

// entries returns the job's entries, or why there are none to read.
func (j *changelogJob) entries() ([]pkgdb.ChangelogEntry, error) {
	if j.pc.Manager == pkgdb.KindRPM {
		if len(j.pkg.Changelog) == 0 {
			return nil, fmt.Errorf("the rpm header of %s-%s has no changelog", j.pkg.Name, j.pkg.EVR())
		}
		return j.r.Select(pkgdb.Entries(j.pkg.Changelog))
	}
	switch {
	case j.main == nil:
		return nil, j.missing()
	case j.native && errors.Is(j.err, pkgdb.ErrNotDebianChangelog):
		// The upstream's changelog: the Debian one is what is missing.
		return nil, j.missing()
	case j.err != nil:
		return nil, fmt.Errorf("/%s: %w", j.main.Path(), j.err)
	case j.binNMUErr != nil:
		return nil, fmt.Errorf("%s: %w", j.paths.BinNMU, j.binNMUErr)
	}
	return append(slices.Clip(j.binNMUEntries), j.mainEntries...), nil
}

// missing says why the image has no Debian changelog for the package:
// dpkg's path filters left it out, it was deleted after installation, or
// the package installs none.
func (j *changelogJob) missing() error {
	p := j.paths.Debian
	filters, err := j.side.dpkgFilters()
	if err != nil {
		return fmt.Errorf("no %s, and dpkg's configuration does not read: %w", p, err)
	}
	if f := filters.Excluding(p); f != nil {
		return fmt.Errorf("dpkg left %s out of the image: %s (%s)", p, f, f.File)
	}
	dir := strings.TrimSuffix(p, "/changelog.Debian.gz")
	if n := j.side.tree.Lookup(strings.TrimPrefix(dir, "/")); n != nil && n.Type == layer.TypeSymlink {
		return fmt.Errorf("%s is a symlink to %s, which has no changelog.Debian.gz", dir, n.Linkname)
	}
	for _, f := range j.pkg.Files {
		if f.Path == p {
			return fmt.Errorf("%s, which the package installs, is not in the image: deleted after installation", p)
		}
	}
	if j.main != nil {
		return fmt.Errorf("the package installs no %s, and %s is its upstream's changelog, not Debian's", p, j.paths.Native)
	}
	return fmt.Errorf("the package installs no %s", p)
}

// readDebian reads the Debian changelogs of the jobs whose package is
// installed in s: the files it has of them, each once, in one
// ReadFiles.
func (s *changelogSide) readDebian(ctx context.Context, jobs []*changelogJob) error {
	type reader struct {
		job    *changelogJob
		binNMU bool
	}
	readers := map[*layer.Node][]reader{}
	var nodes []*layer.Node
	add := func(n *layer.Node, r reader) {
		if readers[n] == nil {
			nodes = append(nodes, n)
		}
		readers[n] = append(readers[n], r)
	}
	for _, job := range jobs {
		if job.side != s || job.pc.Manager != pkgdb.KindDpkg {
			continue
		}
		job.paths = pkgdb.DebianChangelogFiles(job.pkg)
		if job.main = s.file(job.paths.Debian); job.main == nil {
			job.main, job.native = s.file(job.paths.Native), true
		}
		if job.main == nil {
			continue
		}
		add(job.main, reader{job, false})
		if job.binNMU = s.file(job.paths.BinNMU); job.binNMU != nil {
			add(job.binNMU, reader{job, true})
		}
	}
	if len(nodes) == 0 {
		return nil
	}
	read := func(r reader, in io.Reader) {
		entries, err := r.job.r.Select(pkgdb.DebianChangelog(in))
		if r.binNMU {
			r.job.binNMUEntries, r.job.binNMUErr = entries, err
		} else {
			r.job.mainEntries, r.job.err = entries, err
		}
	}
	return s.tree.ReadFiles(ctx, nodes, func(n *layer.Node, in io.Reader) error {
		rs := readers[n]
		if len(rs) == 1 {
			read(rs[0], in)
			return nil
		}
		data, err := io.ReadAll(io.LimitReader(in, maxSharedChangelog+1))
		if err != nil {
			return err
		}
		if len(data) > maxSharedChangelog {
			return fmt.Errorf("/%s: more than %d bytes", n.Path(), maxSharedChangelog)
		}
		for _, r := range rs {
			read(r, bytes.NewReader(data))
		}
		return nil
	})
}

// file returns the regular file at the absolute path p, symlinks
// followed inside the image, or nil.
func (s *changelogSide) file(p string) *layer.Node {
	n, err := s.tree.Resolve(strings.TrimPrefix(p, "/"))
	if err != nil || n.Type != layer.TypeRegular {
		return nil
	}
	return n
}
