package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer"
)

// labelArgs spells --label K=V, or K- for a nil value.
func labelArgs(set map[string]*string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(set)) {
		if v := set[k]; v == nil {
			out = append(out, "--label", k+"-")
		} else {
			out = append(out, "--label", k+"="+*v)
		}
	}
	return out
}

func ptr(s string) *string { return &s }

// releaseRepo fills a registry repository with five releases, written as
// users write them: 1.0.0 and 1.1.0 built as images (1.1.0 adds a layer),
// 1.2.0 a barrier made by oslayer chunk from 1.1.0, 1.3.0 a dead-end
// adding a layer to 1.2.0, and 1.4.0 made by oslayer butane on 1.3.0
// (dropping the dead-end label it would inherit), also tagged latest.
// Three tags are not releases: nightly has no version, broken has one
// that orders by no rules, arm-only has no image for this platform.
func releaseRepo(t *testing.T, repo string) {
	t.Helper()
	ctx := context.Background()
	opts := layer.Options{Insecure: true}
	push := func(tag string, img v1.Image) {
		t.Helper()
		if err := layer.Write(ctx, img, "docker://"+repo+":"+tag, opts); err != nil {
			t.Fatal(err)
		}
	}
	labelled := func(img v1.Image, set map[string]*string) v1.Image {
		t.Helper()
		out, err := layer.SetLabels(img, set)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	base := fixtures.Image(t, fixtures.CleanBaseLabels, nil, fixtures.Layer(t, fixtures.CleanBaseFiles()...))
	push("1.0.0", labelled(base, map[string]*string{layer.VersionLabel: ptr("1.0.0")}))
	v11, err := mutate.AppendLayers(base, fixtures.Layer(t, fixtures.Dir("usr", 0o755), fixtures.Dir("usr/lib", 0o755),
		fixtures.Reg("usr/lib/myos-1.1", strings.Repeat("1.1\n", 500), 0o644)))
	if err != nil {
		t.Fatal(err)
	}
	push("1.1.0", labelled(v11, map[string]*string{layer.VersionLabel: ptr("1.1.0")}))
	push("nightly", v11)
	push("broken", labelled(v11, map[string]*string{layer.VersionLabel: ptr("next")}))
	arm := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: base, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}})
	armRef, err := name.ParseReference(repo+":arm-only", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(armRef, arm); err != nil {
		t.Fatal(err)
	}

	cache := t.TempDir()
	// Each says what it wrote as a release.
	written := func(what string, args []string, want layer.Release) {
		t.Helper()
		stdout, stderr, code := oslayer(t, cache, append(args, "--format", "json")...)
		var rep struct{ Release *layer.Release }
		if err := json.Unmarshal([]byte(stdout), &rep); code != 0 || err != nil || rep.Release == nil || *rep.Release != want {
			t.Fatalf("%s: exit %d, release %v, want %v\n%s", what, code, rep.Release, want, stderr)
		}
	}
	args := append([]string{"chunk", "docker://" + repo + ":1.1.0", "docker://" + repo + ":1.2.0", "--tls-verify=false"},
		labelArgs(map[string]*string{layer.VersionLabel: ptr("1.2.0"), layer.BarrierLabel: ptr("true")})...)
	written("chunk", args, layer.Release{Version: "1.2.0", Barrier: true})
	img, err := layer.Open(ctx, "docker://"+repo+":1.2.0", opts)
	if err != nil {
		t.Fatal(err)
	}
	v13, err := mutate.AppendLayers(img.V1(), fixtures.Layer(t, fixtures.Dir("usr", 0o755), fixtures.Dir("usr/lib", 0o755),
		fixtures.Reg("usr/lib/myos-1.3", strings.Repeat("1.3\n", 500), 0o644)))
	if err != nil {
		t.Fatal(err)
	}
	push("1.3.0", labelled(v13, map[string]*string{layer.VersionLabel: ptr("1.3.0"), layer.BarrierLabel: nil,
		layer.DeadEndLabel: ptr("https://example.com/myos/issues/13")}))

	config := filepath.Join(t.TempDir(), "config.bu")
	os.WriteFile(config, []byte("variant: fcos\nversion: 1.6.0\nstorage:\n  files:\n    - path: /etc/myos-1.4\n      contents: {inline: \"1.4\\n\"}\n"), 0o644)
	args = append([]string{"butane", config, "--base", "docker://" + repo + ":1.3.0", "--dest", "docker://" + repo + ":1.4.0", "--tls-verify=false"},
		labelArgs(map[string]*string{layer.VersionLabel: ptr("1.4.0"), layer.DeadEndLabel: nil})...)
	written("butane", args, layer.Release{Version: "1.4.0"})
	img, err = layer.Open(ctx, "docker://"+repo+":1.4.0", opts)
	if err != nil {
		t.Fatal(err)
	}
	push("latest", img.V1())
}

