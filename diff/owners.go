package diff

import "github.com/oslayer/oslayer/layer"

// Attribute fills in Change.Package: base owners for changes to base
// content, derived owners for added paths.
func Attribute(changes []Change, base, derived layer.Owners) {
	for i := range changes {
		c := &changes[i]
		isDir := c.Type == layer.TypeDir
		if c.Kind == Added {
			c.Package = derived.Of(c.Path, isDir)
		} else {
			c.Package = base.Of(c.Path, isDir)
		}
	}
}
