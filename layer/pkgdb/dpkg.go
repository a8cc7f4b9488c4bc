package pkgdb

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io/fs"
	"strings"
)

// installedStates are the dpkg Status states (its third word) in which a
// package's files are on disk.
var installedStates = map[string]bool{
	"installed":        true,
	"half-configured":  true,
	"unpacked":         true,
	"half-installed":   true,
	"triggers-awaited": true,
	"triggers-pending": true,
}

// readDpkgStatus reads var/lib/dpkg/status and the info files of its
// packages. It returns nil when there is no status file.
func readDpkgStatus(ctx context.Context, fsys fs.FS) (*DB, error) {
	data, err := fs.ReadFile(fsys, dpkgStatus)
	if isAbsent(err) {
		return nil, nil
	}
	db := &DB{Kind: KindDpkg, Format: "status", Path: "/" + dpkgStatus}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", db.Path, err)
	}
	if db.Packages, err = dpkgPackages(ctx, fsys, dpkgStatus, data, false); err != nil {
		return nil, err
	}
	sortPackages(KindDpkg, db.Packages)
	return db, nil
}

// readDpkgStatusD reads the per-package files of var/lib/dpkg/status.d,
// which distroless images have instead of a status file, with their
// .md5sums. It returns nil when there is no such directory.
func readDpkgStatusD(ctx context.Context, fsys fs.FS) (*DB, error) {
	entries, err := fs.ReadDir(fsys, dpkgStatusD)
	if isAbsent(err) {
		return nil, nil
	}
	db := &DB{Kind: KindDpkg, Format: "status.d", Path: "/" + dpkgStatusD}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", db.Path, err)
	}
	for _, e := range entries {
		if e.IsDir() || strings.HasSuffix(e.Name(), ".md5sums") {
			continue
		}
		name := dpkgStatusD + "/" + e.Name()
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("reading /%s: %w", name, err)
		}
		pkgs, err := dpkgPackages(ctx, fsys, name, data, true)
		if err != nil {
			return nil, err
		}
		db.Packages = append(db.Packages, pkgs...)
	}
	sortPackages(KindDpkg, db.Packages)
	return db, nil
}

