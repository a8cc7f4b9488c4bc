package pkgdb

import (
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
)

// rpm header tags read here.
const (
	tagName           = 1000
	tagVersion        = 1001
	tagRelease        = 1002
	tagEpoch          = 1003
	tagBuildTime      = 1006
	tagArch           = 1022
	tagChangelogTime  = 1080
	tagChangelogName  = 1081
	tagChangelogText  = 1082
	tagOldFilenames   = 1027
	tagFileSizes      = 1028
	tagFileModes      = 1030
	tagFileDigests    = 1035
	tagFileLinkTos    = 1036
	tagFileStates     = 1029
	tagFileFlags      = 1037
	tagFileUserName   = 1039
	tagFileGroupName  = 1040
	tagSourceRPM      = 1044
	tagDirIndexes     = 1116
	tagBaseNames      = 1117
	tagDirNames       = 1118
	tagLongFileSizes  = 5008
	tagFileDigestAlgo = 5011
)

// digestAlgos maps rpm's PGPHASHALGO values to names.
var digestAlgos = map[uint32]string{
	1:  "md5",
	2:  "sha1",
	3:  "ripemd160",
	5:  "md2",
	6:  "tiger192",
	7:  "haval-5-160",
	8:  "sha256",
	9:  "sha384",
	10: "sha512",
	11: "sha224",
}

// errPubkey marks the gpg-pubkey pseudo packages rpm keeps for imported keys.
var errPubkey = errors.New("gpg-pubkey pseudo package")

// packageFromHeader decodes an rpm header blob, with its changelog if
// asked. It returns errPubkey for gpg-pubkey entries.
func packageFromHeader(blob []byte, opts ReadOptions) (Package, error) {
	h, err := parseHeader(blob)
	if err != nil {
		return Package{}, err
	}
	var p Package
	for _, f := range []struct {
		name     string
		tag      uint32
		dst      *string
		required bool
	}{
		{"NAME", tagName, &p.Name, true},
		{"VERSION", tagVersion, &p.Version, true},
		{"RELEASE", tagRelease, &p.Release, true},
		{"ARCH", tagArch, &p.Arch, false}, // absent in gpg-pubkey entries
	} {
		v, err := h.String(f.tag)
		if err != nil && (f.required || !errors.Is(err, errNotFound)) {
			return Package{}, fmt.Errorf("%s: %w", f.name, err)
		}
		*f.dst = v
	}
	if p.Name == "gpg-pubkey" {
		return Package{}, errPubkey
	}
	if epoch, err := h.Uint32(tagEpoch); err == nil {
		p.Epoch = strconv.FormatUint(uint64(epoch), 10)
	} else if !errors.Is(err, errNotFound) {
		return Package{}, err
	}
	if bt, err := h.Uint32(tagBuildTime); err == nil {
		p.BuildTime = int64(bt)
	} else if !errors.Is(err, errNotFound) {
		return Package{}, err
	}
	times, err := optional(h.Uint32s(tagChangelogTime))
	if err != nil {
		return Package{}, fmt.Errorf("CHANGELOGTIME: %w", err)
	}
	for _, t := range times {
		p.ChangeTimes = append(p.ChangeTimes, int64(t))
	}
	if opts.Changelogs {
		if p.Changelog, err = rpmChangelog(h, times); err != nil {
			return Package{}, err
		}
	}
	p.Source = p.Name
	if srpm, err := h.String(tagSourceRPM); err == nil {
		if name := sourceName(srpm); name != "" {
			p.Source = name
		}
	} else if !errors.Is(err, errNotFound) {
		return Package{}, err
	}
	if p.Files, err = rpmFiles(h); err != nil {
		return Package{}, fmt.Errorf("package %s: %w", p.Name, err)
	}
	return p, nil
}

// sourceName returns the name part of a SOURCERPM value, "" if malformed.
func sourceName(srpm string) string {
	s, ok := strings.CutSuffix(srpm, ".src.rpm")
	if !ok {
		if s, ok = strings.CutSuffix(srpm, ".nosrc.rpm"); !ok {
			return ""
		}
	}
	for range 2 { // drop -release, then -version
		i := strings.LastIndexByte(s, '-')
		if i <= 0 {
			return ""
		}
		s = s[:i]
	}
	return s
}

