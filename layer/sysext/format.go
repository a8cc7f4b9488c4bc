package sysext

import "github.com/oslayer/oslayer/internal/enum"

// Format is how an extension image is stored.
type Format uint8

const (
	// Directory is a directory tree, merged as it is.
	Directory Format = iota + 1
	// Squashfs is a squashfs file system image (NAME.raw), gzip
	// compressed, written by oslayer itself.
	Squashfs
	// EROFS is an EROFS file system image (NAME.raw), uncompressed,
	// written by mkfs.erofs from erofs-utils.
	EROFS
)

var formatNames = enum.Names[Format]{Directory: "directory", Squashfs: "squashfs", EROFS: "erofs"}

func (f Format) String() string { return formatNames.Name(f, "format") }

// MarshalText spells the format as String does, for JSON output.
func (f Format) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText reads what MarshalText wrote.
func (f *Format) UnmarshalText(b []byte) error { return formatNames.Parse(b, "image format", f) }
