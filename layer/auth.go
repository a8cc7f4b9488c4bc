package layer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/config/configfile"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Keychain finds registry credentials where podman, skopeo and docker keep
// them, in podman's order: $REGISTRY_AUTH_FILE, then
// $XDG_RUNTIME_DIR/containers/auth.json, then
// $XDG_CONFIG_HOME/containers/auth.json (~/.config by default), then
// $DOCKER_CONFIG/config.json (~/.docker by default). Each file is asked for
// the repository ("quay.io/org/repo"), its namespaces, then the registry;
// the first file that knows an entry wins. Credential helpers named in a
// file (credHelpers, credsStore) are used as docker does. AuthFile, when
// set (--authfile), is the only file read.
type Keychain struct {
	AuthFile string
}

var _ authn.ContextKeychain = Keychain{}

// Files returns the credential files the keychain reads, in order,
// whether they exist or not.
func (k Keychain) Files() []string {
	if k.AuthFile != "" {
		return []string{k.AuthFile}
	}
	var files []string
	if f := os.Getenv("REGISTRY_AUTH_FILE"); f != "" {
		files = append(files, f)
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" {
		files = append(files, filepath.Join(d, "containers", "auth.json"))
	}
	home, _ := os.UserHomeDir()
	if d := os.Getenv("XDG_CONFIG_HOME"); d != "" {
		files = append(files, filepath.Join(d, "containers", "auth.json"))
	} else if home != "" {
		files = append(files, filepath.Join(home, ".config", "containers", "auth.json"))
	}
	if d := os.Getenv("DOCKER_CONFIG"); d != "" {
		files = append(files, filepath.Join(d, "config.json"))
	} else if home != "" {
		files = append(files, filepath.Join(home, ".docker", "config.json"))
	}
	return files
}

// Resolve implements authn.Keychain.
func (k Keychain) Resolve(target authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(context.Background(), target)
}

// ResolveContext implements authn.ContextKeychain.
func (k Keychain) ResolveContext(_ context.Context, target authn.Resource) (authn.Authenticator, error) {
	ac, _, _, err := k.lookup(target)
	if err != nil || ac == nil {
		return authn.Anonymous, err
	}
	return authn.FromConfig(*ac), nil
}

// lookup finds the credentials for target, and the file and entry that
// gave them; nil when no file has any.
func (k Keychain) lookup(target authn.Resource) (ac *authn.AuthConfig, file, key string, err error) {
	keys := authKeys(target)
	for _, file := range k.Files() {
		cf, err := loadAuthFile(file)
		if err != nil {
			return nil, "", "", err
		}
		if cf == nil {
			continue
		}
		for _, key := range keys {
			// The file's own entry first: docker/cli's lookup rewrites
			// "docker.io" to its legacy index key, which podman never writes.
			c, ok := cf.AuthConfigs[key]
			if !ok {
				var err error
				if c, err = cf.GetAuthConfig(key); err != nil {
					return nil, "", "", fmt.Errorf("credentials for %s from %s: %w", key, file, err)
				}
			}
			if c.Username == "" && c.Password == "" && c.Auth == "" && c.IdentityToken == "" && c.RegistryToken == "" {
				continue
			}
			return &authn.AuthConfig{
				Username:      c.Username,
				Password:      c.Password,
				Auth:          c.Auth,
				IdentityToken: c.IdentityToken,
				RegistryToken: c.RegistryToken,
			}, file, key, nil
		}
	}
	return nil, "", "", nil
}

// explainAuth adds to a registry's refusal (401 or 403) which credentials
// were sent: the file and entry they came from, or that none of the files
// podman and docker read has any. It never says what the credentials are.
func explainAuth(err error, kc authn.Keychain, target authn.Resource) error {
	var terr *transport.Error
	if !errors.As(err, &terr) || terr.StatusCode != http.StatusUnauthorized && terr.StatusCode != http.StatusForbidden {
		return err
	}
	if _, given := kc.(Credentials); given {
		return fmt.Errorf("%w: the registry refused the credentials given for %s on the command line", err, target.RegistryStr())
	}
	k, ours := kc.(Keychain)
	if !ours && kc != nil {
		return err
	}
	ac, file, key, lerr := k.lookup(target)
	switch {
	case lerr != nil:
		return fmt.Errorf("%w (and reading credentials failed: %v)", err, lerr)
	case ac == nil:
		return fmt.Errorf("%w: no credentials for %s in %s (log in with podman login, or pass --authfile or --creds)", err, target.RegistryStr(), strings.Join(k.Files(), ", "))
	}
	return fmt.Errorf("%w: the registry refused the credentials for %s from %s", err, key, file)
}

// Credentials are a user name and password given on the command line
// (--creds USER:PASS), sent to every registry the command talks to.
type Credentials struct {
	Username, Password string
}

// Resolve implements authn.Keychain.
func (c Credentials) Resolve(authn.Resource) (authn.Authenticator, error) {
	return authn.FromConfig(authn.AuthConfig{Username: c.Username, Password: c.Password}), nil
}

// authKeys lists the keys to look up for a target, most specific first:
// "quay.io/org/repo", "quay.io/org", "quay.io". Docker Hub, which
// go-containerregistry calls index.docker.io, is also tried as podman
// writes it ("docker.io/org/repo", "docker.io") and under docker's legacy
// key.
func authKeys(target authn.Resource) []string {
	reg := target.RegistryStr()
	repo := strings.TrimPrefix(strings.TrimPrefix(target.String(), reg), "/")
	hosts := []string{reg}
	dockerHub := reg == "index.docker.io" || reg == "docker.io"
	if dockerHub {
		hosts = []string{"index.docker.io", "docker.io"}
	}
	var keys []string
	for _, host := range hosts {
		for p := repo; p != ""; {
			keys = append(keys, host+"/"+p)
			i := strings.LastIndexByte(p, '/')
			if i < 0 {
				break
			}
			p = p[:i]
		}
		keys = append(keys, host)
	}
	if dockerHub {
		keys = append(keys, authn.DefaultAuthKey)
	}
	return keys
}

func loadAuthFile(file string) (*configfile.ConfigFile, error) {
	f, err := os.Open(file)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading credentials: %w", err)
	}
	defer f.Close()
	cf, err := config.LoadFromReader(f)
	if err != nil {
		return nil, fmt.Errorf("reading credentials from %s: %w", file, err)
	}
	cf.Filename = file
	return cf, nil
}
