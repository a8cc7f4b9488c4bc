package butane

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/oslayer/oslayer/layer"
)

// Target is what a config is rendered onto: the existing files (for
// overwrite and append, for existing users and units) and how to read them.
type Target struct {
	Tree *layer.Tree
	// read returns the content of a regular file node.
	read func(n *layer.Node) ([]byte, error)
}

// NoTarget is for rendering without an image or root: nothing exists, and
// owners must be numeric or declared by the config itself.
func NoTarget() *Target {
	return &Target{Tree: layer.NewTree(), read: func(n *layer.Node) ([]byte, error) {
		return nil, fmt.Errorf("/%s: no content without a target", n.Path())
	}}
}

// RootfsTarget reads a root directory.
func RootfsTarget(ctx context.Context, dir string) (*Target, error) {
	tree, err := layer.TreeFromDir(ctx, dir, layer.DirOptions{})
	if err != nil {
		return nil, err
	}
	return &Target{Tree: tree, read: func(n *layer.Node) ([]byte, error) {
		rc, err := tree.Open(n)
		if err != nil {
			return nil, err
		}
		defer rc.Close()
		return io.ReadAll(io.LimitReader(rc, layer.MaxContent))
	}}, nil
}

// ImageTarget reads an image's merged tree.
func ImageTarget(ctx context.Context, loader *layer.Loader, img *layer.Image) (*Target, error) {
	tree, err := loader.Tree(ctx, img, len(img.Layers))
	if err != nil {
		return nil, err
	}
	return &Target{Tree: tree, read: func(n *layer.Node) ([]byte, error) { return loader.Content(ctx, img, n) }}, nil
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
