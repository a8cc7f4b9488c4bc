package pkgdb

import (
	"testing"
	"testing/fstest"
)

func TestDpkgFilters(t *testing.T) {
	fsys := fstest.MapFS{
		// Debian's container images.
		"etc/dpkg/dpkg.cfg.d/docker": {Data: []byte("# keep only copyrights\npath-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\n")},
		// Ubuntu's minimized images, with "=" and quotes.
		"etc/dpkg/dpkg.cfg.d/excludes": {Data: []byte("path-exclude=/usr/share/man/*\npath-exclude=\"/usr/share/locale/[!e]*\"\n\tpath-exclude\t/opt/é*\nforce-unsafe-io\n")},
		"etc/dpkg/dpkg.cfg":            {Data: []byte("path-exclude /usr/share/doc/keep/*\npath-include /usr/share/doc/keep/*\nno-debsig\n")},
		"etc/dpkg/dpkg.cfg.d/odd":      {Data: []byte("path-exclude /odd/[\npath-exclude /odd/[z-a]\npath-exclude /odd/a\\*b\npath-exclude\n")},
	}
	filters, err := ReadDpkgFilters(fsys)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, by string }{
		{"/usr/share/doc/hello/changelog.Debian.gz", "/etc/dpkg/dpkg.cfg.d/docker: path-exclude /usr/share/doc/*"},
		{"/usr/share/doc/hello/sub/dir/README", "/etc/dpkg/dpkg.cfg.d/docker: path-exclude /usr/share/doc/*"},
		{"/usr/share/doc/hello/copyright", ""},
		{"/usr/share/doc/keep/x", "/etc/dpkg/dpkg.cfg.d/docker: path-exclude /usr/share/doc/*"},
		{"/usr/share/man/man1/ls.1.gz", "/etc/dpkg/dpkg.cfg.d/excludes: path-exclude /usr/share/man/*"},
		{"/usr/share/locale/de/LC_MESSAGES/x.mo", "/etc/dpkg/dpkg.cfg.d/excludes: path-exclude /usr/share/locale/[!e]*"},
		{"/usr/share/locale/en/LC_MESSAGES/x.mo", ""},
		{"/opt/éclair", "/etc/dpkg/dpkg.cfg.d/excludes: path-exclude /opt/é*"},
		{"/odd/[", "/etc/dpkg/dpkg.cfg.d/odd: path-exclude /odd/["},
		{"/odd/a*b", "/etc/dpkg/dpkg.cfg.d/odd: path-exclude /odd/a\\*b"},
		{"/odd/axb", ""},
		{"/odd/z", ""},
		{"/usr/bin/ls", ""},
	} {
		got := ""
		if f := filters.Excluding(tc.path); f != nil {
			got = f.File + ": " + f.String()
		}
		if got != tc.by {
			t.Errorf("Excluding(%q) = %q, want %q", tc.path, got, tc.by)
		}
	}
	if filters, err := ReadDpkgFilters(fstest.MapFS{}); err != nil || len(filters) != 0 {
		t.Errorf("no configuration: %v, %v; want no filters", filters, err)
	}
}

func FuzzDpkgFilters(f *testing.F) {
	f.Add("path-exclude=/usr/share/doc/*\npath-include /usr/share/doc/*/copyright\n", "/usr/share/doc/a/b")
	f.Add("path-exclude '/a/[!b-d]\\?*'\n", "/a/x?y")
	f.Fuzz(func(t *testing.T, cfg, p string) {
		filters, err := ReadDpkgFilters(fstest.MapFS{"etc/dpkg/dpkg.cfg": {Data: []byte(cfg)}})
		if err != nil {
			return
		}
		if f := filters.Excluding(p); f != nil && f.Include {
			t.Errorf("an include filter excludes %q", p)
		}
	})
}

// TestDpkgFilterGlobs: dpkg's fnmatch without FNM_PATHNAME: "*" crosses
// "/", classes are classes, the last matching filter decides.
func TestDpkgFilterGlobs(t *testing.T) {
	var f DpkgFilters
	for _, g := range []struct {
		include bool
		glob    string
	}{{false, "/usr/share/doc/*"}, {true, "/usr/share/doc/*/copyright"}, {false, "/usr/share/man/man[1-9]/*.gz"}} {
		f = append(f, DpkgFilter{Include: g.include, Glob: g.glob, re: fnmatchRegexp(g.glob)})
	}
	for p, want := range map[string]bool{
		"/usr/share/doc/hello/README":    true,
		"/usr/share/doc/hello/sub/x":     true,
		"/usr/share/doc/hello/copyright": false,
		"/usr/share/man/man1/hello.1.gz": true,
		"/usr/share/man/mann/hello.n.gz": false,
		"/usr/bin/hello":                 false,
	} {
		if got := f.Excluding(p) != nil; got != want {
			t.Errorf("Excluding(%q) = %v, want %v", p, got, want)
		}
	}
}
