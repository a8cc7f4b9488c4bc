package lint

import (
	"context"

	"github.com/oslayer/oslayer/layer"
)

var bootableLabels = &Rule{
	ID: "bootable-labels", Level: Fatal, Source: "oslayer",
	Description: "containers.bootc=1 present; no ostree.commit / ostree.final-diffid without an ostree commit",
	Help: "bootc looks for LABEL containers.bootc=1 (older clients for ostree.bootable=true) and warns without it. " +
		"The labels ostree.commit and ostree.final-diffid make bootc import the image as an ostree-encapsulated one; on an image whose layers hold no ostree commit (rebuilt, squashed or rechunked) the import fails with \"Missing ostree.final-diffid\" or worse. Remove them (an empty value still counts): podman build --unsetlabel ostree.commit --unsetlabel ostree.final-diffid (podman 4.6 and later), or buildah config --label ostree.commit- --label ostree.final-diffid- CONTAINER before committing.",
	Applies: func(t *Target) (bool, string) {
		if t.Image == nil {
			return false, "labels are not visible in a rootfs"
		}
		return true, ""
	},
	Check: func(_ context.Context, t *Target) ([]Finding, error) {
		labels := t.Labels()
		var out []Finding
		if labels["containers.bootc"] != "1" {
			f := finding("", "", "missing LABEL containers.bootc=1: bootc warns about the image")
			f.Level = Warning
			out = append(out, f)
		}
		for _, l := range []string{"ostree.commit", layer.FinalDiffIDLabel} {
			if v, ok := labels[l]; ok && !t.Tree.Encapsulated {
				out = append(out, finding("", "", "LABEL "+l+"="+v+" on an image without an ostree commit in its layers: bootc will fail to import it"))
			}
		}
		return out, nil
	},
}
