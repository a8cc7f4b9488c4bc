package layer

import (
	"maps"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// SetLabels returns img with labels set (a non-nil value) or removed (nil)
// in its config; the manifest's annotations and the layers stay as they
// are. No labels give img itself.
func SetLabels(img v1.Image, set map[string]*string) (v1.Image, error) {
	if len(set) == 0 {
		return img, nil
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	labels := maps.Clone(cf.Config.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	for k, v := range set {
		if v == nil {
			delete(labels, k)
		} else {
			labels[k] = *v
		}
	}
	cf.Config.Labels = labels
	return mutate.ConfigFile(img, cf)
}
