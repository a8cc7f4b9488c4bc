package pkgdb

// Kind names a package manager.
type Kind string

// The package managers whose databases Read understands.
const (
	KindRPM  Kind = "rpm"
	KindDpkg Kind = "dpkg"
)

// DB is one package database found in an OS root.
type DB struct {
	Kind Kind
	// Format is "sqlite", "ndb" or "bdb" for rpm; "status" or "status.d" for dpkg.
	Format string
	// Path is the absolute path of the database inside the root, e.g.
	// "/usr/lib/sysimage/rpm/rpmdb.sqlite" or "/var/lib/dpkg/status.d".
	Path string
	// Packages are sorted by Name, Arch, then version (CompareVersions).
	Packages []Package
}

// Package is one installed package.
type Package struct {
	Name string
	// Epoch is rpm's decimal epoch, or "" when unset. Always "" for dpkg,
	// whose epoch stays inside Version.
	Epoch string
	// Version is rpm's VERSION; for dpkg the whole Version field
	// ([epoch:]upstream[-revision]).
	Version string
	// Release is rpm's RELEASE; "" for dpkg.
	Release string
	// Arch is rpm's ARCH ("noarch", "x86_64") or dpkg's Architecture ("all", "amd64").
	Arch string
	// Source is the source package's name: for rpm the name part of
	// SOURCERPM ("openssl-3.0.1-1.fc41.src.rpm" gives "openssl"), for dpkg
	// the Source field without its "(version)". When the database records
	// none, Source is Name.
	Source string
	// BuildTime is rpm's BUILDTIME in Unix seconds; 0 for dpkg.
	BuildTime int64
	// ChangeTimes are the dates of rpm's changelog entries (CHANGELOGTIME,
	// Unix seconds, as the header lists them: newest first); nil for dpkg,
	// whose database keeps no changelog.
	ChangeTimes []int64
	// Changelog is rpm's changelog (CHANGELOGTIME, CHANGELOGNAME,
	// CHANGELOGTEXT), newest first, when ReadOptions.Changelogs asks for
	// it; nil otherwise, and for dpkg (see DebianChangelog).
	Changelog []ChangelogEntry
	// Files are the paths the package owns, sorted by Path.
	Files []File
}

// EVR returns the version as CompareVersions takes it: for rpm
// "[epoch:]version-release", the epoch left out when "" or "0"; for dpkg
// the Version field.
func (p *Package) EVR() string {
	evr := p.Version
	if p.Release != "" {
		evr += "-" + p.Release
	}
	if p.Epoch != "" && p.Epoch != "0" {
		evr = p.Epoch + ":" + evr
	}
	return evr
}

// File is one path a package owns.
type File struct {
	// Path is absolute and cleaned, as the package records it ("/usr/bin/ls").
	Path string
	// Mode is rpm's FILEMODES (st_mode including the type bits); 0 for dpkg,
	// which does not record it.
	Mode uint32
	// Size is rpm's FILESIZES or LONGFILESIZES; 0 for dpkg.
	Size int64
	// Digest is the lowercase hex digest of the content, "" when the
	// package records none (directories, symlinks, ghosts).
	Digest string
	// Algo names Digest's algorithm ("md5", "sha1", "sha224", "sha256",
	// "sha384", "sha512"); "" when Digest is "".
	Algo string
	// LinkTo is a symlink's target (rpm FILELINKTOS); "" for dpkg.
	LinkTo string
	// User and Group own the file (rpm FILEUSERNAME, FILEGROUPNAME); "" for dpkg.
	User, Group string
	// Flags are rpm's FILEFLAGS; for dpkg only the config bit is set, on conffiles.
	Flags uint32
	// State is rpm's FILESTATES: whether the file was installed. dpkg
	// records no such thing: its files are FileNormal.
	State FileState
}

// FileState is rpm's record of what happened to a file at install time.
type FileState uint8

// The file states rpm records (lib/rpmfiles.h).
const (
	// FileNormal files were installed.
	FileNormal FileState = 0
	// FileReplaced files were replaced by another package's.
	FileReplaced FileState = 1
	// FileNotInstalled files were left out (tsflags=nodocs,
	// %_install_langs, --excludepath).
	FileNotInstalled FileState = 2
	// FileNetShared files live on a shared network path and were not
	// installed.
	FileNetShared FileState = 3
	// FileWrongColor files lost to another architecture's copy.
	FileWrongColor FileState = 4
)

// Installed reports whether the package manager put the file in place:
// only such files can be verified.
func (f File) Installed() bool { return f.State == FileNormal }

// rpm FILEFLAGS bits.
const (
	fileFlagConfig = 1 << 0
	fileFlagGhost  = 1 << 6
)

// IsConfig reports whether the file is a configuration file: rpm's %config,
// or one of a dpkg package's conffiles.
func (f File) IsConfig() bool { return f.Flags&fileFlagConfig != 0 }

// IsGhost reports whether the file is an rpm %ghost: owned by the package
// but not shipped in it.
func (f File) IsGhost() bool { return f.Flags&fileFlagGhost != 0 }
