package chunk

import (
	"io/fs"
	"strings"
	"time"

	"github.com/oslayer/oslayer/layer/pkgdb"
)

// ActivityWindow is how far back from the newest changelog entry in the
// image a package's changes are counted: the two years cover a stable
// release's security and point updates without going back to its
// development.
const ActivityWindow = 2 * 365 * 24 * time.Hour

// activity counts, per source package, the distinct days with a changelog
// entry in the ActivityWindow before the newest entry of any package in
// the image, a measure of how often the package changes. rpm records its
// changelog dates in the database (CHANGELOGTIME); dpkg's are read from
// /usr/share/doc/PACKAGE/changelog.Debian.gz (changelog.gz for a native
// package). A package without a changelog, or with one that cannot be
// read, counts nothing: the count only guides packing.
func activity(fsys fs.FS, dbs []*pkgdb.DB) map[string]int {
	days := map[string]map[int64]bool{}
	newest := int64(0)
	for _, db := range dbs {
		for i := range db.Packages {
			p := &db.Packages[i]
			src := p.Source
			if src == "" {
				src = p.Name
			}
			times := p.ChangeTimes
			if db.Kind == pkgdb.KindDpkg {
				times = debianChangelog(fsys, p)
			}
			for _, t := range times {
				if days[src] == nil {
					days[src] = map[int64]bool{}
				}
				days[src][t/86400] = true
				newest = max(newest, t)
			}
		}
	}
	out := map[string]int{}
	since := (newest - int64(ActivityWindow/time.Second)) / 86400
	for src, ds := range days {
		for d := range ds {
			if d >= since {
				out[src]++
			}
		}
	}
	return out
}

// debianChangelog returns the dates of a dpkg package's changelog
// entries, newest first, stopping at the first one more than
// ActivityWindow older than the newest.
func debianChangelog(fsys fs.FS, p *pkgdb.Package) []int64 {
	files := pkgdb.DebianChangelogFiles(p)
	for _, name := range []string{files.Debian, files.Native} {
		f, err := fsys.Open(strings.TrimPrefix(name, "/"))
		if err != nil {
			continue
		}
		defer f.Close()
		var out []int64
		for e, err := range pkgdb.DebianChangelog(f) {
			if err != nil {
				break
			}
			if e.Time.IsZero() {
				continue
			}
			t := e.Time.Unix()
			if len(out) > 0 && t < out[0]-int64(ActivityWindow/time.Second) {
				break
			}
			out = append(out, t)
		}
		return out
	}
	return nil
}
