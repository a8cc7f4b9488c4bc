package butane

import (
	"crypto/sha512"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAllowRemoteFetchesOnlyVerifiedSources(t *testing.T) {
	body := "fetched at build time\n"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Token") != "secret" {
			http.Error(w, "no token", http.StatusForbidden)
			return
		}
		w.Write([]byte(body))
	}))
	defer srv.Close()
	sum := sha512.Sum512([]byte(body))
	cfg := func(hash string) string {
		c := "variant: fcos\nversion: 1.5.0\nstorage:\n  files:\n    - path: /etc/fetched\n      contents:\n        source: " + srv.URL + "/f\n        http_headers: [{name: X-Token, value: secret}]\n"
		if hash != "" {
			c += "        verification: {hash: " + hash + "}\n"
		}
		return c
	}
	opts := RenderOptions{AllowRemote: true, HTTPClient: srv.Client()}
	res, err := render(t, NewTarget(nil), cfg("sha512-"+hex.EncodeToString(sum[:])), opts)
	if err != nil || string(res.Entries[0].Data) != body {
		t.Fatalf("verified source: %v, %+v", err, res)
	}
	for _, tc := range []struct{ hash, want string }{
		{"", "has no verification hash"},
		{"sha512-" + strings.Repeat("0", 128), "verification failed"},
	} {
		if _, err := render(t, NewTarget(nil), cfg(tc.hash), opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("hash %q: error = %v, want %q", tc.hash, err, tc.want)
		}
	}
	if _, err := render(t, NewTarget(nil), cfg("sha512-"+hex.EncodeToString(sum[:])), RenderOptions{}); err == nil || !strings.Contains(err.Error(), "--allow-remote") {
		t.Errorf("without --allow-remote: %v", err)
	}
}
