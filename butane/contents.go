package butane

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/coreos/ignition/v2/config/v3_7_experimental/types"
	"github.com/vincent-petithory/dataurl"
)

// MaxFileSize bounds the decoded content of one file (inline data, local
// files, fetched sources, after decompression).
const MaxFileSize = 64 << 20

// fetch returns the content a resource describes, decompressed and
// verified. Only data: URLs (Butane turns inline and local: contents into
// them) are read, unless remote fetching is allowed: then http(s) sources
// with a verification hash.
func (r *renderer) fetch(ctx context.Context, res types.Resource, what string) ([]byte, error) {
	if res.Source == nil {
		return nil, nil
	}
	src := *res.Source
	u, err := url.Parse(src)
	if err != nil {
		return nil, fmt.Errorf("%s: source: %w", what, err)
	}
	var data []byte
	switch u.Scheme {
	case "data":
		du, err := dataurl.DecodeString(src)
		if err != nil {
			return nil, fmt.Errorf("%s: data URL: %w", what, err)
		}
		data = du.Data
	case "http", "https":
		if !r.opts.AllowRemote {
			return nil, fmt.Errorf("%s: remote source %s: oslayer renders at build time and fetches nothing unless --allow-remote is given (and a verification hash); embed it with local: or inline instead", what, redact(u))
		}
		if res.Verification.Hash == nil {
			return nil, fmt.Errorf("%s: remote source %s has no verification hash: --allow-remote fetches only what it can verify", what, redact(u))
		}
		if data, err = r.download(ctx, u, res.HTTPHeaders); err != nil {
			return nil, fmt.Errorf("%s: %w", what, err)
		}
	default:
		return nil, fmt.Errorf("%s: %s sources are fetched by Ignition at first boot, not at build time: embed the content with local: or inline", what, u.Scheme)
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s: %d bytes of content, more than the %d oslayer writes per file", what, len(data), MaxFileSize)
	}
	if res.Compression != nil && *res.Compression == "gzip" {
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%s: gzip: %w", what, err)
		}
		if data, err = io.ReadAll(io.LimitReader(zr, MaxFileSize+1)); err != nil {
			return nil, fmt.Errorf("%s: gzip: %w", what, err)
		}
		if len(data) > MaxFileSize {
			return nil, fmt.Errorf("%s: decompresses to more than the %d bytes oslayer writes per file", what, MaxFileSize)
		}
	}
	if err := verify(data, res.Verification); err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return data, nil
}

// verify checks an Ignition verification hash ("sha512-HEX", "sha256-HEX")
// against the decompressed content, as Ignition does.
func verify(data []byte, v types.Verification) error {
	if v.Hash == nil {
		return nil
	}
	algo, want, ok := strings.Cut(*v.Hash, "-")
	var h hash.Hash
	switch {
	case !ok:
	case algo == "sha512":
		h = sha512.New()
	case algo == "sha256":
		h = sha256.New()
	}
	if h == nil {
		return fmt.Errorf("verification hash %q: want sha512-HEX or sha256-HEX", *v.Hash)
	}
	h.Write(data)
	if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, want) {
		return fmt.Errorf("verification failed: content hashes to %s-%s, the config says %s", algo, got, *v.Hash)
	}
	return nil
}

func (r *renderer) download(ctx context.Context, u *url.URL, headers types.HTTPHeaders) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	for _, h := range headers {
		if h.Value != nil {
			req.Header.Add(h.Name, *h.Value)
		}
	}
	client := r.opts.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", redact(u), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetching %s: %s", redact(u), resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("fetching %s: %w", redact(u), err)
	}
	return data, nil
}

// redact drops credentials from a URL for messages.
func redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}
