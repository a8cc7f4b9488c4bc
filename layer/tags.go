package layer

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// RepositoryOf returns the registry repository s names when s is one with
// neither tag nor digest (docker://HOST/REPO or HOST/REPO).
func RepositoryOf(s string) (string, bool) {
	ref, err := ParseReference(s)
	if err != nil || ref.Transport != TransportDocker {
		return "", false
	}
	if _, err := name.NewRepository(ref.Name); err != nil {
		return "", false
	}
	return ref.Name, true
}

// ListTags lists the tags of a registry repository (HOST/REPO), sorted,
// through the same registry options as every read: registries.conf
// (its location rewrite, blocked and insecure registries), certificates,
// credentials, timeouts and retries. Mirrors are not asked: they serve
// pulls, and a mirror's tag list need not be the repository's.
func ListTags(ctx context.Context, repo string, opts Options) ([]string, error) {
	r, err := name.NewRepository(repo)
	if err != nil {
		return nil, fmt.Errorf("repository %q: %w", repo, err)
	}
	sources, err := opts.Registries.pullSources(r.Tag("latest"))
	if err != nil {
		return nil, err
	}
	loc := sources[len(sources)-1] // pullSources ends with the location
	rr, remoteOpts, err := remoteAt(ctx, loc.ref, opts.Insecure || loc.insecure, opts)
	if err != nil {
		return nil, fmt.Errorf("listing the tags of %s: %w", repo, err)
	}
	tags, err := remote.List(rr.Context(), remoteOpts...)
	if err != nil {
		return nil, fmt.Errorf("listing the tags of %s: %w", repo, explainAuth(err, opts.Keychain, rr.Context()))
	}
	slices.Sort(tags)
	return tags, nil
}

// Repository is the registry repository of a docker:// reference as
// containers tools spell it in a pull spec: HOST/PATH, Docker Hub as
// docker.io and its official images under library/ (docker.io/library/fedora).
func (r Reference) Repository() (string, error) {
	if r.Transport != TransportDocker {
		return "", fmt.Errorf("%s is not in a registry", r)
	}
	ref, err := name.ParseReference(r.Name)
	if err != nil {
		return "", fmt.Errorf("%s: %w", r, err)
	}
	return repoOf(ref), nil
}
