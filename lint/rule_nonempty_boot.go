package lint

import (
	"context"

	"github.com/oslayer/oslayer/layer"
)

var nonemptyBoot = &Rule{
	ID: "nonempty-boot", Level: Warning, Source: "bootc",
	Description: "/boot must exist and be empty (boot/EFI excepted)",
	Help:        "The booted system mounts its own /boot over the image's: kernels belong in /usr/lib/modules/<kver>/vmlinuz with initramfs.img beside them. Move them there and empty /boot.",
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		n, err := t.Tree.Resolve("boot")
		switch {
		case err != nil:
			return []Finding{finding("/boot", "", "missing /boot directory")}, nil
		case n.Type != layer.TypeDir:
			return []Finding{finding("/boot", "", "/boot is a "+n.Type.String()+", not a directory")}, nil
		}
		var out []Finding
		for _, c := range n.Children() {
			if c.Name == "EFI" {
				continue
			}
			p := "/boot/" + c.Name
			out = append(out, finding(p, t.Owners.Of(p, false), "content in /boot is masked at runtime"))
		}
		return out, nil
	},
}
