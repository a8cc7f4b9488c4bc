package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/diff"
	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer"
)

const containerfile = `FROM %BASE%
COPY motd /etc/motd
RUN echo 'htop 3.3' > /usr/bin/htop && chmod 0755 /usr/bin/htop && echo 'yes 9.5, patched' > /usr/bin/yes
RUN chmod 0755 /usr/bin/passwd && chown 0:10 /usr/bin/bash && rm /usr/share/doc/coreutils/LICENSE && rm /etc/localtime && echo TZif2 > /etc/localtime
RUN rm -rf /opt/vendor && mkdir /opt/vendor && echo a=1 > /opt/vendor/app.conf && echo n=2 > /opt/vendor/new.conf
`

// buildahChanges is what the Containerfile's steps change, exactly; buildah
// itself leaves the /etc/hosts and /etc/resolv.conf it bind-mounts for RUN
// steps in the image (what bootc's buildah-injected lint looks for).
var buildahChanges = []string{
	"/etc/hosts added",
	"/etc/localtime typechange",
	"/etc/motd added",
	"/etc/resolv.conf added",
	"/opt/vendor/data removed",
	"/opt/vendor/new.conf added",
	"/usr/bin/bash metadata",
	"/usr/bin/htop added",
	"/usr/bin/passwd metadata",
	"/usr/bin/yes modified",
	"/usr/share/doc/coreutils/LICENSE removed",
}

func TestDiffOfARealBuildahBuild(t *testing.T) {
	bh := fixtures.NewBuildah(t)
	fixtures.RequireTools(t, "skopeo")
	reg := fixtures.StartRegistry(t)
	work := t.TempDir()
	// buildah names an oci: base after its path, which must be lowercase.
	layout, err := os.MkdirTemp("", "oslayer-layout-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(layout) })
	base := fixtures.Image(t, fixtures.BaseLabels, nil, fixtures.Layers(t, fixtures.BusyboxBaseFiles(t))...)
	fixtures.WriteOCILayout(t, layout, fixtures.Named{Name: "base", Image: base})

	ctxDir := filepath.Join(work, "context")
	os.MkdirAll(ctxDir, 0o755)
	// Built FROM the registry, as users do: buildah then records the base
	// in the org.opencontainers.image.base.* annotations.
	fixtures.Run(t, "", "skopeo", "copy", "--dest-tls-verify=false", "oci:"+layout+":base", "docker://"+reg+"/os/base:1")
	os.WriteFile(filepath.Join(ctxDir, "Containerfile"), []byte(strings.ReplaceAll(containerfile, "%BASE%", reg+"/os/base:1")), 0o644)
	os.WriteFile(filepath.Join(ctxDir, "motd"), []byte("welcome\n"), 0o644)
	bh.Bud(ctxDir, "localhost/derived:1", "--tls-verify=false")
	bh.Push("localhost/derived:1", "oci:"+layout+":derived")
	bh.Push("localhost/derived:1", "docker://"+reg+"/os/derived:1")

	cache := t.TempDir()
	cases := []struct {
		name string
		args []string
	}{
		{"oci layouts", []string{"oci:" + layout + ":base", "oci:" + layout + ":derived"}},
		{"registry", []string{"--tls-verify=false", "docker://" + reg + "/os/base:1", "docker://" + reg + "/os/derived:1"}},
		{"registry, bare references, warm cache", []string{"--tls-verify=false", reg + "/os/base:1", reg + "/os/derived:1"}},
		{"registry, no cache", []string{"--tls-verify=false", "--no-cache", reg + "/os/base:1", reg + "/os/derived:1"}},
		{"mixed transports", []string{"--tls-verify=false", "oci:" + layout + ":base", reg + "/os/derived:1"}},
		{"base found from buildah's annotations", []string{"--tls-verify=false", reg + "/os/derived:1"}},
		{"oci layout, base from annotations", []string{"--tls-verify=false", "oci:" + layout + ":derived"}},
		{"rootfs of the derived image", []string{"oci:" + layout + ":base", "--rootfs", bh.Mount(bh.From("localhost/derived:1"))}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, code := oslayer(t, cache, append([]string{"diff", "--format", "json", "--exit-code"}, tc.args...)...)
			if code != 1 {
				t.Fatalf("exit code %d, want 1 (changes found); stderr:\n%s", code, stderr)
			}
			var res diff.Result
			if err := json.Unmarshal([]byte(out), &res); err != nil {
				t.Fatalf("parsing output: %v\n%s", err, out)
			}
			var got []string
			for _, c := range res.Changes {
				got = append(got, c.Path+" "+c.Kind.String())
			}
			if !slices.Equal(got, buildahChanges) {
				t.Errorf("changes (-want +got):\n-%s\n+%s", strings.Join(buildahChanges, "\n-"), strings.Join(got, "\n+"))
			}
			if strings.Contains(tc.name, "annotations") && res.BaseFrom != layer.BaseFromAnnotation {
				t.Errorf("base found from %v, want the annotation", res.BaseFrom)
			}
			if slices.Contains(tc.args, "--rootfs") {
				if res.Comparison != diff.ComparedFull {
					t.Errorf("comparison %q, want %q", res.Comparison, diff.ComparedFull)
				}
				return
			}
			if res.Comparison != diff.ComparedLayers || res.Summary.DerivedLayers != 4 {
				t.Errorf("comparison %q with %d derived layers, want %q and 4", res.Comparison, res.Summary.DerivedLayers, diff.ComparedLayers)
			}
		})
	}
}
