package pkgdb

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"iter"
	"net/mail"
	"strings"
	"time"
)

// Bounds on a Debian changelog, which is untrusted input: how many bytes
// it may uncompress to, and how long a line may be.
const (
	maxDebChangelog = 16 << 20
	maxDebLine      = 1 << 20
)

// ErrNotDebianChangelog says a file does not start like a Debian
// changelog: a non-native package's changelog.gz is its upstream's.
var ErrNotDebianChangelog = errors.New("not a Debian changelog")

// DebianChangelog reads a Debian changelog (deb-changelog(5)), compressed
// with gzip or not, and yields its entries in file order, newest first.
// An entry is a header line "source (version) distributions;
// urgency=...", lines of changes indented by two spaces, and a trailer
// line " -- Name <email>  date" (RFC 2822). Reading stops when the caller
// stops asking (see ChangelogRange.Select), or where the file leaves the
// format: at an Emacs "Local variables:" block or a vim modeline, or at a
// line in the old free-form style of changelogs from before 1997 ("Old
// Changelog:"), whose entries are not read. A file whose first line is
// not a header gives ErrNotDebianChangelog; an entry without a trailer
// has no Author and no Time.
func DebianChangelog(r io.Reader) iter.Seq2[ChangelogEntry, error] {
	return func(yield func(ChangelogEntry, error) bool) {
		br := bufio.NewReader(r)
		var src io.Reader = br
		if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
			zr, err := gzip.NewReader(br)
			if err != nil {
				yield(ChangelogEntry{}, fmt.Errorf("gzip: %w", err))
				return
			}
			src = zr
		}
		p := debParser{yield: yield}
		sc := bufio.NewScanner(newLimitedReader(src, maxDebChangelog))
		sc.Buffer(nil, maxDebLine)
		for sc.Scan() {
			p.line++
			if !p.add(strings.TrimRight(sc.Text(), " \t\r")) {
				return
			}
		}
		if err := sc.Err(); err != nil {
			yield(ChangelogEntry{}, fmt.Errorf("line %d: %w", p.line+1, err))
			return
		}
		if p.cur != nil {
			p.flush()
		} else if p.line == 0 || !p.started {
			yield(ChangelogEntry{}, ErrNotDebianChangelog)
		}
	}
}

// debParser is the state of DebianChangelog between lines.
type debParser struct {
	yield func(ChangelogEntry, error) bool
	line  int
	// started says an entry was seen; cur is the entry being read (nil
	// between a trailer and the next header); body its text so far, and
	// blanks the blank lines read since, kept only if more text follows.
	started bool
	cur     *ChangelogEntry
	body    strings.Builder
	blanks  int
	// done says the rest of the file is not read.
	done bool
}

// add takes one line, without its line end and trailing blanks. It
// returns false when reading should stop.
func (p *debParser) add(line string) bool {
	if p.done {
		return false
	}
	if version, ok := debHeader(line); ok {
		if p.cur != nil && !p.flush() {
			return false
		}
		p.started = true
		p.cur = &ChangelogEntry{Version: version}
		p.body.Reset()
		p.blanks = 0
		return true
	}
	if p.cur != nil {
		if rest, ok := strings.CutPrefix(line, " --"); ok && (rest == "" || rest[0] == ' ') {
			p.cur.Author, p.cur.Time = debTrailer(strings.TrimSpace(rest))
			return p.flush()
		}
		p.addBody(line)
		return true
	}
	// Between entries, or before the first.
	switch {
	case line == "" || line[0] == ' ' || line[0] == '\t':
		return true
	case strings.HasPrefix(line, "# "):
		return true // a comment, which dpkg tolerates
	case !p.started:
		p.yield(ChangelogEntry{}, fmt.Errorf("line %d: %w: want \"source (version) distribution; urgency=...\", got %q", p.line, ErrNotDebianChangelog, truncate([]byte(line))))
		return false
	}
	// Local variables, a modeline, an old-style tail: the end of what
	// the format describes.
	p.done = true
	return false
}

// addBody adds a line of changes without the two spaces that indent it;
// blank lines before the first and after the last are left out.
func (p *debParser) addBody(line string) {
	if line == "" {
		p.blanks++
		return
	}
	if p.body.Len() > 0 {
		p.body.WriteString(strings.Repeat("\n", p.blanks+1))
	}
	p.blanks = 0
	p.body.WriteString(strings.TrimPrefix(strings.TrimPrefix(line, " "), " "))
}

// flush yields the entry being read.
func (p *debParser) flush() bool {
	e := p.cur
	p.cur = nil
	e.Text = p.body.String()
	return p.yield(*e, nil)
}

// debHeader parses a header line "source (version) dist [dist...];
// key=value[, key=value...]" and returns its version.
func debHeader(line string) (string, bool) {
	name, rest, ok := strings.Cut(line, " (")
	if !ok || name == "" || !isAlnum(name[0]) || strings.IndexFunc(name, func(c rune) bool {
		return c > 0x7f || !isAlnum(byte(c)) && !strings.ContainsRune("-+._", c)
	}) >= 0 {
		return "", false
	}
	version, rest, ok := strings.Cut(rest, ")")
	if !ok || version == "" || strings.ContainsAny(version, "( \t") {
		return "", false
	}
	dists, _, ok := strings.Cut(rest, ";")
	if !ok || strings.TrimSpace(dists) == "" || (dists[0] != ' ' && dists[0] != '\t') {
		return "", false
	}
	return version, true
}

// debTrailer splits what follows " -- " in a trailer: "Name <email>", two
// spaces (or one), and a date.
func debTrailer(s string) (string, time.Time) {
	i := strings.LastIndex(s, ">")
	if i < 0 {
		return s, time.Time{}
	}
	author, date := s[:i+1], strings.TrimSpace(s[i+1:])
	t, err := mail.ParseDate(date)
	if err != nil {
		return author, time.Time{}
	}
	return author, t
}

// limitedReader fails when the reader holds more than max bytes; left
// is what remains of them.
type limitedReader struct {
	r         io.Reader
	max, left int64
}

func newLimitedReader(r io.Reader, max int64) *limitedReader {
	return &limitedReader{r: r, max: max, left: max}
}

func (l *limitedReader) Read(b []byte) (int, error) {
	if l.left <= 0 {
		var one [1]byte
		if n, err := l.r.Read(one[:]); n == 0 && err != nil {
			return 0, err
		}
		return 0, fmt.Errorf("more than %d bytes", l.max)
	}
	if int64(len(b)) > l.left {
		b = b[:l.left]
	}
	n, err := l.r.Read(b)
	l.left -= int64(n)
	return n, err
}
