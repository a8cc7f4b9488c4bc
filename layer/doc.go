// Package layer is oslayer's model of a container image's filesystem.
//
// It opens images by the references podman and skopeo users type (docker://,
// oci:, oci-archive:, docker-archive:), streams their layers without
// unpacking them, indexes every tar entry (header, content digest, where its
// bytes live), applies whiteouts, and merges the layers into a Tree: the
// filesystem a container or a bootc deployment would see. A Tree can also be
// read from a directory (a rootfs). diff, lint and chunk all work on Trees.
//
// Layer indexes are a pure function of a layer's diff_id and are cached under
// the user's cache directory, so many images built on one base decompress
// that base once.
package layer
