package butane

import (
	"fmt"
	"io"
	"strings"

	"github.com/oslayer/oslayer/layer"
)

// Target is what a config is rendered onto: the existing files (for
// overwrite and append, for existing users and units), read through the
// tree of the source they come from.
type Target struct {
	Tree *layer.Tree
	// none says there is no image or root: what exists is unknown.
	none bool
}

// NewTarget renders onto an opened image or root directory; nil means
// nothing exists, and owners must be numeric or declared by the config
// itself. An image's source should read every file
// (layer.ContentReread): appending to a file needs its bytes.
func NewTarget(src *layer.Source) *Target {
	if src == nil {
		return &Target{Tree: layer.NewTree(), none: true}
	}
	return &Target{Tree: src.Tree}
}

// read returns the content of a regular file node, at most
// layer.MaxContent bytes of it.
func (t *Target) read(n *layer.Node) ([]byte, error) {
	if n.Size > layer.MaxContent {
		return nil, fmt.Errorf("/%s is %d bytes, more than the %d oslayer reads into memory", n.Path(), n.Size, layer.MaxContent)
	}
	rc, err := t.Tree.Open(n)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// lookup returns the node at an absolute path, not following a final
// symlink.
func (t *Target) lookup(abs string) *layer.Node {
	return t.Tree.Lookup(strings.TrimPrefix(abs, "/"))
}

// readFile returns the content of the file at an absolute path, following
// symlinks inside the target; ok is false when there is no such file.
func (t *Target) readFile(abs string) (data []byte, ok bool, err error) {
	n, err := t.Tree.Resolve(strings.TrimPrefix(abs, "/"))
	if err != nil || n.Type != layer.TypeRegular {
		return nil, false, nil
	}
	data, err = t.read(n)
	return data, err == nil, err
}

// canonical maps an absolute path to where it lands in the target: its
// existing directories are resolved through symlinks (never leaving the
// root); what does not exist yet is kept as written.
func (t *Target) canonical(abs string) string {
	parts := strings.Split(strings.Trim(abs, "/"), "/")
	var out []string // canonical components so far
	for i, part := range parts {
		next := strings.Join(append(out[:len(out):len(out)], part), "/")
		n := t.Tree.Lookup(next)
		if n == nil {
			return "/" + strings.Join(append(append(out[:len(out):len(out)], part), parts[i+1:]...), "/")
		}
		if n.Type == layer.TypeSymlink && i < len(parts)-1 {
			if r, err := t.Tree.Resolve(next); err == nil && r.Type == layer.TypeDir {
				out = nil
				if p := r.Path(); p != "" {
					out = strings.Split(p, "/")
				}
				continue
			}
		}
		out = append(out, part)
	}
	return "/" + strings.Join(out, "/")
}
