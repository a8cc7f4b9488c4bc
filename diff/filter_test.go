package diff

import (
	"errors"
	"strings"
	"testing"
)

func TestParseKind(t *testing.T) {
	for _, k := range Kinds {
		got, err := ParseKind(k.String())
		if err != nil || got != k {
			t.Errorf("ParseKind(%q) = %v, %v", k.String(), got, err)
		}
	}
	for _, bad := range []string{"", "add", "Added", "modified ", "changed", "all"} {
		_, err := ParseKind(bad)
		if err == nil || !strings.Contains(err.Error(), "want one of added, modified, metadata, typechange, removed") {
			t.Errorf("ParseKind(%q): error %v, want one naming the kinds", bad, err)
		}
	}
}

func TestFilterKeeps(t *testing.T) {
	changes := []Change{
		*ch("~/etc/passwd", 1),
		*ch("+/etc/ssl/certs/a.pem", 1),
		*ch("-/etc/ssl/certs/b.pem", -1),
		*ch("~/usr/lib/python3.11/__pycache__/os.cpython-311.pyc", 0),
		*ch("~/usr/lib/python3.11/os.py", 1),
		*ch("~/usr/lib/x.pyc", 0),
		*ch("+/usr/lib64/y.pyc", 1),
		*ch("=/usr/bin/ping", 0),
		*ch("!/etc/localtime", 1),
		*ch("+/etcetera/x", 1),
	}
	tests := []struct {
		name  string
		paths []string
		kinds []Kind
		want  []string
	}{
		{"nothing asked keeps everything", nil, nil, []string{
			"/etc/passwd", "/etc/ssl/certs/a.pem", "/etc/ssl/certs/b.pem", "/usr/lib/python3.11/__pycache__/os.cpython-311.pyc",
			"/usr/lib/python3.11/os.py", "/usr/lib/x.pyc", "/usr/lib64/y.pyc", "/usr/bin/ping", "/etc/localtime", "/etcetera/x"}},
		{"pyc below /usr/lib", []string{"/usr/lib/**/*.pyc"}, nil, []string{
			"/usr/lib/python3.11/__pycache__/os.cpython-311.pyc", "/usr/lib/x.pyc"}},
		{"a directory", []string{"/etc"}, nil, []string{
			"/etc/passwd", "/etc/ssl/certs/a.pem", "/etc/ssl/certs/b.pem", "/etc/localtime"}},
		{"a directory with a trailing slash", []string{"/etc/ssl/"}, nil, []string{
			"/etc/ssl/certs/a.pem", "/etc/ssl/certs/b.pem"}},
		{"patterns add up", []string{"/etc/ssl", "**/*.py"}, nil, []string{
			"/etc/ssl/certs/a.pem", "/etc/ssl/certs/b.pem", "/usr/lib/python3.11/os.py"}},
		{"kinds", nil, []Kind{Added, Removed}, []string{
			"/etc/ssl/certs/a.pem", "/etc/ssl/certs/b.pem", "/usr/lib64/y.pyc", "/etcetera/x"}},
		{"kinds and paths both hold", []string{"/etc/**"}, []Kind{Added, TypeChange}, []string{
			"/etc/ssl/certs/a.pem", "/etc/localtime"}},
		{"metadata only", nil, []Kind{Metadata}, []string{"/usr/bin/ping"}},
		{"a class", []string{"/usr/lib[0-9]*/*.pyc"}, nil, []string{"/usr/lib64/y.pyc"}},
		{"nothing matches", []string{"/opt"}, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := NewFilter(tc.paths, tc.kinds)
			if err != nil {
				t.Fatal(err)
			}
			kept, report := f.Apply(append([]Change(nil), changes...))
			var got []string
			for _, c := range kept {
				got = append(got, c.Path)
			}
			sameStrings(t, "kept", tc.want, got)
			if report.Unfiltered != len(changes) {
				t.Errorf("report counts %d changes before filtering, want %d", report.Unfiltered, len(changes))
			}
			if strings.Join(report.Paths, " ") != strings.Join(tc.paths, " ") {
				t.Errorf("report paths %q, want %q", report.Paths, tc.paths)
			}
		})
	}
}

func TestNewFilterRejects(t *testing.T) {
	for _, p := range []string{"etc", "*.pyc", "/usr/[a", "/usr/../etc", ""} {
		_, err := NewFilter([]string{"/etc", p}, nil)
		var pe *PatternError
		if !errors.As(err, &pe) || pe.Pattern != p || !strings.Contains(err.Error(), `"`+p+`"`) {
			t.Errorf("NewFilter(%q): error %v, want a PatternError naming it", p, err)
		}
	}
	if _, err := NewFilter(nil, []Kind{Added, Kind(42)}); err == nil || !strings.Contains(err.Error(), "kind(42)") {
		t.Errorf("NewFilter with kind 42: error %v", err)
	}
}

func TestFilteredString(t *testing.T) {
	f, err := NewFilter([]string{"/etc/**", "**/*.pyc"}, []Kind{Removed, Added, Removed})
	if err != nil {
		t.Fatal(err)
	}
	_, r := f.Apply(nil)
	if got := r.String(); got != "paths /etc/** **/*.pyc, kinds added removed" {
		t.Errorf("String() = %q", got)
	}
	f, _ = NewFilter(nil, []Kind{Metadata})
	if _, r = f.Apply(nil); r.String() != "kinds metadata" {
		t.Errorf("String() = %q", r.String())
	}
}
