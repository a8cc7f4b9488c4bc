// Package sysext turns what a derived image's layers add to its base into
// systemd extension images: a system extension (sysext) for /usr and
// /opt, a configuration extension (confext) for /etc, as systemd-sysext
// and systemd-confext merge them. It is an output format, as layer/chunk
// is: the content comes from oslayer's diff of the derived image with its
// base, so what an extension cannot express (changed or removed base
// files, content outside its hierarchies) is found before anything is
// written.
//
// Images are written as a directory tree, a squashfs image (written here,
// in Go, reproducibly) or an EROFS image (by mkfs.erofs from erofs-utils),
// each with the extension-release file systemd matches against the host's
// os-release; an image file can be pushed as a single-layer OCI artifact.
// Extension images (directories, squashfs and EROFS files) are read back
// for lint, which checks them against a host image as systemd would.
package sysext