// TestGraphFromARegistry: the graph of a real registry's repository, as
// Zincati would read it: the Cincinnati rules, payloads that pull the
// release they name, download bytes as diff --layers counts them, and the
// JSON through serde with the types Zincati declares.
func TestGraphFromARegistry(t *testing.T) {
	reg := fixtures.StartRegistry(t)
	repo := reg + "/myos"
	releaseRepo(t, repo)
	cache := t.TempDir()

	stdout, stderr, code := oslayer(t, cache, "graph", "--format", "json", "--tls-verify=false", "docker://"+repo)
	if code != 0 {
		t.Fatalf("graph: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{"skipped arm-only: ", "skipped broken: version \"next\" is neither", "skipped nightly: no org.opencontainers.image.version label"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	nodes, edges := fixtures.CheckCincinnati(t, []byte(stdout))
	var got []string
	for _, n := range nodes {
		got = append(got, n.Version+" "+n.Metadata["org.oslayer.graph.tags"])
		if !n.Reachable {
			t.Errorf("%s is unreachable", n.Version)
		}
	}
	if want := []string{"1.0.0 1.0.0", "1.1.0 1.1.0", "1.2.0 1.2.0", "1.3.0 1.3.0", "1.4.0 1.4.0,latest"}; !slices.Equal(got, want) {
		t.Errorf("nodes %v, want %v", got, want)
	}
	got = nil
	for _, e := range edges {
		got = append(got, nodes[e[0]].Version+"->"+nodes[e[1]].Version)
	}
	if want := []string{"1.0.0->1.1.0", "1.0.0->1.2.0", "1.1.0->1.2.0", "1.2.0->1.3.0", "1.2.0->1.4.0"}; !slices.Equal(got, want) {
		t.Errorf("edges %v, want %v", got, want)
	}
	if nodes[2].Metadata["org.fedoraproject.coreos.updates.barrier"] != "true" ||
		nodes[3].Metadata["org.fedoraproject.coreos.updates.deadend_reason"] != "https://example.com/myos/issues/13" ||
		nodes[4].Metadata["org.fedoraproject.coreos.updates.deadend"] != "" {
		t.Errorf("flags: %v", nodes)
	}

	// Payloads pull the release they name; each edge downloads the blobs
	// of the target's manifest that the source's lacks.
	ctx := context.Background()
	digestRE := regexp.MustCompile(`^` + regexp.QuoteMeta(repo) + `@sha256:[0-9a-f]{64}$`)
	imgs := make([]*layer.Image, len(nodes))
	for i, n := range nodes {
		if !digestRE.MatchString(n.Payload) {
			t.Fatalf("payload %q is not %s@DIGEST", n.Payload, repo)
		}
		img, err := layer.Open(ctx, "docker://"+n.Payload, layer.Options{Insecure: true})
		if err != nil {
			t.Fatalf("payload %s: %v", n.Payload, err)
		}
		if img.Labels()[layer.VersionLabel] != n.Version || !strings.HasSuffix(n.Payload, "@"+img.Digest.String()) {
			t.Errorf("payload %s is version %q, digest %s", n.Payload, img.Labels()[layer.VersionLabel], img.Digest)
		}
		imgs[i] = img
	}
	for _, e := range edges {
		have := map[v1.Hash]bool{}
		for _, l := range imgs[e[0]].Manifest.Layers {
			have[l.Digest] = true
		}
		var want int64
		for _, l := range imgs[e[1]].Manifest.Layers {
			if !have[l.Digest] {
				want += l.Size
				have[l.Digest] = true
			}
		}
		from, to := nodes[e[0]], nodes[e[1]]
		if got := to.Metadata["org.oslayer.graph.download_bytes.from."+from.Version]; got != fmt.Sprint(want) {
			t.Errorf("%s -> %s downloads %s bytes, want %d", from.Version, to.Version, got, want)
		}
	}
	// diff --layers agrees, through the CLI.
	from14 := nodes[4].Metadata["org.oslayer.graph.download_bytes.from.1.2.0"]
	out, stderr, code := oslayer(t, cache, "diff", "--layers", "--format", "json", "--tls-verify=false", "docker://"+nodes[2].Payload, "docker://"+nodes[4].Payload)
	var d struct {
		Layers struct {
			Download int64 `json:"download_bytes"`
		} `json:"layers"`
	}
	if err := json.Unmarshal([]byte(out), &d); code != 0 || err != nil || fmt.Sprint(d.Layers.Download) != from14 {
		t.Errorf("diff --layers 1.2.0 1.4.0: exit %d, %d bytes; graph %s\n%s", code, d.Layers.Download, from14, stderr)
	}

	zincatiDecodes(t, stdout, len(nodes), len(edges))

	// Text: the same releases, updates and skipped tags.
	text, stderr, code := oslayer(t, cache, "graph", "--tls-verify=false", repo)
	if code != 0 {
		t.Fatalf("graph: exit %d\n%s", code, stderr)
	}
	for _, want := range []string{
		"docker://" + repo + ": 5 releases (versions ordered by semver rules), 5 updates, 3 skipped\n",
		"  1.2.0    1.2.0         sha256:",
		"barrier\n",
		"dead-end: https://example.com/myos/issues/13\n",
		"  1.4.0    1.4.0,latest  sha256:",
		"  1.1.0 -> 1.2.0  ",
		"  arm-only ",
		"no child with platform linux/",
		"  nightly  ",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}

	// References instead of a repository: the releases named, one node
	// per image however many tags name it.
	stdout, stderr, code = oslayer(t, cache, "graph", "--format", "json", "--tls-verify=false",
		repo+":1.3.0", "docker://"+repo+":1.4.0", "docker://"+repo+":latest", "docker://"+nodes[0].Payload)
	if code != 0 {
		t.Fatalf("graph REF...: exit %d\n%s", code, stderr)
	}
	nodes, edges = fixtures.CheckCincinnati(t, []byte(stdout))
	if len(nodes) != 3 || len(edges) != 2 || nodes[2].Metadata["org.oslayer.graph.tags"] != "docker://"+repo+":1.4.0,docker://"+repo+":latest" {
		t.Errorf("graph of references: %s", stdout)
	}
}

// zincatiDecodes feeds the graph through serde with the graph types
// Zincati declares (cmd/oslayer/testdata/zincati-graph), built offline
// against Debian's serde crates.
func zincatiDecodes(t *testing.T, graph string, nodes, edges int) {
	t.Helper()
	const crates = "/usr/share/cargo/registry"
	fixtures.RequireTools(t, "cargo")
	for _, c := range []string{"serde_json-", "serde_derive-"} {
		if m, _ := filepath.Glob(filepath.Join(crates, c+"*")); len(m) == 0 {
			if fixtures.InCI() {
				t.Fatalf("%s* missing from %s under CI=true (apt-get install librust-serde-json-dev librust-serde-derive-dev)", c, crates)
			}
			t.Skipf("%s* missing from %s", c, crates)
		}
	}
	src := t.TempDir()
	for _, f := range []string{"Cargo.toml", "src/main.rs"} {
		data, err := os.ReadFile(filepath.Join("testdata", "zincati-graph", f))
		if err != nil {
			t.Fatal(err)
		}
		os.MkdirAll(filepath.Dir(filepath.Join(src, f)), 0o755)
		os.WriteFile(filepath.Join(src, f), data, 0o644)
	}
	// Built dependencies are kept between runs, as Go's build cache is.
	cacheDir, err := os.UserCacheDir()
	if err != nil {
		cacheDir = t.TempDir()
	}
	target := filepath.Join(cacheDir, "oslayer-tests", "zincati-graph")
	build := exec.Command("cargo", "build", "--offline", "--quiet",
		"--config", `source.crates-io.replace-with="debian"`, "--config", `source.debian.directory="`+crates+`"`)
	build.Dir = src
	build.Env = append(os.Environ(), "CARGO_TARGET_DIR="+target)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("cargo build: %v\n%s", err, out)
	}
	run := exec.Command(filepath.Join(target, "debug", "zincati-graph"))
	run.Stdin = strings.NewReader(graph)
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("Zincati's types refuse the graph: %v\n%s", err, out)
	}
	if n, e := strings.Count(string(out), "node "), strings.Count(string(out), "edge "); n != nodes || e != edges {
		t.Errorf("serde read %d nodes and %d edges, want %d and %d:\n%s", n, e, nodes, edges, out)
	}
}

