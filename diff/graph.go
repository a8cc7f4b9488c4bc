package diff

import (
	"fmt"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/oslayer/oslayer/layer"
)

// UpdateGraph is the update graph of a set of releases: which release a
// machine may update to from which, and what each update downloads. It is
// what Cincinnati serves and Zincati follows (see WriteGraphJSON).
type UpdateGraph struct {
	// Source is what the releases were read from: the repository, or the
	// references given.
	Source string
	// Scheme orders the versions.
	Scheme VersionScheme
	// Releases, oldest first: a release's index is its node's index.
	Releases []GraphRelease
	// Edges in order of From, then To.
	Edges []GraphEdge
	// Skipped are the candidates that are not releases, and why.
	Skipped []Skipped
}

// GraphRelease is one release: one image, under one or more tags.
type GraphRelease struct {
	Version Version
	// Release holds the labels: the version as labelled and the flags.
	Release layer.Release
	// Payload is what clients pull: REPOSITORY@DIGEST.
	Payload string
	Digest  v1.Hash
	// Tags are the tags (or references) naming this image, sorted.
	Tags []string
	// TotalBytes is what a machine without any of it downloads: each
	// distinct layer blob once.
	TotalBytes int64

	image *layer.Image
}

// GraphEdge is an update from Releases[From] to Releases[To].
type GraphEdge struct {
	From, To int
	// Download is the bytes of the layer blobs the update fetches, and
	// NewLayers how many blobs, as diff --layers counts them.
	Download  int64
	NewLayers int
}

// Skipped is a candidate that is not a release.
type Skipped struct {
	// Name is the tag, or the reference as given.
	Name string
	// Digest is the image's manifest digest, if it could be read.
	Digest string
	Reason string
}

// Candidate is an image that may be a release: a tag of the repository,
// or a reference given.
type Candidate struct {
	// Name is the tag, or the reference as given.
	Name string
	// Image is the opened image; nil when it is not one for the platform
	// (Problem says why).
	Image   *layer.Image
	Problem string
}

// BuildGraph makes the update graph of the candidates. Payloads name
// payloadRepo (HOST/REPO) when it is set, else each image's own registry
// repository. Candidates without a version label, or whose version oslayer
// cannot order, are skipped; an image whose release labels are malformed,
// or that is flagged a barrier or dead-end without a usable version, and
// two images of the same version, are errors: leaving them out could make
// an update jump over a barrier or pick the wrong image.
//
// The edges go from every release to every newer one, except that none
// leaves a dead-end and none goes past a barrier: the barrier is as far as
// an update from before it goes.
func BuildGraph(source string, cands []Candidate, payloadRepo string) (*UpdateGraph, error) {
	g := &UpdateGraph{Source: source, Releases: []GraphRelease{}, Edges: []GraphEdge{}, Skipped: []Skipped{}}
	byPayload := map[string]int{}
	for _, c := range cands {
		if c.Image == nil {
			g.Skipped = append(g.Skipped, Skipped{Name: c.Name, Reason: c.Problem})
			continue
		}
		repo := payloadRepo
		if repo == "" {
			var err error
			if repo, err = c.Image.Ref.Repository(); err != nil {
				return nil, fmt.Errorf("%s: no registry repository to name in its payload: give the repository clients pull from", c.Name)
			}
		}
		payload := repo + "@" + c.Image.Digest.String()
		if i, ok := byPayload[payload]; ok {
			g.Releases[i].Tags = append(g.Releases[i].Tags, c.Name)
			continue
		}
		byPayload[payload] = len(g.Releases)
		g.Releases = append(g.Releases, GraphRelease{Payload: payload, Digest: c.Image.Digest, Tags: []string{c.Name}, image: c.Image})
	}
	kept := g.Releases[:0]
	for _, r := range g.Releases {
		slices.Sort(r.Tags)
		names := strings.Join(r.Tags, ", ")
		rel, err := layer.ReleaseOf(r.image.Labels())
		if err != nil {
			return nil, fmt.Errorf("%s: %w", names, err)
		}
		r.Release = rel
		reason := ""
		if rel.Version == "" {
			reason = "no " + layer.VersionLabel + " label"
		} else if r.Version, err = ParseVersion(rel.Version); err != nil {
			reason = err.Error()
		}
		if reason != "" {
			if rel.Barrier || rel.DeadEnd != "" {
				return nil, fmt.Errorf("%s: flagged %s but %s: label its version", names, strings.Join(rel.Flags(), ", "), reason)
			}
			for _, t := range r.Tags {
				g.Skipped = append(g.Skipped, Skipped{Name: t, Digest: r.Digest.String(), Reason: reason})
			}
			continue
		}
		r.TotalBytes = CompareLayers(&layer.Image{}, r.image).Download
		kept = append(kept, r)
	}
	g.Releases = kept
	slices.SortFunc(g.Skipped, func(a, b Skipped) int { return strings.Compare(a.Name, b.Name) })
	versions := make([]Version, len(g.Releases))
	for i, r := range g.Releases {
		versions[i] = r.Version
	}
	g.Scheme = SchemeOf(versions)
	slices.SortStableFunc(g.Releases, func(a, b GraphRelease) int { return g.Scheme.Compare(a.Version, b.Version) })
	for i := 1; i < len(g.Releases); i++ {
		a, b := g.Releases[i-1], g.Releases[i]
		if g.Scheme.Compare(a.Version, b.Version) == 0 {
			same := "version " + a.Release.Version
			if a.Release.Version != b.Release.Version {
				same = fmt.Sprintf("versions %s and %s, the same by %s rules", a.Release.Version, b.Release.Version, g.Scheme)
			}
			return nil, fmt.Errorf("two images are %s: %s (%s) and %s (%s); an image built FROM another inherits its %s label unless the build sets its own",
				same, strings.Join(a.Tags, ", "), a.Digest, strings.Join(b.Tags, ", "), b.Digest, layer.VersionLabel)
		}
	}
	for i, from := range g.Releases {
		if from.Release.DeadEnd != "" {
			continue
		}
		for j := i + 1; j < len(g.Releases); j++ {
			to := g.Releases[j]
			rep := CompareLayers(from.image, to.image)
			g.Edges = append(g.Edges, GraphEdge{From: i, To: j, Download: rep.Download, NewLayers: rep.NewLayers})
			if to.Release.Barrier {
				break
			}
		}
	}
	return g, nil
}