// rpmFiles assembles the file list from the header's parallel arrays.
func rpmFiles(h *header) ([]File, error) {
	paths, err := rpmPaths(h)
	if err != nil || len(paths) == 0 {
		return nil, err
	}
	n := len(paths)
	modes, err := optional(h.Uint16s(tagFileModes))
	if err != nil {
		return nil, err
	}
	var sizes []uint64
	if h.has(tagLongFileSizes) {
		sizes, err = h.Uint64s(tagLongFileSizes)
	} else {
		var s32 []uint32
		if s32, err = optional(h.Uint32s(tagFileSizes)); s32 != nil {
			sizes = make([]uint64, len(s32))
			for i, s := range s32 {
				sizes[i] = uint64(s)
			}
		}
	}
	if err != nil {
		return nil, err
	}
	digests, err := optional(h.StringArray(tagFileDigests))
	if err != nil {
		return nil, err
	}
	linktos, err := optional(h.StringArray(tagFileLinkTos))
	if err != nil {
		return nil, err
	}
	flags, err := optional(h.Uint32s(tagFileFlags))
	if err != nil {
		return nil, err
	}
	states, err := optional(h.Bytes(tagFileStates))
	if err != nil {
		return nil, err
	}
	users, err := optional(h.StringArray(tagFileUserName))
	if err != nil {
		return nil, err
	}
	groups, err := optional(h.StringArray(tagFileGroupName))
	if err != nil {
		return nil, err
	}
	// A nil array is a missing tag; a present one must cover every file.
	for _, a := range []struct {
		tag     uint32
		present bool
		len     int
	}{
		{tagFileModes, modes != nil, len(modes)}, {tagFileSizes, sizes != nil, len(sizes)},
		{tagFileDigests, digests != nil, len(digests)}, {tagFileLinkTos, linktos != nil, len(linktos)},
		{tagFileFlags, flags != nil, len(flags)}, {tagFileUserName, users != nil, len(users)},
		{tagFileGroupName, groups != nil, len(groups)}, {tagFileStates, states != nil, len(states)},
	} {
		if a.present && a.len != n {
			return nil, fmt.Errorf("tag %d has %d values for %d files", a.tag, a.len, n)
		}
	}
	algo := "md5"
	if a, err := h.Uint32(tagFileDigestAlgo); err == nil {
		if algo = digestAlgos[a]; algo == "" {
			algo = "algo" + strconv.FormatUint(uint64(a), 10)
		}
	} else if !errors.Is(err, errNotFound) {
		return nil, err
	}
	files := make([]File, n)
	for i, p := range paths {
		f := File{Path: p}
		if modes != nil {
			f.Mode = uint32(modes[i])
		}
		if sizes != nil {
			f.Size = int64(sizes[i])
		}
		if digests != nil && digests[i] != "" {
			f.Digest, f.Algo = strings.ToLower(digests[i]), algo
		}
		if linktos != nil {
			f.LinkTo = linktos[i]
		}
		if flags != nil {
			f.Flags = flags[i]
		}
		if states != nil {
			f.State = FileState(states[i])
		}
		if users != nil {
			f.User = users[i]
		}
		if groups != nil {
			f.Group = groups[i]
		}
		files[i] = f
	}
	sortFiles(files)
	return files, nil
}

// optional turns a missing tag into a nil value.
func optional[T any](v []T, err error) ([]T, error) {
	if errors.Is(err, errNotFound) {
		return nil, nil
	}
	return v, err
}

// rpmPaths returns the file paths from DIRNAMES, BASENAMES and DIRINDEXES,
// or from OLDFILENAMES in headers older than rpm 4.
func rpmPaths(h *header) ([]string, error) {
	if !h.has(tagBaseNames) {
		old, err := optional(h.StringArray(tagOldFilenames))
		for i, p := range old {
			old[i] = cleanAbs(p)
		}
		return old, err
	}
	bases, err := h.StringArray(tagBaseNames)
	if err != nil {
		return nil, err
	}
	dirs, err := h.StringArray(tagDirNames)
	if err != nil {
		return nil, fmt.Errorf("DIRNAMES: %w", err)
	}
	idx, err := h.Uint32s(tagDirIndexes)
	if err != nil {
		return nil, fmt.Errorf("DIRINDEXES: %w", err)
	}
	if len(idx) != len(bases) {
		return nil, fmt.Errorf("%d DIRINDEXES for %d BASENAMES", len(idx), len(bases))
	}
	paths := make([]string, len(bases))
	for i, b := range bases {
		if uint64(idx[i]) >= uint64(len(dirs)) {
			return nil, fmt.Errorf("file %d: directory index %d, only %d DIRNAMES", i, idx[i], len(dirs))
		}
		paths[i] = cleanAbs(dirs[idx[i]] + b)
	}
	return paths, nil
}

// cleanAbs returns p cleaned and made absolute.
func cleanAbs(p string) string {
	return path.Clean("/" + p)
}
