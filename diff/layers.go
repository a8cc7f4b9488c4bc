package diff

import "github.com/oslayer/oslayer/layer"

// LayerStatus says whether a client holding the old image must download
// one layer of the new image.
type LayerStatus struct {
	Index  int    `json:"index"` // 1-based
	Digest string `json:"digest"`
	DiffID string `json:"diff_id"`
	Size   int64  `json:"size"`
	// Status is "reused" (the old image has this blob), "recompressed"
	// (the old image has the same content under another blob digest,
	// which registries and most clients still download) or "new".
	Status    string `json:"status"`
	CreatedBy string `json:"created_by,omitempty"`
}

// LayerReport is what an update from one image to another downloads.
type LayerReport struct {
	Old    string        `json:"old"`
	New    string        `json:"new"`
	Layers []LayerStatus `json:"layers"`
	// Download counts each distinct blob once, as clients fetch them.
	Download int64 `json:"download_bytes"`
	Reused   int64 `json:"reused_bytes"`
	Total    int64 `json:"total_bytes"`
	// NewLayers counts the distinct blobs to download.
	NewLayers    int `json:"new_layers"`
	ReusedLayers int `json:"reused_layers"`
}

// Layer statuses.
const (
	LayerReused       = "reused"
	LayerRecompressed = "recompressed"
	LayerNew          = "new"
)

// CompareLayers reports which layers of newImg a client that has oldImg
// must download. Clients fetch blobs by digest, so a layer is reused when
// the old image has a blob with the same digest.
func CompareLayers(oldImg, newImg *layer.Image) *LayerReport {
	blobs, diffIDs := map[string]bool{}, map[string]bool{}
	for _, l := range oldImg.Layers {
		blobs[l.Digest.String()] = true
		diffIDs[l.DiffID.String()] = true
	}
	r := &LayerReport{Old: oldImg.Ref.String(), New: newImg.Ref.String(), Layers: []LayerStatus{}}
	history := layerHistory(newImg)
	fetched := map[string]bool{} // a blob used twice is downloaded once
	for i, l := range newImg.Layers {
		st := LayerStatus{Index: i + 1, Digest: l.Digest.String(), DiffID: l.DiffID.String(), Size: l.Size,
			Status: LayerNew, CreatedBy: history[i]}
		switch {
		case blobs[st.Digest]:
			st.Status = LayerReused
			r.Reused += l.Size
			r.ReusedLayers++
		case diffIDs[st.DiffID]:
			st.Status = LayerRecompressed
		}
		if st.Status != LayerReused && !fetched[st.Digest] {
			fetched[st.Digest] = true
			r.Download += l.Size
			r.NewLayers++
		}
		r.Total += l.Size
		r.Layers = append(r.Layers, st)
	}
	return r
}

// layerHistory returns the created_by of each layer, skipping the history
// entries of empty layers.
func layerHistory(img *layer.Image) []string {
	out := make([]string, len(img.Layers))
	i := 0
	for _, h := range img.Config.History {
		if h.EmptyLayer {
			continue
		}
		if i >= len(out) {
			break
		}
		out[i] = h.CreatedBy
		i++
	}
	return out
}
