package pkgdb

import (
	"cmp"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"syscall"
)

// rpmDirs are the rpm database directories, most current first.
var rpmDirs = []string{"usr/lib/sysimage/rpm", "var/lib/rpm", "usr/share/rpm"}

// rpmFormats are the database files looked for in each rpm directory, in
// the order rpm prefers them.
var rpmFormats = []struct{ file, format string }{
	{"rpmdb.sqlite", "sqlite"},
	{"Packages.db", "ndb"},
	{"Packages", "bdb"},
}

const (
	dpkgDir      = "var/lib/dpkg/"
	dpkgStatus   = dpkgDir + "status"
	dpkgStatusD  = dpkgDir + "status.d"
	dpkgInfo     = dpkgDir + "info"
	sqliteWALExt = "-wal"
)

// Read finds and reads every package database in fsys, which is rooted at
// an OS root (paths like "var/lib/dpkg/status", no leading slash). It
// returns an empty slice when there is none, and leaves out databases
// without packages.
//
// Read uses only fs.ReadFile and fs.ReadDir, and opens only files
// IsDatabaseFile accepts. For each rpm directory it reads the first format
// present (sqlite, ndb, then bdb); a database seen already, through a
// directory that is a symlink to another (var/lib/rpm on Fedora), is left
// out.
func Read(ctx context.Context, fsys fs.FS) ([]*DB, error) {
	return ReadWith(ctx, fsys, ReadOptions{})
}

// ReadOptions choose what Read decodes besides packages and their files.
type ReadOptions struct {
	// Changelogs decodes the changelogs rpm headers hold into
	// Package.Changelog. dpkg keeps its changelogs in files (see
	// DebianChangelogFiles), which Read does not open.
	Changelogs bool
}

// ReadWith is Read with options.
func ReadWith(ctx context.Context, fsys fs.FS, opts ReadOptions) ([]*DB, error) {
	dbs := []*DB{}
	seen := map[[sha256.Size]byte]bool{}
	for _, dir := range rpmDirs {
		db, err := readRPMDir(ctx, fsys, dir, seen, opts)
		if err != nil {
			return nil, err
		}
		if db != nil && len(db.Packages) > 0 {
			dbs = append(dbs, db)
		}
	}
	for _, read := range []func(context.Context, fs.FS) (*DB, error){readDpkgStatus, readDpkgStatusD} {
		db, err := read(ctx, fsys)
		if err != nil {
			return nil, err
		}
		if db != nil && len(db.Packages) > 0 {
			dbs = append(dbs, db)
		}
	}
	return dbs, nil
}

// readRPMDir reads the preferred database in dir. It returns nil when
// there is none, or when seen has the digest of its files already; it adds
// the digest to seen.
func readRPMDir(ctx context.Context, fsys fs.FS, dir string, seen map[[sha256.Size]byte]bool, opts ReadOptions) (*DB, error) {
	for _, f := range rpmFormats {
		name := dir + "/" + f.file
		data, err := fs.ReadFile(fsys, name)
		if isAbsent(err) {
			continue
		}
		db := &DB{Kind: KindRPM, Format: f.format, Path: "/" + name}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", db.Path, err)
		}
		var wal []byte
		if f.format == "sqlite" {
			wal, err = fs.ReadFile(fsys, name+sqliteWALExt)
			if isAbsent(err) {
				wal, err = nil, nil
			}
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w", db.Path+sqliteWALExt, err)
			}
		}
		h := sha256.New()
		h.Write(data)
		h.Write(wal)
		sum := [sha256.Size]byte(h.Sum(nil))
		if seen[sum] {
			return nil, nil
		}
		seen[sum] = true
		var blobs [][]byte
		switch f.format {
		case "sqlite":
			blobs, err = sqliteBlobs(ctx, data, wal)
		case "ndb":
			blobs, err = ndbBlobs(data)
		case "bdb":
			blobs, err = bdbBlobs(data)
		}
		if err == nil {
			db.Packages, err = rpmPackages(ctx, blobs, opts)
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", db.Path, err)
		}
		return db, nil
	}
	return nil, nil
}

// rpmPackages decodes header blobs, leaving out gpg-pubkey entries.
func rpmPackages(ctx context.Context, blobs [][]byte, opts ReadOptions) ([]Package, error) {
	pkgs := make([]Package, 0, len(blobs))
	for i, blob := range blobs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p, err := packageFromHeader(blob, opts)
		if errors.Is(err, errPubkey) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("header %d: %w", i, err)
		}
		pkgs = append(pkgs, p)
	}
	sortPackages(KindRPM, pkgs)
	return pkgs, nil
}

// isAbsent reports whether err says a file is not there: it does not exist
// or a parent is not a directory.
func isAbsent(err error) bool {
	return errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)
}

// DatabaseDirs lists the directories whose files IsDatabaseFile may
// accept, for a walker that looks for database files in a merged tree.
func DatabaseDirs() []string {
	return append(slices.Clone(rpmDirs), strings.TrimSuffix(dpkgDir, "/"), dpkgStatusD, dpkgInfo)
}

// IsDatabaseFile reports whether the slash-separated path p, relative to
// the root and without a leading slash, is a file Read may open. Image
// walkers call it for every entry to decide which contents to keep. It
// leaves out rpmdb.sqlite-shm, which SQLite rebuilds from the -wal log,
// and rpm's index files (Index.db, Name, ...), which Read does not need.
func IsDatabaseFile(p string) bool {
	for _, d := range rpmDirs {
		if len(p) > len(d) && p[len(d)] == '/' && strings.HasPrefix(p, d) {
			switch p[len(d)+1:] {
			case "rpmdb.sqlite", "rpmdb.sqlite" + sqliteWALExt, "Packages.db", "Packages":
				return true
			}
			return false
		}
	}
	if !strings.HasPrefix(p, dpkgDir) {
		return false
	}
	if p == dpkgStatus {
		return true
	}
	switch dir, base := path.Split(p); dir {
	case dpkgStatusD + "/":
		return base != ""
	case dpkgInfo + "/":
		return strings.HasSuffix(base, ".list") || strings.HasSuffix(base, ".md5sums") || strings.HasSuffix(base, ".conffiles")
	}
	return false
}

// sortPackages sorts by name, architecture, then version.
func sortPackages(kind Kind, pkgs []Package) {
	slices.SortStableFunc(pkgs, func(a, b Package) int {
		return cmp.Or(
			cmp.Compare(a.Name, b.Name),
			cmp.Compare(a.Arch, b.Arch),
			CompareVersions(kind, a.EVR(), b.EVR()),
		)
	})
}

// sortFiles sorts by path.
func sortFiles(files []File) {
	slices.SortFunc(files, func(a, b File) int { return cmp.Compare(a.Path, b.Path) })
}
