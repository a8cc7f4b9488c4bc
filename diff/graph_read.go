package diff

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"golang.org/x/sync/errgroup"

	"github.com/oslayer/oslayer/layer"
)

// GraphRequest says which images make an update graph.
type GraphRequest struct {
	// Repository is a registry repository (HOST/REPO): its tags are the
	// candidates. Set it or Refs.
	Repository string
	// Refs are image references, each a candidate.
	Refs []string
	// PayloadRepository is the registry repository (HOST/REPO) clients
	// pull the releases from, named in the payloads; empty means each
	// image's own.
	PayloadRepository string
	// Image tells how to open images (registries, platform).
	Image layer.Options
}

// openers is how many images are opened at once.
const openers = 4

// Graph reads the candidates' manifests and configs (never their layers)
// and builds their update graph (see BuildGraph). A tag that is not an
// image for the platform is skipped; a registry that fails, or a
// reference given that does not open, is an error.
func Graph(ctx context.Context, req GraphRequest) (*UpdateGraph, error) {
	if (req.Repository == "") == (len(req.Refs) == 0) {
		return nil, errors.New("give a repository or image references")
	}
	source, refs, names := strings.Join(req.Refs, " "), req.Refs, req.Refs
	if req.Repository != "" {
		tags, err := layer.ListTags(ctx, req.Repository, req.Image)
		if err != nil {
			return nil, err
		}
		source, refs, names = "docker://"+req.Repository, make([]string, len(tags)), tags
		for i, t := range tags {
			refs[i] = source + ":" + t
		}
	}
	cands, err := openCandidates(ctx, refs, names, req.Image, req.Repository != "")
	defer closeCandidates(cands)
	if err != nil {
		return nil, err
	}
	return BuildGraph(source, cands, req.PayloadRepository)
}

// openCandidates opens refs, named names. With skip, an image that does
// not open for a reason other than the registry's failing is a candidate
// with a problem rather than an error.
func openCandidates(ctx context.Context, refs, names []string, opts layer.Options, skip bool) ([]Candidate, error) {
	cands := make([]Candidate, len(refs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(openers)
	for i, ref := range refs {
		g.Go(func() error {
			cands[i].Name = names[i]
			img, err := layer.Open(gctx, ref, opts)
			switch {
			case err == nil:
				cands[i].Image = img
			case skip && !registryFailed(gctx, err):
				cands[i].Problem = err.Error()
			default:
				return err
			}
			return nil
		})
	}
	return cands, g.Wait()
}

// registryFailed tells a registry or network failure (an error of the
// run) from an image that is not what a release is (a problem of the tag).
func registryFailed(ctx context.Context, err error) bool {
	var ue *url.Error
	var te *transport.Error
	return ctx.Err() != nil || errors.As(err, &ue) || errors.As(err, &te) ||
		errors.Is(err, layer.ErrStalled) || errors.Is(err, layer.ErrPlainHTTP)
}

func closeCandidates(cands []Candidate) {
	for _, c := range cands {
		if c.Image != nil {
			c.Image.Close()
		}
	}
}
