// Package chunk rewrites an image into reproducible, content-grouped
// layers: each layer holds a stable group of components (packages by source,
// the kernel, big files, the package database, the rest), so that an
// update downloads only the layers whose components changed, and the result
// is an image bootc deploys as it is.
//
// A run reads every source layer once into a spool file (indexing and
// verifying it on the way), merges the indexes, groups paths into
// components, estimates their compressed sizes from samples, packs
// components into layers by expected update download (keeping a prior
// build's placement), and writes the layers from the spool, on all cores, with
// normalised headers and timestamps.
package chunk