// dpkgPackages returns the installed packages of the status file name
// holds with their files. In status.d, stanzas without Status count as
// installed, and name.md5sums or status.d/<package>.md5sums add digests.
func dpkgPackages(ctx context.Context, fsys fs.FS, name string, data []byte, statusD bool) ([]Package, error) {
	stanzas, err := parseStanzas(data)
	if err != nil {
		return nil, fmt.Errorf("reading /%s: %w", name, err)
	}
	var pkgs []Package
	for _, st := range stanzas {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p := Package{
			Name:    st.fields["package"],
			Version: st.fields["version"],
			Arch:    st.fields["architecture"],
		}
		if status, ok := st.fields["status"]; ok || !statusD {
			words := strings.Fields(status)
			if len(words) != 3 || !installedStates[words[2]] {
				continue
			}
		}
		if p.Name == "" || p.Version == "" {
			return nil, fmt.Errorf("reading /%s: line %d: installed package without Package or Version", name, st.line)
		}
		p.Source, _, _ = strings.Cut(st.fields["source"], " ")
		if p.Source == "" {
			p.Source = p.Name
		}
		var md5sums []string
		if statusD {
			md5sums = []string{name + ".md5sums"}
			if byName := dpkgStatusD + "/" + p.Name + ".md5sums"; byName != md5sums[0] {
				md5sums = append(md5sums, byName)
			}
		}
		if p.Files, err = dpkgFiles(fsys, p.Name, p.Arch, st.fields["conffiles"], md5sums); err != nil {
			return nil, fmt.Errorf("reading /%s: package %s (line %d): %w", name, p.Name, st.line, err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, nil
}

// dpkgFiles gathers a package's files from info/<name>[:<arch>].list,
// .md5sums and .conffiles, the md5sums files named (if they exist) and the
// Conffiles field. A conffile without an md5sums line gets the digest
// Conffiles records.
func dpkgFiles(fsys fs.FS, name, arch, conffiles string, md5sums []string) ([]File, error) {
	byPath := map[string]*File{}
	var files []*File
	add := func(p string) *File {
		p = cleanAbs(p)
		if f, ok := byPath[p]; ok {
			return f
		}
		f := &File{Path: p}
		byPath[p] = f
		files = append(files, f)
		return f
	}
	list, _, err := readInfo(fsys, name, arch, ".list")
	if err != nil {
		return nil, err
	}
	for line := range strings.Lines(string(list)) {
		if line = strings.TrimRight(line, "\r\n"); line != "" {
			add(line)
		}
	}
	sums, sumsFile, err := readInfo(fsys, name, arch, ".md5sums")
	if err != nil {
		return nil, err
	}
	if err := addMD5Sums(sums, "/"+sumsFile, add); err != nil {
		return nil, err
	}
	for _, name := range md5sums {
		data, err := fs.ReadFile(fsys, name)
		if isAbsent(err) {
			continue
		}
		if err == nil {
			err = addMD5Sums(data, "/"+name, add)
		}
		if err != nil {
			return nil, fmt.Errorf("reading /%s: %w", name, err)
		}
	}
	cf, _, err := readInfo(fsys, name, arch, ".conffiles")
	if err != nil {
		return nil, err
	}
	for line := range strings.Lines(string(cf)) {
		if line = strings.TrimSpace(line); line != "" {
			add(line).Flags |= fileFlagConfig
		}
	}
	// Conffiles lines: " /path md5hex [obsolete|remove-on-upgrade]".
	for line := range strings.Lines(conffiles) {
		fields := strings.Fields(line)
		if len(fields) < 2 {
			continue
		}
		f := add(fields[0])
		f.Flags |= fileFlagConfig
		if f.Digest == "" && isMD5(fields[1]) {
			f.Digest, f.Algo = strings.ToLower(fields[1]), "md5"
		}
	}
	out := make([]File, len(files))
	for i, f := range files {
		out[i] = *f
	}
	sortFiles(out)
	return out, nil
}

// readInfo reads info/<name>:<arch><ext>, or else info/<name><ext>. A
// missing file gives nil data and no error.
func readInfo(fsys fs.FS, name, arch, ext string) ([]byte, string, error) {
	candidates := []string{dpkgInfo + "/" + name + ext}
	if arch != "" {
		candidates = append([]string{dpkgInfo + "/" + name + ":" + arch + ext}, candidates...)
	}
	for _, c := range candidates {
		data, err := fs.ReadFile(fsys, c)
		if isAbsent(err) {
			continue
		}
		if err != nil {
			return nil, c, fmt.Errorf("reading /%s: %w", c, err)
		}
		return data, c, nil
	}
	return nil, "", nil
}

// addMD5Sums records the digests of an md5sums file: lines of an md5 in
// hex, two spaces, and a path relative to the root.
func addMD5Sums(data []byte, file string, add func(string) *File) error {
	for n, line := range bytes.Split(data, []byte("\n")) {
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(line) == 0 {
			continue
		}
		sum, p, ok := strings.Cut(string(line), " ")
		p = strings.TrimLeft(p, " *") // "  path", or " *path" for binary mode
		if !ok || !isMD5(sum) || p == "" {
			return fmt.Errorf("reading %s: line %d: want \"<md5>  <path>\", got %q", file, n+1, truncate(line))
		}
		f := add(p)
		f.Digest, f.Algo = strings.ToLower(sum), "md5"
	}
	return nil
}

// isMD5 reports whether s is an md5 digest in hex.
func isMD5(s string) bool {
	_, err := hex.DecodeString(s)
	return len(s) == 32 && err == nil
}
