package layer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
)

// TestListTags: a repository's tags, sorted, through the registry options:
// plain HTTP refused unless insecure, registries.conf's location used and
// its blocked registries refused.
func TestListTags(t *testing.T) {
	host := startRegistry(t, nil)
	for _, tag := range []string{"2.0", "1.0", "latest"} {
		pushImage(t, host+"/team/os:"+tag, fixtures.BaseImage(t))
	}
	pushImage(t, host+"/team/other:9", fixtures.BaseImage(t))
	ctx := context.Background()
	tags, err := ListTags(ctx, host+"/team/os", Options{Insecure: true})
	if err != nil || !slices.Equal(tags, []string{"1.0", "2.0", "latest"}) {
		t.Fatalf("tags %v, %v", tags, err)
	}
	if _, err := ListTags(ctx, host+"/team/os", Options{}); !errors.Is(err, ErrPlainHTTP) || !strings.Contains(err.Error(), "listing the tags of "+host+"/team/os") {
		t.Errorf("with TLS verified: %v, want a refusal of plain HTTP naming the repository", err)
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "registries.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf(`[[registry]]
prefix = "registry.example"
location = %q
insecure = true
[[registry]]
prefix = "blocked.example"
blocked = true
`, host+"/team")), 0o644)
	regs, err := LoadRegistries([]string{conf})
	if err != nil {
		t.Fatal(err)
	}
	if tags, err := ListTags(ctx, "registry.example/os", Options{Registries: regs}); err != nil || len(tags) != 3 {
		t.Errorf("through the location: %v, %v", tags, err)
	}
	if _, err := ListTags(ctx, "blocked.example/os", Options{Registries: regs}); err == nil || !strings.Contains(err.Error(), "blocks") {
		t.Errorf("blocked registry: %v", err)
	}
}

func TestRepositoryOf(t *testing.T) {
	for s, want := range map[string]string{
		"docker://registry.example/myos":                          "registry.example/myos",
		"registry.example:5000/team/os":                           "registry.example:5000/team/os",
		"fedora":                                                  "fedora",
		"docker://registry.example/myos:1.0":                      "",
		"registry.example/myos@sha256:" + strings.Repeat("a", 64): "",
		"oci:layout":                                              "",
		"oci:layout:1.0":                                          "",
		"./some/dir":                                              "",
		"docker://":                                               "",
		"containers-storage:x":                                    "",
	} {
		got, ok := RepositoryOf(s)
		if got != want || ok != (want != "") {
			t.Errorf("RepositoryOf(%q) = %q, %v; want %q", s, got, ok, want)
		}
	}
	for s, want := range map[string]string{
		"docker://registry.example/myos:1":                             "registry.example/myos",
		"docker://fedora:41":                                           "docker.io/library/fedora",
		"docker://docker.io/team/os:1":                                 "docker.io/team/os",
		"docker://localhost:5000/os@sha256:" + strings.Repeat("b", 64): "localhost:5000/os",
	} {
		ref, err := ParseReference(s)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := ref.Repository(); got != want || err != nil {
			t.Errorf("%s: repository %q, %v; want %q", s, got, err, want)
		}
	}
	if _, err := (Reference{Transport: TransportOCI, Name: "dir"}).Repository(); err == nil {
		t.Error("an oci: reference has a registry repository")
	}
}
