package diff

import (
	"fmt"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/layer"
)

// ch is a change for listing tests: "+/usr/a" added, "-" removed, "~"
// modified, "=" metadata, "!" typechange; a trailing "/" makes it a
// directory. Files change by size bytes.
func ch(spec string, size int64) *Change {
	kinds := map[byte]Kind{'+': Added, '-': Removed, '~': Modified, '=': Metadata, '!': TypeChange}
	c := &Change{Kind: kinds[spec[0]], Path: spec[1:], Type: layer.TypeRegular, SizeDelta: size}
	if strings.HasSuffix(c.Path, "/") {
		c.Path, c.Type, c.SizeDelta = strings.TrimSuffix(c.Path, "/"), layer.TypeDir, 0
	}
	return c
}

// files returns n changes of one kind to files dir/f0 … dir/f(n-1), of
// one byte each.
func files(kind byte, dir string, n int) []*Change {
	var out []*Change
	for i := range n {
		out = append(out, ch(fmt.Sprintf("%c%s/f%d", kind, dir, i), 1))
	}
	return out
}

func cat(parts ...any) []*Change {
	var out []*Change
	for _, p := range parts {
		switch p := p.(type) {
		case *Change:
			out = append(out, p)
		case []*Change:
			out = append(out, p...)
		}
	}
	return out
}

// describe spells lines for comparison: a change as its kind and path, a
// summed-up line as kind, directory, count, bytes and names.
func describe(lines []Line) []string {
	var out []string
	for _, l := range lines {
		switch s := l.Sum; {
		case l.Change != nil && s != nil:
			out = append(out, "a line with a change and a sum")
		case l.Change != nil:
			out = append(out, l.Change.Kind.String()+" "+l.Change.Path)
		case s.Below:
			out = append(out, fmt.Sprintf("%s %s/… %d below %+d regular=%v", s.Kind, s.Dir, s.Count, s.SizeDelta, s.Regular))
		default:
			out = append(out, fmt.Sprintf("%s %s/ %d in %+d regular=%v %s", s.Kind, s.Dir, s.Count, s.SizeDelta, s.Regular, strings.Join(s.Names, ",")))
		}
	}
	return out
}

