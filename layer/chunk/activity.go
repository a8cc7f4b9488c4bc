package chunk

import (
	"bufio"
	"compress/gzip"
	"io"
	"io/fs"
	"net/mail"
	"strings"
	"time"

	"github.com/oslayer/oslayer/layer/pkgdb"
)

// ActivityWindow is how far back from the newest changelog entry in the
// image a package's changes are counted: the two years cover a stable
// release's security and point updates without going back to its
// development.
const ActivityWindow = 2 * 365 * 24 * time.Hour

// maxChangelog bounds how much of one dpkg changelog is decompressed.
const maxChangelog = 1 << 20

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
				times = debianChangelog(fsys, p.Name)
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
func debianChangelog(fsys fs.FS, pkg string) []int64 {
	for _, name := range []string{"changelog.Debian.gz", "changelog.gz"} {
		f, err := fsys.Open("usr/share/doc/" + pkg + "/" + name)
		if err != nil {
			continue
		}
		defer f.Close()
		zr, err := gzip.NewReader(f)
		if err != nil {
			return nil
		}
		return changelogDates(io.LimitReader(zr, maxChangelog))
	}
	return nil
}

// changelogDates reads a Debian changelog: each entry ends with a trailer
// line " -- Name <email>  Date", the date in RFC 5322 form.
func changelogDates(r io.Reader) []int64 {
	var out []int64
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 64<<10)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), " -- ")
		if !ok {
			continue
		}
		i := strings.LastIndex(line, ">  ")
		if i < 0 {
			continue
		}
		t, err := mail.ParseDate(strings.TrimSpace(line[i+3:]))
		if err != nil {
			continue
		}
		if len(out) > 0 && t.Unix() < out[0]-int64(ActivityWindow/time.Second) {
			break
		}
		out = append(out, t.Unix())
	}
	return out
}
