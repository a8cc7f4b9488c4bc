package layer

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// certDirs are where containers-certs.d(5) keeps a registry's
// certificates, per host:port, in the order podman looks: the first that
// exists is used.
func certDirs(host string) []string {
	var dirs []string
	if home, err := os.UserConfigDir(); err == nil {
		dirs = append(dirs, filepath.Join(home, "containers", "certs.d", host))
	}
	return append(dirs, filepath.Join("/etc/containers/certs.d", host), filepath.Join("/etc/docker/certs.d", host))
}

// tlsConfig is the TLS configuration for a registry host: the system's
// roots plus the CA certificates (*.crt) of its certificate directory,
// and the client certificates (*.cert with *.key) there. certDir, when
// set (--cert-dir), is that directory for every registry.
func tlsConfig(host, certDir string) (*tls.Config, error) {
	dir := certDir
	if dir == "" {
		for _, d := range certDirs(host) {
			if _, err := os.Stat(d); err == nil {
				dir = d
				break
			}
		}
	}
	if dir == "" {
		return nil, nil
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("certificates for %s: %w", host, err)
	}
	conf := &tls.Config{MinVersion: tls.VersionTLS12}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		switch {
		case strings.HasSuffix(e.Name(), ".crt"):
			pem, err := os.ReadFile(p)
			if err != nil {
				return nil, err
			}
			if conf.RootCAs == nil {
				if conf.RootCAs, err = x509.SystemCertPool(); err != nil {
					conf.RootCAs = x509.NewCertPool()
				}
			}
			if !conf.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("%s: no PEM certificate in it", p)
			}
		case strings.HasSuffix(e.Name(), ".cert"):
			key := strings.TrimSuffix(p, ".cert") + ".key"
			cert, err := tls.LoadX509KeyPair(p, key)
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("client certificate %s has no key %s", p, filepath.Base(key))
			}
			if err != nil {
				return nil, fmt.Errorf("client certificate %s: %w", p, err)
			}
			conf.Certificates = append(conf.Certificates, cert)
		case strings.HasSuffix(e.Name(), ".key"):
			if !slices.ContainsFunc(entries, func(c os.DirEntry) bool { return c.Name() == strings.TrimSuffix(e.Name(), ".key")+".cert" }) {
				return nil, fmt.Errorf("key %s has no client certificate %s", p, strings.TrimSuffix(e.Name(), ".key")+".cert")
			}
		}
	}
	return conf, nil
}
