package pkgdb

// DebianChangelogPaths are where a Debian binary package's changelog may
// be, as absolute paths: dh_installchangelogs installs the source's
// debian/changelog in the package's documentation directory, which may be
// a symlink to another package's of the same source (Debian policy 12.7).
type DebianChangelogPaths struct {
	// BinNMU holds the entry of a binary-only upload (binNMU), which
	// debhelper keeps out of the changelog the architectures share:
	// /usr/share/doc/NAME/changelog.Debian.ARCH.gz. Read it first.
	BinNMU string
	// Debian is the source's changelog: /usr/share/doc/NAME/changelog.Debian.gz.
	Debian string
	// Native is /usr/share/doc/NAME/changelog.gz: a native package's
	// Debian changelog (Debian is its upstream) when there is no Debian
	// file; otherwise the upstream's changelog, in no format of Debian's.
	Native string
}

// DebianChangelogFiles returns where the changelog of the dpkg package p
// may be.
func DebianChangelogFiles(p *Package) DebianChangelogPaths {
	dir := "/usr/share/doc/" + p.Name + "/"
	return DebianChangelogPaths{
		BinNMU: dir + "changelog.Debian." + p.Arch + ".gz",
		Debian: dir + "changelog.Debian.gz",
		Native: dir + "changelog.gz",
	}
}
