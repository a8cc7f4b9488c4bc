package pkgdb

import (
	"iter"
	"time"
)

// ChangelogEntry is one entry of a package's changelog.
type ChangelogEntry struct {
	// Version is the package version the entry was written for: a Debian
	// entry's header version; for rpm the version CHANGELOGNAME ends with
	// ("Jane Doe <jane@example.org> - 1:2.3-4" gives "1:2.3-4"), "" when it
	// names none.
	Version string
	// Time is when the entry was written: a Debian entry's trailer date in
	// the zone it gives, rpm's CHANGELOGTIME in UTC. Zero when the trailer
	// has no date that parses.
	Time time.Time
	// Author is "Name <email>" as the entry gives it: a Debian trailer's
	// maintainer, rpm's CHANGELOGNAME without its version.
	Author string
	// Text is the entry's body: rpm's CHANGELOGTEXT; a Debian entry's
	// lines between header and trailer, without the two spaces they are
	// indented by, nor the blank lines before and after them.
	Text string
}

// ChangelogRange is what an update from one version of a package to
// another brings: the changelog entries after From, up to To.
type ChangelogRange struct {
	// Kind says whose version rules compare versions.
	Kind Kind
	// From and To are versions as Package.EVR gives them.
	From, To string
	// Last is the newest changelog entry of the package at version From,
	// nil when unknown. It judges entries that name no version (see
	// Select).
	Last *ChangelogEntry
}

// Select returns the entries of a changelog (newest first, as changelogs
// list them) that the range holds. Entries newer than To are passed over;
// the first one that is not newer than From ends the range, as
// `dpkg-parsechangelog --since FROM` ends it, and nothing after it is read.
// An rpm entry that names no epoch is compared with From and To without
// theirs: rpm changelogs seldom write the epoch. An entry that names no
// version is newer than From when it is newer than Last: written later, or
// on the same day by another author or with another text, as rpm-ostree
// judges every entry.
func (r ChangelogRange) Select(entries iter.Seq2[ChangelogEntry, error]) ([]ChangelogEntry, error) {
	out := []ChangelogEntry{}
	for e, err := range entries {
		if err != nil {
			return out, err
		}
		if e.Version == "" {
			if !r.newerThanLast(&e) {
				break
			}
			out = append(out, e)
			continue
		}
		if r.compare(e.Version, r.From) <= 0 {
			break
		}
		if r.compare(e.Version, r.To) <= 0 {
			out = append(out, e)
		}
	}
	return out, nil
}

// compare compares an entry's version with a package version.
func (r ChangelogRange) compare(entry, pkg string) int {
	if r.Kind == KindRPM && !parseRPMEVR(entry).hasEpoch {
		v := parseRPMEVR(pkg)
		pkg = v.version
		if v.hasRelease {
			pkg += "-" + v.release
		}
	}
	return CompareVersions(r.Kind, entry, pkg)
}

// newerThanLast says whether an entry that names no version is newer than
// the From version's newest entry.
func (r ChangelogRange) newerThanLast(e *ChangelogEntry) bool {
	if r.Last == nil {
		return true
	}
	switch {
	case e.Time.After(r.Last.Time):
		return true
	case e.Time.Equal(r.Last.Time):
		return e.Author != r.Last.Author || e.Text != r.Last.Text
	}
	return false
}

// Entries yields the entries of a changelog held in a slice, for Select.
func Entries(entries []ChangelogEntry) iter.Seq2[ChangelogEntry, error] {
	return func(yield func(ChangelogEntry, error) bool) {
		for _, e := range entries {
			if !yield(e, nil) {
				return
			}
		}
	}
}