// TestGraphRegistryOptions: listing tags goes through the registry options
// every command has: a TLS registry's CA, credentials, plain HTTP refused.
func TestGraphRegistryOptions(t *testing.T) {
	reg := fixtures.StartTLSRegistry(t, "builder", "s3cret-pw")
	opts := layer.Options{CertDir: reg.CADir, Keychain: layer.Credentials{Username: "builder", Password: "s3cret-pw"}}
	for _, v := range []string{"1.0", "1.1"} {
		img := fixtures.Image(t, map[string]string{layer.VersionLabel: v}, nil, fixtures.Layer(t, fixtures.Reg("etc/v", v, 0o644)))
		if err := layer.Write(context.Background(), img, "docker://"+reg.Host+"/os:"+v, opts); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	home := []string{"HOME=" + dir, "XDG_RUNTIME_DIR=" + filepath.Join(dir, "run"), "DOCKER_CONFIG=" + filepath.Join(dir, "docker"),
		"REGISTRY_AUTH_FILE=" + filepath.Join(dir, "none.json"), "XDG_CACHE_HOME=" + dir}
	repo := "docker://" + reg.Host + "/os"
	for _, c := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"the CA and credentials", []string{"--cert-dir", reg.CADir, "--creds", "builder:s3cret-pw"}, 0, "2 releases (versions ordered by rpm rules), 1 update, 0 skipped"},
		{"no credentials", []string{"--cert-dir", reg.CADir}, 2, "listing the tags of " + reg.Host + "/os: "},
		{"the certificate not trusted", []string{"--creds", "builder:s3cret-pw"}, 2, "certificate"},
		{"a repository and references", []string{"--cert-dir", reg.CADir, "--creds", "builder:s3cret-pw", repo + ":1.0"}, 2, repo + " is a repository: give it alone"},
		{"a bad --format", []string{"--format", "yaml"}, 2, `--format "yaml": want text or json`},
		{"a bad --payload-repo", []string{"--payload-repo", "oci:x"}, 2, `--payload-repo "oci:x": want a registry repository`},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(oslayerBin, append([]string{"graph", repo}, c.args...)...)
			cmd.Env = append(os.Environ(), home...)
			outb, err := cmd.CombinedOutput()
			out, code := string(outb), cmd.ProcessState.ExitCode()
			if err != nil && code < 0 {
				t.Fatal(err)
			}
			if code != c.code || !strings.Contains(out, c.want) || strings.Contains(out, "s3cret-pw") {
				t.Errorf("exit %d, want %d with %q:\n%s", code, c.code, c.want, out)
			}
		})
	}
}

