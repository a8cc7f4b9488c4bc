package main

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
)

// TestTLSRegistryWithHtpasswd: a real docker-registry with TLS (its own
// CA) and htpasswd authentication, the example pushed there by skopeo.
// oslayer refuses the certificate until the CA is trusted, then reads
// with the credentials of the auth file; wrong credentials name the auth
// file and never print the secret.
func TestTLSRegistryWithHtpasswd(t *testing.T) {
	fixtures.RequireTools(t, "skopeo")
	reg := fixtures.StartTLSRegistry(t, "builder", "s3cret-pw")
	ref := "docker://" + reg.Host + "/os/base:1"
	fixtures.Run(t, "", "skopeo", "copy", "--dest-cert-dir", reg.CADir, "--dest-creds", "builder:s3cret-pw", example+"base", ref)

	dir := t.TempDir()
	auth := func(name, pass string) string {
		p := filepath.Join(dir, name+".json")
		enc := base64.StdEncoding.EncodeToString([]byte("builder:" + pass))
		os.WriteFile(p, []byte(fmt.Sprintf(`{"auths": {%q: {"auth": %q}}}`, reg.Host, enc)), 0o600)
		return p
	}
	home := []string{"HOME=" + dir, "XDG_RUNTIME_DIR=" + filepath.Join(dir, "run"), "DOCKER_CONFIG=" + filepath.Join(dir, "docker")}
	good, bad := auth("good", "s3cret-pw"), auth("bad", "wrong-pw")
	trust := "SSL_CERT_FILE=" + filepath.Join(reg.CADir, "ca.crt")
	cases := []struct {
		name string
		env  []string
		args []string
		code int
		want string
	}{
		{"the certificate is not trusted", []string{"REGISTRY_AUTH_FILE=" + good}, nil, 2, "certificate"},
		{"trusted, with credentials", []string{"REGISTRY_AUTH_FILE=" + good, trust}, nil, 0, "0 changes"},
		{"--tls-verify=false, with credentials", []string{"REGISTRY_AUTH_FILE=" + good}, []string{"--tls-verify=false"}, 0, "0 changes"},
		{"no credentials", []string{"REGISTRY_AUTH_FILE=" + filepath.Join(dir, "none.json"), trust}, nil, 2, "no credentials for " + reg.Host},
		{"wrong credentials", []string{"REGISTRY_AUTH_FILE=" + bad, trust}, nil, 2, "refused the credentials for " + reg.Host + " from " + bad},
		{"--cert-dir", []string{"REGISTRY_AUTH_FILE=" + good}, []string{"--cert-dir", reg.CADir}, 0, "0 changes"},
		{"--authfile over $REGISTRY_AUTH_FILE", []string{"REGISTRY_AUTH_FILE=" + bad}, []string{"--cert-dir", reg.CADir, "--authfile", good}, 0, "0 changes"},
		{"--creds", nil, []string{"--cert-dir", reg.CADir, "--creds", "builder:s3cret-pw"}, 0, "0 changes"},
		{"--creds, wrong", nil, []string{"--cert-dir", reg.CADir, "--creds", "builder:wrong-pw"}, 2, "refused the credentials given for " + reg.Host + " on the command line"},
		{"--creds without a password, no terminal", nil, []string{"--cert-dir", reg.CADir, "--creds", "builder"}, 2, "give USER:PASS"},
		{"--registries-conf marks it insecure", []string{"REGISTRY_AUTH_FILE=" + good}, []string{"--registries-conf", writeFile(t, dir, "registries.conf", "[[registry]]\nlocation = \""+reg.Host+"\"\ninsecure = true\n")}, 0, "0 changes"},
		{"--cert-dir that is not a directory", nil, []string{"--cert-dir", bad}, 2, "--cert-dir " + bad + ": not a directory"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(oslayerBin, append([]string{"diff", ref, ref}, c.args...)...)
			cmd.Env = append(append(os.Environ(), "XDG_CACHE_HOME="+t.TempDir()), append(home, c.env...)...)
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // no terminal to ask on
			outb, err := cmd.CombinedOutput()
			out, code := string(outb), cmd.ProcessState.ExitCode()
			if err != nil && code < 0 {
				t.Fatal(err)
			}
			if code != c.code || !strings.Contains(out, c.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, c.code, c.want, out)
			}
			if strings.Contains(out, "wrong-pw") || strings.Contains(out, "s3cret-pw") {
				t.Errorf("a secret is printed:\n%s", out)
			}
		})
	}
}

