package layer

// Kernels returns the versions of the kernels a tree holds: the
// directories of /usr/lib/modules that hold a vmlinuz, in name order.
// bootc deploys an image with exactly one.
func Kernels(t *Tree) []string {
	modules := t.Lookup("usr/lib/modules")
	if modules == nil {
		return nil
	}
	var out []string
	for _, d := range modules.Children() {
		if d.Child("vmlinuz") != nil {
			out = append(out, d.Name)
		}
	}
	return out
}
