package butane

import (
	"bytes"
	"context"
	"io"
	"strings"
	"time"

	"github.com/oslayer/oslayer/layer"
)

// TarEntries turns the result into the entries of one layer on top of
// target: each parent directory is repeated with the target's metadata
// (0755, root when it is new), removals become whiteouts, and every
// entry's modification time is mtime. Paths are sorted.
func (res *Result) TarEntries(t *Target, mtime time.Time) []layer.TarEntry {
	ts := mtime.UnixNano()
	seen := map[string]bool{}
	var out []layer.TarEntry
	parent := func(dir string) {
		var prefix string
		for _, part := range strings.Split(dir, "/") {
			prefix = strings.TrimPrefix(prefix+"/"+part, "/")
			if seen[prefix] {
				continue
			}
			seen[prefix] = true
			md := layer.Metadata{Type: layer.TypeDir, Mode: 0o755, ModTime: ts}
			if n := t.Tree.Lookup(prefix); n != nil && n.Type == layer.TypeDir {
				md = n.Metadata
				md.ModTime = ts
			}
			out = append(out, layer.TarEntry{Path: prefix, Metadata: md})
		}
	}
	for _, e := range res.Entries {
		rel := strings.TrimPrefix(e.Path, "/")
		if dir := parentOf(rel); dir != "" {
			parent(dir)
		}
		seen[rel] = true // entries are sorted, so no parent was written for rel before
		te := layer.TarEntry{Path: rel, Metadata: layer.Metadata{Type: e.Type, Mode: e.Mode, UID: e.UID, GID: e.GID, ModTime: ts, Linkname: e.Link}}
		switch {
		case e.Remove:
			te = layer.TarEntry{Path: rel, Whiteout: true, Metadata: layer.Metadata{ModTime: ts}}
		case e.Hardlink != "":
			te.Hardlink = strings.TrimPrefix(e.Hardlink, "/")
		case e.Type == layer.TypeRegular:
			data := e.Data
			te.Size = int64(len(data))
			te.Content = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
		}
		out = append(out, te)
	}
	return out
}

// WriteLayer writes the result as a layer tarball, compressed with c.
func (res *Result) WriteLayer(w io.Writer, t *Target, c layer.Compression, mtime time.Time) error {
	zw, err := layer.Compress(w, c, 0)
	if err != nil {
		return err
	}
	// The content is in memory: nothing here waits long enough to cancel.
	if err := layer.WriteTar(context.Background(), zw, res.TarEntries(t, mtime)); err != nil {
		zw.Close()
		return err
	}
	return zw.Close()
}
