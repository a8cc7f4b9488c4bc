package main

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, code := runEnv(t, append(home, c.env...), append([]string{"diff", ref, ref}, c.args...)...)
			if code != c.code || !strings.Contains(out, c.want) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, c.code, c.want, out)
			}
			if strings.Contains(out, "wrong-pw") || strings.Contains(out, "s3cret-pw") {
				t.Errorf("a secret is printed:\n%s", out)
			}
		})
	}
}