// TestReleaseLabelFlags: chunk and butane refuse release labels graph
// would refuse, before reading anything, and warn about a version it
// cannot order.
func TestReleaseLabelFlags(t *testing.T) {
	cache, dir := t.TempDir(), t.TempDir()
	config := filepath.Join(dir, "c.bu")
	os.WriteFile(config, []byte("variant: fcos\nversion: 1.6.0\n"), 0o644)
	// Neither image exists; chunk makes DEST's layout before it reads SRC.
	src, dest := "oci:"+filepath.Join(dir, "none")+":a", "oci:"+filepath.Join(dir, "out")+":b"
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"chunk, barrier yes", []string{"chunk", src, dest, "--label", "org.oslayer.release.barrier=yes"},
			`oslayer: --label: label org.oslayer.release.barrier="yes": want true or false`},
		{"chunk, misspelt", []string{"chunk", src, dest, "--label", "org.oslayer.release.dead-end=x"}, "unknown release label"},
		{"chunk, version graph cannot order", []string{"chunk", src, dest, "--label", "org.opencontainers.image.version=latest"},
			`oslayer: warning: --label org.opencontainers.image.version: version "latest" is neither`},
		{"butane, empty dead-end", []string{"butane", config, "--base", src, "--dest", dest, "--label", "org.oslayer.release.deadend="}, "empty reason"},
		{"butane, --label without --dest", []string{"butane", config, "-o", filepath.Join(t.TempDir(), "l.tar"), "--label", "a=b"}, "--label needs --dest"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, stderr, code := oslayer(t, cache, c.args...)
			if code != 2 || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, want 2 with %q:\n%s", code, c.want, stderr)
			}
		})
	}
}