// TestChunkBetweenRegistries: skopeo's per-side flags. chunk reads from the
// TLS registry with its CA and --src-creds, writes to a plain-HTTP registry
// with --dest-tls-verify=false, and says what it wrote with --digestfile and
// --format json; the digest is the pushed image's.
func TestChunkBetweenRegistries(t *testing.T) {
	fixtures.RequireTools(t, "skopeo")
	src := fixtures.StartTLSRegistry(t, "builder", "s3cret-pw")
	dest := fixtures.StartRegistry(t)
	fixtures.Run(t, "", "skopeo", "copy", "--dest-cert-dir", src.CADir, "--dest-creds", "builder:s3cret-pw", example+"derived", "docker://"+src.Host+"/os/derived:1")
	dir := t.TempDir()
	digestFile := filepath.Join(dir, "digest")
	env := []string{"HOME=" + dir, "REGISTRY_AUTH_FILE=" + filepath.Join(dir, "none.json")}
	args := []string{"chunk", "docker://" + src.Host + "/os/derived:1", "docker://" + dest + "/os/chunked:1",
		"--src-cert-dir", src.CADir, "--src-creds", "builder:s3cret-pw", "--dest-tls-verify=false", "--digestfile", digestFile, "--format", "json"}
	// Without --dest-tls-verify=false the plain-HTTP destination is refused,
	// after the source was read with its own flags.
	if out, code := runEnv(t, env, append(args[:7:7], "--digestfile", digestFile)...); code != 2 || !strings.Contains(out, "refusing plain HTTP") {
		t.Errorf("plain-HTTP destination with TLS verified: exit %d\n%s", code, out)
	}
	out, code := runEnv(t, env, args...)
	if code != 0 {
		t.Fatalf("chunk: exit %d\n%s", code, out)
	}
	var rep struct {
		Destination string `json:"destination"`
		Digest      string `json:"digest"`
		Layers      []struct {
			Digest     string   `json:"digest"`
			Components []string `json:"components"`
			Reused     bool     `json:"reused"`
		} `json:"layers"`
		Bytes struct{ Total, New, Reused int64 } `json:"bytes"`
	}
	if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &rep); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	written, _ := os.ReadFile(digestFile)
	pushed := strings.TrimSpace(fixtures.Run(t, "", "skopeo", "inspect", "--tls-verify=false", "--format", "{{.Digest}}", "docker://"+dest+"/os/chunked:1"))
	if string(written) != rep.Digest || rep.Digest != pushed || len(rep.Layers) == 0 || rep.Bytes.New != rep.Bytes.Total || rep.Bytes.Reused != 0 {
		t.Errorf("digestfile %q, JSON %q, registry %q; %d layers, bytes %+v", written, rep.Digest, pushed, len(rep.Layers), rep.Bytes)
	}
	// Chunked again with itself as --prior: every layer is reused.
	out, code = runEnv(t, env, "chunk", "--tls-verify=false", "--prior", "docker://"+dest+"/os/chunked:1", "--format", "json",
		"docker://"+dest+"/os/chunked:1", "oci:"+filepath.Join(dir, "again")+":x")
	if code != 0 || !strings.Contains(out, `"reused": true`) || strings.Contains(out, `"reused": false`) || !strings.Contains(out, `"continued"`) {
		t.Errorf("rechunked with --prior: exit %d\n%s", code, out)
	}
}
