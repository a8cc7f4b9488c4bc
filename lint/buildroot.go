package lint

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// longRunningInits are what PID 1 is in containers that are not an image
// build: toolbox and distrobox, containers started with an init (docker
// --init, podman --init, tini, dumb-init), system containers, and the
// placeholders CI jobs and devcontainers keep running while commands are
// executed in them.
var longRunningInits = []string{
	"toolbox", "distrobox-init", "entrypoint", "docker-init", "catatonit", "tini", "dumb-init",
	"s6-svscan", "runsvdir", "supervisord", "systemd", "init", "sleep", "tail",
}

// checkBuildRoot says why root, standing for the machine's "/", is not a
// bootable image under construction inside a container build, or nil.
// finalize empties /tmp, /run and more: run on a real machine, a CI job
// container or a toolbox, that deletes someone's files. Each of these must
// hold:
//
//   - a container runtime's marker: /run/.containerenv, /.dockerenv or
//     $container;
//   - no sign of a booted system: /run/ostree-booted, /run/systemd/system;
//   - PID 1 is not the init of a long-running container, unless the marker
//     says the runtime is an image builder (buildah, and podman build,
//     write engine="buildah-..." into /run/.containerenv; with chroot
//     isolation PID 1 is the build host's own init);
//   - the root is a bootable image: a kernel at
//     /usr/lib/modules/<kver>/vmlinuz, /usr/lib/bootc, /usr/lib/ostree,
//     or /sysroot with /ostree -> sysroot/ostree.
func checkBuildRoot(root string, getenv func(string) string) error {
	at := func(p string) string { return filepath.Join(root, p) }
	var failed []string

	containerenv, envErr := os.ReadFile(at("run/.containerenv"))
	_, dockerErr := os.Lstat(at(".dockerenv"))
	if envErr != nil && dockerErr != nil && getenv("container") == "" {
		failed = append(failed, "no container marker (/run/.containerenv, /.dockerenv or $container)")
	}
	for _, p := range []string{"run/ostree-booted", "run/systemd/system"} {
		if _, err := os.Lstat(at(p)); err == nil {
			failed = append(failed, "/"+p+" exists: this is a booted system, not an image build")
		}
	}
	builder := bytes.Contains(containerenv, []byte(`engine="buildah-`))
	if comm, err := os.ReadFile(at("proc/1/comm")); err == nil && !builder {
		if name := strings.TrimSpace(string(comm)); slices.Contains(longRunningInits, name) {
			failed = append(failed, fmt.Sprintf("PID 1 is %s, the init of a long-running container (a toolbox, a CI job, a devcontainer), not an image build step", name))
		}
	}
	if !bootable(at) {
		failed = append(failed, "the root is not a bootable image: no /usr/lib/modules/<version>/vmlinuz, /usr/lib/bootc, /usr/lib/ostree, or /sysroot with /ostree -> sysroot/ostree")
	}
	if len(failed) == 0 {
		return nil
	}
	return errors.New(strings.Join(failed, "; "))
}

func bootable(at func(string) string) bool {
	if k, _ := filepath.Glob(at("usr/lib/modules/*/vmlinuz")); len(k) > 0 {
		return true
	}
	for _, d := range []string{"usr/lib/bootc", "usr/lib/ostree"} {
		if st, err := os.Lstat(at(d)); err == nil && st.IsDir() {
			return true
		}
	}
	st, err := os.Lstat(at("sysroot"))
	link, lerr := os.Readlink(at("ostree"))
	return err == nil && st.IsDir() && lerr == nil && link == "sysroot/ostree"
}
