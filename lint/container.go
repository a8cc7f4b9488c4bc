package lint

import "os"

// containerMarkers are files container runtimes create in a container's
// root: podman and buildah /run/.containerenv, docker /.dockerenv.
var containerMarkers = []string{"/run/.containerenv", "/.dockerenv"}

// InContainer reports whether this process runs in a container (or a
// container build's RUN step): a runtime marker file, or the $container
// variable systemd-nspawn and others set.
func InContainer() bool {
	if os.Getenv("container") != "" {
		return true
	}
	for _, m := range containerMarkers {
		if _, err := os.Lstat(m); err == nil {
			return true
		}
	}
	return false
}
