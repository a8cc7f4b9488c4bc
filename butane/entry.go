package butane

import (
	"slices"
	"strings"

	"github.com/oslayer/oslayer/layer"
)

// Entry is one path a config writes (or removes) in the image.
type Entry struct {
	// Path is absolute and canonical in the target: "/bin/x" on a merged
	// /usr system is "/usr/bin/x".
	Path     string
	Type     layer.Type
	Mode     uint32
	UID, GID uint32
	// User and Group are the owner's names as the config gave them; under
	// /var, where tmpfiles.d resolves names at boot, they may be names the
	// image does not know yet (UID and GID are then 0).
	User, Group string
	// Data is a regular file's content.
	Data []byte
	// Link is a symlink's target.
	Link string
	// Hardlink is the absolute path of a hard link's target.
	Hardlink string
	// Remove says the path must not exist (disabled unit links, unmasked
	// units).
	Remove bool
	// Why says which part of the config asked for the entry, for messages.
	Why string
}

// Result is what rendering a config gives.
type Result struct {
	// Entries are sorted by path, parents before children.
	Entries []Entry
	// Firstboot holds the parts left for first boot.
	Firstboot *Firstboot
	// Messages are notes about choices made while rendering.
	Messages []Message
}

func sortEntries(es []Entry) {
	slices.SortStableFunc(es, func(a, b Entry) int {
		return slices.Compare(strings.Split(a.Path, "/"), strings.Split(b.Path, "/"))
	})
}
