package layer

import (
	"encoding/hex"
	"fmt"
	"io/fs"
	"strings"

	"github.com/oslayer/oslayer/internal/enum"
)

// Type is the kind of a filesystem object.
type Type uint8

// The object types a layer can hold. A hardlink is not a type of its own: in
// an Index it is an Entry with Hardlink set, and in a Tree it is a node of its
// target's type that shares the target's Inode.
const (
	// TypeUnknown is the zero Type: what a record that says no type
	// (dpkg's file lists) describes.
	TypeUnknown Type = iota
	TypeRegular
	TypeDir
	TypeSymlink
	TypeChar
	TypeBlock
	TypeFIFO
)

var typeNames = enum.Names[Type]{
	TypeUnknown: "unknown",
	TypeRegular: "file",
	TypeDir:     "directory",
	TypeSymlink: "symlink",
	TypeChar:    "char-device",
	TypeBlock:   "block-device",
	TypeFIFO:    "fifo",
}

func (t Type) String() string { return typeNames.Name(t, "type") }

// MarshalText spells the type as String does, for JSON output.
func (t Type) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (t *Type) UnmarshalText(b []byte) error { return typeNames.Parse(b, "file type", t) }

// FileMode returns the fs.FileMode type bits of t.
func (t Type) FileMode() fs.FileMode {
	switch t {
	case TypeDir:
		return fs.ModeDir
	case TypeSymlink:
		return fs.ModeSymlink
	case TypeChar:
		return fs.ModeDevice | fs.ModeCharDevice
	case TypeBlock:
		return fs.ModeDevice
	case TypeFIFO:
		return fs.ModeNamedPipe
	}
	return 0
}

// Digest is the sha256 of a regular file's content.
type Digest [32]byte

// IsZero reports whether d is unset.
func (d Digest) IsZero() bool { return d == Digest{} }

func (d Digest) String() string { return "sha256:" + hex.EncodeToString(d[:]) }

// MarshalText spells the digest as String does, for JSON output.
func (d Digest) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (d *Digest) UnmarshalText(b []byte) error {
	h, ok := strings.CutPrefix(string(b), "sha256:")
	if !ok || len(h) != hex.EncodedLen(len(d)) {
		return fmt.Errorf("digest %q: want sha256: and 64 hex digits", b)
	}
	if _, err := hex.Decode(d[:], []byte(h)); err != nil {
		return fmt.Errorf("digest %q: want sha256: and 64 hex digits", b)
	}
	return nil
}

// Hex returns the digest as 64 lowercase hex digits.
func (d Digest) Hex() string { return hex.EncodeToString(d[:]) }

// Whiteout says whether an Entry deletes content from lower layers.
type Whiteout uint8

const (
	// NoWhiteout is an ordinary entry.
	NoWhiteout Whiteout = iota
	// WhiteoutFile (".wh.NAME") deletes Path from the layers below.
	WhiteoutFile
	// WhiteoutOpaque (".wh..wh..opq") hides every child of the directory
	// Path that comes from the layers below.
	WhiteoutOpaque
)

// Metadata is what a tar header says about a filesystem object, normalised.
type Metadata struct {
	Type Type
	// Sparse marks a regular file stored with holes (a sparse tar entry, a
	// rootfs file the filesystem keeps sparse) of at least a MiB: its
	// Digest is then the hole digest, hashed from its data alone, not the
	// sha256 of its bytes, and Tree.Open returns a *SparseFile.
	Sparse   bool
	Mode     uint32 // permission bits plus setuid, setgid and sticky (07777)
	UID, GID uint32
	Size     int64 // content size of regular files; 0 otherwise
	ModTime  int64 // nanoseconds since the Unix epoch
	Linkname string
	// Devmajor and Devminor are a device's numbers; Linux's are 12 and 20
	// bits wide.
	Devmajor, Devminor uint32
	Xattrs             map[string]string
	Digest             Digest // sha256 of a regular file's content (see Sparse)
}

// Entry is one tar entry of a layer, after path sanitisation.
type Entry struct {
	// Path is slash-separated and relative to the root, without a leading
	// slash: "usr/bin/ls". The root directory itself is "".
	Path string
	Metadata
	// Hardlink is the clean path of the hardlink target when the entry is a
	// hardlink; the Metadata's type, size and digest are then the target's,
	// filled in when the entry is applied to a Tree.
	Hardlink string
	// Whiteout marks whiteout entries; their Path is what they delete (or
	// the directory made opaque), and Metadata is empty.
	Whiteout Whiteout
	// Offset is where the entry's content starts in the uncompressed layer
	// stream, or -1 when the content is not contiguous (sparse files).
	Offset int64
	// Header is where the entry's first header block starts in the stream:
	// a tar reader started there reads the entry again, sparse or not.
	Header int64
}
