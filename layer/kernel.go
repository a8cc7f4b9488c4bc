package layer

// Kernels returns the versions of the kernels a tree holds, as bootc finds
// them: the directories (not symlinks) of /usr/lib/modules where vmlinuz
// exists once symlinks are followed (a dangling vmlinuz is no kernel), in
// name order. bootc deploys an image with exactly one.
func Kernels(t *Tree) []string {
	modules, err := t.Resolve("usr/lib/modules")
	if err != nil || modules.Type != TypeDir {
		return nil
	}
	var out []string
	for _, d := range modules.Children() {
		if d.Type != TypeDir {
			continue
		}
		if _, err := t.Resolve(join(d.Path(), "vmlinuz")); err == nil {
			out = append(out, d.Name)
		}
	}
	return out
}
