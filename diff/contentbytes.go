package diff

import "github.com/oslayer/oslayer/layer"

// side is the image a node of a change is in.
type side uint8

const (
	sideBase side = iota
	sideDerived
)

// contentBytes counts the content bytes of changed nodes, those of a
// hardlinked file once on each side, at the first of its names counted.
type contentBytes struct {
	seen map[inodeOn]bool
}

type inodeOn struct {
	side  side
	inode uint32
}

// size returns n's size the first time n's file is counted on its side,
// and 0 after that or for no node.
func (cb *contentBytes) size(s side, n *layer.Node) int64 {
	if n == nil {
		return 0
	}
	if n.Inode != 0 {
		key := inodeOn{s, n.Inode}
		if cb.seen[key] {
			return 0
		}
		if cb.seen == nil {
			cb.seen = map[inodeOn]bool{}
		}
		cb.seen[key] = true
	}
	return n.Size
}
