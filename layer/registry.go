package layer

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// DefaultTimeout is how long oslayer waits for a registry to connect, to
// answer a request, and for each next byte of an answer, unless
// Options.Timeout says otherwise.
const DefaultTimeout = 60 * time.Second

// retryWait is the wait before the first retry; tests shorten it.
var retryWait = time.Second

// remoteRef parses a registry reference and says how to reach its
// registry for opts: the transport (TLS with the registry's certificates,
// timeouts, plain HTTP refused unless the registry is insecure),
// credentials and retries. Every registry read and write goes through it.
func remoteRef(ctx context.Context, s string, opts Options) (name.Reference, []remote.Option, error) {
	r, err := name.ParseReference(s)
	if err != nil {
		return nil, nil, err
	}
	return remoteAt(ctx, s, opts.Insecure || opts.Registries.Insecure(repoOf(r)), opts)
}

// remoteAt is remoteRef with the registry's insecurity decided.
func remoteAt(ctx context.Context, s string, insecure bool, opts Options) (name.Reference, []remote.Option, error) {
	var nameOpts []name.Option
	if insecure {
		nameOpts = append(nameOpts, name.Insecure)
	}
	r, err := name.ParseReference(s, nameOpts...)
	if err != nil {
		return nil, nil, err
	}
	timeout := cmp.Or(opts.Timeout, DefaultTimeout)
	tr := remote.DefaultTransport.(*http.Transport).Clone()
	tr.DialContext = (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext
	tr.TLSHandshakeTimeout = timeout
	tr.ResponseHeaderTimeout = timeout
	if tr.TLSClientConfig, err = tlsConfig(r.Context().RegistryStr(), opts.CertDir); err != nil {
		return nil, nil, err
	}
	if insecure {
		if tr.TLSClientConfig == nil {
			tr.TLSClientConfig = &tls.Config{}
		}
		tr.TLSClientConfig.InsecureSkipVerify = true //nolint:gosec // --tls-verify=false or registries.conf
	}
	kc := opts.Keychain
	if kc == nil {
		kc = Keychain{}
	}
	return r, []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(kc),
		remote.WithTransport(&guardedTransport{base: tr, insecure: insecure, idle: timeout}),
		// As skopeo's --retry-times: each request is tried again on a 5xx,
		// a rate limit or a reset connection, waiting 1 s, then 3 s, ...
		remote.WithRetryBackoff(remote.Backoff{Duration: retryWait, Factor: 3, Jitter: 0.1, Steps: opts.Retries + 1}),
	}, nil
}

// repoOf is a reference's repository as registries.conf names it:
// "docker.io/library/fedora", not go-containerregistry's index.docker.io.
func repoOf(r name.Reference) string {
	host := r.Context().RegistryStr()
	if host == name.DefaultRegistry {
		host = "docker.io"
	}
	return host + "/" + r.Context().RepositoryStr()
}

// guardedTransport is every request oslayer sends to registries. With TLS
// verification on it refuses plain HTTP: go-containerregistry would fall
// back to it for localhost and private addresses, and send credentials in
// the clear. Each answer's body must keep coming: a registry that sends
// nothing for idle fails the read, naming what it was sending.
type guardedTransport struct {
	base     http.RoundTripper
	insecure bool
	idle     time.Duration
}

// ErrPlainHTTP is returned for a plain-HTTP request while TLS is verified.
var ErrPlainHTTP = errors.New("refusing plain HTTP to a registry while TLS is verified: pass --tls-verify=false (or mark the registry insecure in registries.conf) to allow it")

func (g *guardedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Scheme == "http" && !g.insecure {
		return nil, fmt.Errorf("%s: %w", req.URL.Host, ErrPlainHTTP)
	}
	resp, err := g.base.RoundTrip(req)
	if err != nil || resp.Body == nil {
		return resp, err
	}
	resp.Body = newIdleBody(resp.Body, g.idle, req.URL.Redacted())
	return resp, nil
}

// ErrStalled is returned when a registry stops sending mid-answer.
var ErrStalled = errors.New("the registry sent nothing")

// idleBody fails a read that waits more than idle for the next bytes. Only
// time spent inside Read counts: a consumer that pauses is not a stall.
type idleBody struct {
	body  io.ReadCloser
	idle  time.Duration
	what  string
	mu    sync.Mutex
	timer *time.Timer
	fired bool
}

func newIdleBody(body io.ReadCloser, idle time.Duration, what string) *idleBody {
	b := &idleBody{body: body, idle: idle, what: what}
	b.timer = time.AfterFunc(time.Hour, b.expire)
	b.timer.Stop()
	return b
}

// expire closes the body under a read that waits, which ends the read.
func (b *idleBody) expire() {
	b.mu.Lock()
	b.fired = true
	b.mu.Unlock()
	b.body.Close()
}

func (b *idleBody) Read(p []byte) (int, error) {
	b.timer.Reset(b.idle)
	n, err := b.body.Read(p)
	b.timer.Stop()
	b.mu.Lock()
	fired := b.fired
	b.mu.Unlock()
	if fired {
		return n, fmt.Errorf("%w for %s while sending %s", ErrStalled, b.idle, b.what)
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	return b.body.Close()
}
