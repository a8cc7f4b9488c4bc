package layer

import (
	"fmt"
	"os"
	"strings"
)

// Transport names, as podman and skopeo spell them.
const (
	TransportDocker        = "docker"
	TransportOCI           = "oci"
	TransportOCIArchive    = "oci-archive"
	TransportDockerArchive = "docker-archive"
	// TransportContainersStorage: see storage.go.
)

// Reference is a parsed image reference.
type Reference struct {
	Transport string
	// Name is the registry reference for docker (registry/repo:tag or
	// @digest), what follows the transport for containers-storage
	// ([STORE]NAME), and the file or directory path for the others.
	Name string
	// Tag selects one image in a layout or archive: the
	// org.opencontainers.image.ref.name annotation for oci and oci-archive,
	// a RepoTags entry for docker-archive. Empty means the only image.
	Tag string
}

// unsupported transports users may type, with what to do instead.
var unsupportedTransports = map[string]string{
	"docker-daemon": "export the image first: docker save -o img.tar IMAGE, then use docker-archive:img.tar",
	"dir":           "copy it to an OCI layout first: skopeo copy dir:PATH oci:LAYOUT:TAG",
	"ostree":        "encapsulate it first: ostree container encapsulate REF oci:LAYOUT:TAG",
	"sif":           "convert it first with skopeo copy to oci:LAYOUT:TAG",
}

// ParseReference parses an image reference as podman and skopeo users type
// it: docker://NAME, oci:DIR[:REF], oci-archive:FILE[:REF],
// docker-archive:FILE[:REF], containers-storage:[STORE]NAME; a reference
// without a transport is docker://.
// As in containers/image, the path of oci: and the archives ends at the
// first colon.
func ParseReference(s string) (Reference, error) {
	if s == "" {
		return Reference{}, fmt.Errorf("empty image reference")
	}
	if rest, ok := strings.CutPrefix(s, "docker://"); ok {
		if rest == "" {
			return Reference{}, fmt.Errorf("image reference %q: no image name after docker://", s)
		}
		return Reference{Transport: TransportDocker, Name: rest}, nil
	}
	transport, rest, found := strings.Cut(s, ":")
	if !found {
		return bare(s)
	}
	switch transport {
	case TransportOCI, TransportOCIArchive, TransportDockerArchive:
		path, tag, _ := strings.Cut(rest, ":")
		if path == "" {
			return Reference{}, fmt.Errorf("image reference %q: no path after the %s transport", s, transport)
		}
		return Reference{Transport: transport, Name: path, Tag: tag}, nil
	case TransportContainersStorage:
		if rest == "" {
			return Reference{}, fmt.Errorf("image reference %q: no image after the %s transport", s, transport)
		}
		return Reference{Transport: transport, Name: rest}, nil
	case TransportDocker:
		return Reference{}, fmt.Errorf("image reference %q: the docker transport is written docker://NAME", s)
	}
	if hint, ok := unsupportedTransports[transport]; ok {
		return Reference{}, fmt.Errorf("image reference %q: the %s transport is not supported; %s", s, transport, hint)
	}
	// "registry:5000/repo:tag" or "repo:tag": a bare registry reference.
	return bare(s)
}

// bare is a reference without a transport: a registry image, unless it
// names a file or directory.
func bare(s string) (Reference, error) {
	if err := pathLike(s); err != nil {
		return Reference{}, err
	}
	return Reference{Transport: TransportDocker, Name: s}, nil
}

// String returns the reference with its transport, the way users type it.
func (r Reference) String() string {
	if r.Transport == TransportDocker {
		return "docker://" + r.Name
	}
	s := r.Transport + ":" + r.Name
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	return s
}

// pathLike refuses a reference without a transport that names a file or
// directory: /x, ./x, ../x, ~/x, x.tar (and other archive names), or a
// path that exists. Read as a registry name it would go to Docker Hub.
func pathLike(s string) error {
	looks := strings.HasPrefix(s, "/") || strings.HasPrefix(s, "./") || strings.HasPrefix(s, "../") ||
		strings.HasPrefix(s, "~") || s == "." || s == ".."
	for _, ext := range []string{".tar", ".tar.gz", ".tgz", ".tar.zst", ".ociarchive", ".oci"} {
		if strings.HasSuffix(s, ext) {
			looks = true
		}
	}
	st, err := os.Stat(s)
	if err != nil && !looks {
		return nil
	}
	if err == nil && st.IsDir() {
		return fmt.Errorf("image reference %q is a directory, not a registry image: for an OCI layout write oci:%s[:TAG]", s, s)
	}
	return fmt.Errorf("image reference %q looks like a file, not a registry image: write oci-archive:%s for an OCI archive, docker-archive:%s for a docker or podman save archive, or oci:%s for an OCI layout directory", s, s, s, s)
}