func TestLines(t *testing.T) {
	tests := []struct {
		name    string
		changes []*Change
		all     bool
		want    []string
	}{
		{"five files of one directory stay listed", files('~', "/usr/lib", 5), false,
			[]string{"modified /usr/lib/f0", "modified /usr/lib/f1", "modified /usr/lib/f2", "modified /usr/lib/f3", "modified /usr/lib/f4"}},
		{"six files of one directory and kind become one line", files('~', "/usr/lib/__pycache__", 6), false,
			[]string{"modified /usr/lib/__pycache__/ 6 in +6 regular=true f0,f1,f2,f3,f4,f5"}},
		{"--all lists them", files('~', "/usr/lib/__pycache__", 6), true,
			[]string{"modified /usr/lib/__pycache__/f0", "modified /usr/lib/__pycache__/f1", "modified /usr/lib/__pycache__/f2",
				"modified /usr/lib/__pycache__/f3", "modified /usr/lib/__pycache__/f4", "modified /usr/lib/__pycache__/f5"}},
		{"kinds are counted apart", cat(files('+', "/etc/ssl/certs", 6), files('-', "/etc/ssl/certs", 3)), false,
			[]string{"added /etc/ssl/certs/ 6 in +6 regular=true f0,f1,f2,f3,f4,f5",
				"removed /etc/ssl/certs/f0", "removed /etc/ssl/certs/f1", "removed /etc/ssl/certs/f2"}},
		{"the summed-up line stands where the first was; others keep their places",
			cat(ch("~/usr/lib/a", 1), files('~', "/usr/lib/b", 3)[0], ch("~/usr/lib/c", 1), files('~', "/usr/lib/b", 3)[1],
				ch("~/usr/lib/d", 1), ch("~/usr/lib/e", 1), ch("~/usr/lib/f", 1), ch("~/usr/lib/g", 2)), false,
			[]string{"modified /usr/lib/ 6 in +7 regular=true a,c,d,e,f,g", "modified /usr/lib/b/f0", "modified /usr/lib/b/f1"}},
		{"files of subdirectories are not files of the directory",
			cat(files('~', "/usr/lib/a", 2), files('~', "/usr/lib/b", 2), files('~', "/usr/lib/c", 2)), false,
			[]string{"modified /usr/lib/a/f0", "modified /usr/lib/a/f1", "modified /usr/lib/b/f0", "modified /usr/lib/b/f1",
				"modified /usr/lib/c/f0", "modified /usr/lib/c/f1"}},
		{"directories are not summed up with files",
			cat(ch("=/usr/share/a/", 0), ch("=/usr/share/b/", 0), ch("=/usr/share/c/", 0), ch("=/usr/share/d/", 0),
				ch("=/usr/share/e/", 0), ch("=/usr/share/f/", 0)), false,
			[]string{"metadata /usr/share/a", "metadata /usr/share/b", "metadata /usr/share/c", "metadata /usr/share/d",
				"metadata /usr/share/e", "metadata /usr/share/f"}},
		{"symlinks are, and a line without regular files says so",
			[]*Change{{Kind: Added, Type: layer.TypeSymlink, Path: "/etc/ssl/certs/a.0"}, {Kind: Added, Type: layer.TypeSymlink, Path: "/etc/ssl/certs/b.0"},
				{Kind: Added, Type: layer.TypeSymlink, Path: "/etc/ssl/certs/c.0"}, {Kind: Added, Type: layer.TypeSymlink, Path: "/etc/ssl/certs/d.0"},
				{Kind: Added, Type: layer.TypeSymlink, Path: "/etc/ssl/certs/e.0"}, {Kind: Added, Type: layer.TypeSymlink, Path: "/etc/ssl/certs/f.0"}}, false,
			[]string{"added /etc/ssl/certs/ 6 in +0 regular=false a.0,b.0,c.0,d.0,e.0,f.0"}},
		{"a directory added whole with more than five paths below it",
			cat(ch("+/usr/lib/python3/", 0), ch("+/usr/lib/python3/certifi/", 0), files('+', "/usr/lib/python3/certifi", 5), ch("~/usr/lib/x", 3)), false,
			[]string{"added /usr/lib/python3", "added /usr/lib/python3/… 6 below +5 regular=true", "modified /usr/lib/x"}},
		{"a directory removed whole with five paths below it stays listed",
			cat(ch("-/opt/app/", 0), files('-', "/opt/app", 5)), false,
			[]string{"removed /opt/app", "removed /opt/app/f0", "removed /opt/app/f1", "removed /opt/app/f2", "removed /opt/app/f3", "removed /opt/app/f4"}},
		{"what a directory swallows is not summed up again; what follows it is",
			cat(ch("+/srv/", 0), files('+', "/srv", 7), files('+', "/srv2", 7)), false,
			[]string{"added /srv", "added /srv/… 7 below +7 regular=true", "added /srv2/ 7 in +7 regular=true f0,f1,f2,f3,f4,f5,f6"}},
		{"a directory added whole stops at the first path of another kind",
			cat(ch("+/srv/", 0), files('+', "/srv", 3), ch("~/srv/zz", 1), files('+', "/srv/zzz", 3)), false,
			[]string{"added /srv", "added /srv/f0", "added /srv/f1", "added /srv/f2", "modified /srv/zz",
				"added /srv/zzz/f0", "added /srv/zzz/f1", "added /srv/zzz/f2"}},
		{"a directory whose metadata changed does not swallow anything",
			cat(ch("=/srv/", 0), files('+', "/srv", 3)), false,
			[]string{"metadata /srv", "added /srv/f0", "added /srv/f1", "added /srv/f2"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sameStrings(t, "lines", tc.want, describe(Lines(tc.changes, tc.all)))
		})
	}
}

func TestLinesKeepTenNames(t *testing.T) {
	lines := Lines(files('~', "/usr/lib/__pycache__", 40), false)
	if len(lines) != 1 || lines[0].Sum == nil || lines[0].Sum.Count != 40 || strings.Join(lines[0].Sum.Names, ",") != "f0,f1,f2,f3,f4,f5,f6,f7,f8,f9" {
		t.Errorf("lines = %+v", lines)
	}
}

func TestSample(t *testing.T) {
	pyc := []string{"__future__.cpython-311.pyc", "__hello__.cpython-311.pyc", "_aix_support.cpython-311.pyc"}
	tests := []struct {
		names []string
		count int
		want  string
	}{
		{[]string{"group", "group-", "gshadow", "gshadow-", "ld.so.cache", "passwd", "passwd-", "shadow", "shadow-", "shells"}, 10,
			"group, group-, gshadow, gshadow-, ld.so.cache, passwd, …"},
		{pyc, 170, "__future__.cpython-311.pyc, __hello__.cpython-311.pyc, …"},
		{[]string{"a", "b", "c", "d", "e", "f"}, 6, "a, b, c, d, e, f"},
		{[]string{strings.Repeat("x", 80), "y"}, 2, strings.Repeat("x", 80) + ", …"},
	}
	for _, tc := range tests {
		if got := sample(tc.names, tc.count); got != tc.want {
			t.Errorf("sample(%q, %d) = %q, want %q", tc.names, tc.count, got, tc.want)
		}
	}
}
