package main

import (
	"errors"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/oslayer/oslayer/layer"
)

// imageOptions are the flags of every command that reads images, named as
// skopeo names them.
type imageOptions struct {
	// tlsVerify false allows plain HTTP and unverified TLS registries.
	tlsVerify bool
	// noCache reads every layer afresh and leaves no cache behind.
	noCache bool
	// platform picks an image from a multi-platform index (os/arch[/variant]).
	platform string
	// timeout bounds each wait on a registry; retryTimes is how many times
	// a failed request is tried again.
	timeout    time.Duration
	retryTimes int
	// maxExpand refuses layers whose files add up to more (a size).
	maxExpand string
	// authfile is the only credentials file read, when set; creds are
	// USER[:PASS] for every registry.
	authfile string
	creds    string
	// certDir holds the registry certificates (containers-certs.d(5)).
	certDir string
	// registriesConf replaces the registries.conf files podman reads.
	registriesConf string
	// src and dest are the per-side flags of commands that read and write
	// images (chunk, butane); nil elsewhere.
	src, dest *sideOptions
	flags     *pflag.FlagSet
}

// sideOptions are skopeo's --src-* or --dest-* flags: they override the
// shorthand flags (--tls-verify, --creds, --cert-dir) for one side.
type sideOptions struct {
	name      string // "src" or "dest"
	tlsVerify bool
	creds     string
	certDir   string
}

func (o *imageOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	o.flags = f
	f.BoolVar(&o.tlsVerify, "tls-verify", true, "require HTTPS and verify certificates when talking to registries")
	f.BoolVar(&o.noCache, "no-cache", false, "do not read or write the layer index cache")
	f.StringVar(&o.platform, "platform", "", "platform to pick from multi-platform images, as os/arch[/variant] (default linux/<this machine's arch>)")
	f.DurationVar(&o.timeout, "timeout", layer.DefaultTimeout, "how long to wait for a registry to connect, answer, or send more of an answer")
	f.IntVar(&o.retryTimes, "retry-times", 3, "how many times to retry a registry request that failed with a 5xx, a rate limit or a reset connection")
	f.StringVar(&o.maxExpand, "max-expand", "64GiB", "refuse a layer whose files add up to more than this (sparse files count at their full size)")
	f.StringVar(&o.authfile, "authfile", "", "read registry credentials from this file only (default: $REGISTRY_AUTH_FILE, then podman's and docker's files)")
	f.StringVar(&o.creds, "creds", "", "registry credentials as USER[:PASS] (asked for on the terminal when PASS is left out)")
	f.StringVar(&o.certDir, "cert-dir", "", "directory of registry certificates: CAs (*.crt), client certificates (*.cert with *.key) (default: certs.d per registry)")
	f.StringVar(&o.registriesConf, "registries-conf", "", "registries.conf to read instead of podman's (insecure and blocked registries, locations, mirrors)")
}

// addSideFlags adds --src-* and --dest-* flags for a command that reads
// images and writes one.
func (o *imageOptions) addSideFlags(cmd *cobra.Command) {
	o.addFlags(cmd)
	for _, side := range []**sideOptions{&o.src, &o.dest} {
		s := &sideOptions{name: "src", tlsVerify: true}
		what := "reading images"
		if side == &o.dest {
			s.name, what = "dest", "writing the image"
		}
		*side = s
		cmd.Flags().BoolVar(&s.tlsVerify, s.name+"-tls-verify", true, "--tls-verify for "+what)
		cmd.Flags().StringVar(&s.creds, s.name+"-creds", "", "--creds for "+what)
		cmd.Flags().StringVar(&s.certDir, s.name+"-cert-dir", "", "--cert-dir for "+what)
	}
}

// layerOptions are the options for reading images.
func (o *imageOptions) layerOptions() (layer.Options, error) { return o.sideOptions(o.src) }

// destOptions are the options for writing the image.
func (o *imageOptions) destOptions() (layer.Options, error) { return o.sideOptions(o.dest) }

func (o *imageOptions) sideOptions(side *sideOptions) (layer.Options, error) {
	if o.timeout <= 0 {
		return layer.Options{}, &exitError{code: 2, msg: fmt.Sprintf("--timeout %s: want a positive duration such as 60s", o.timeout)}
	}
	if o.retryTimes < 0 {
		return layer.Options{}, &exitError{code: 2, msg: fmt.Sprintf("--retry-times %d: want 0 or more", o.retryTimes)}
	}
	tlsVerify, creds, certDir := o.tlsVerify, o.creds, o.certDir
	if side != nil {
		if o.flags.Changed(side.name + "-tls-verify") {
			tlsVerify = side.tlsVerify
		}
		if side.creds != "" {
			creds = side.creds
		}
		if side.certDir != "" {
			certDir = side.certDir
		}
	}
	opts := layer.Options{Insecure: !tlsVerify, Timeout: o.timeout, Retries: o.retryTimes, CertDir: certDir}
	if certDir != "" {
		if st, err := os.Stat(certDir); err != nil || !st.IsDir() {
			return opts, &exitError{code: 2, msg: fmt.Sprintf("--cert-dir %s: not a directory", certDir)}
		}
	}
	files := layer.RegistriesConfFiles()
	if o.registriesConf != "" {
		if _, err := os.Stat(o.registriesConf); err != nil {
			return opts, &exitError{code: 2, msg: fmt.Sprintf("--registries-conf: %v", err)}
		}
		files = []string{o.registriesConf}
	}
	var err error
	if opts.Registries, err = layer.LoadRegistries(files); err != nil {
		return opts, &exitError{code: 2, msg: err.Error()}
	}
	switch {
	case creds != "":
		c, err := parseCreds(creds)
		if err != nil {
			return opts, err
		}
		opts.Keychain = c
	case o.authfile != "":
		if _, err := os.Stat(o.authfile); err != nil {
			return opts, &exitError{code: 2, msg: fmt.Sprintf("--authfile: %v", err)}
		}
		opts.Keychain = layer.Keychain{AuthFile: o.authfile}
	}
	if o.platform != "" {
		parts := strings.Split(o.platform, "/")
		if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || parts[1] == "" {
			return opts, &exitError{code: 2, msg: fmt.Sprintf("--platform %q: want os/arch[/variant]", o.platform)}
		}
		opts.Platform = v1.Platform{OS: parts[0], Architecture: parts[1]}
		if len(parts) == 3 {
			opts.Platform.Variant = parts[2]
		}
	}
	return opts, nil
}

// parseCreds reads USER[:PASS]; without PASS it asks for the password on
// the terminal, as skopeo does.
func parseCreds(s string) (layer.Credentials, error) {
	user, pass, found := strings.Cut(s, ":")
	if user == "" {
		return layer.Credentials{}, &exitError{code: 2, msg: "--creds: want USER[:PASS]"}
	}
	if found {
		return layer.Credentials{Username: user, Password: pass}, nil
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDWR, 0)
	if err != nil {
		return layer.Credentials{}, &exitError{code: 2, msg: "--creds " + user + ": no terminal to ask for the password on; give USER:PASS"}
	}
	defer tty.Close()
	fmt.Fprintf(tty, "Password for %s: ", user)
	p, err := term.ReadPassword(int(tty.Fd()))
	fmt.Fprintln(tty)
	if err != nil {
		return layer.Credentials{}, &exitError{code: 2, msg: fmt.Sprintf("--creds: reading the password: %v", err)}
	}
	return layer.Credentials{Username: user, Password: string(p)}, nil
}

// loader returns a layer loader with the user's cache (unless --no-cache),
// drawing the layers it reads on bars (nil: none).
func (o *imageOptions) loader(bars *progressBars) (*layer.Loader, error) {
	warn := warner(bars)
	var cache *layer.Cache
	if !o.noCache {
		dir, err := layer.DefaultCacheDir()
		var key []byte
		if err == nil {
			key, err = layer.CacheKey()
		}
		if err == nil {
			cache, err = layer.OpenCache(dir, key)
		}
		if err != nil {
			// A cache only saves time: go on without it.
			warn(fmt.Sprintf("no layer cache: %v", err))
			cache = nil
		} else {
			cache.Warn = warn
		}
	}
	maxExpand, err := parseSize(o.maxExpand)
	if err != nil {
		return nil, &exitError{code: 2, msg: fmt.Sprintf("--max-expand %q: %v", o.maxExpand, err)}
	}
	l, err := layer.NewLoader(cache)
	if err != nil {
		return nil, err
	}
	l.MaxExpand = maxExpand
	l.Warn = warn
	l.Progress = bars.hook()
	return l, nil
}

// warner returns what prints warnings on stderr, above the bars while
// they are drawn.
func warner(bars *progressBars) func(msg string) {
	w := bars.out(os.Stderr)
	return func(msg string) { fmt.Fprintln(w, "oslayer: warning:", msg) }
}

// treeGC lets the heap of a command that holds whole trees (and their
// changes) grow to 1.3 times what is live instead of Go's default 2 times,
// unless GOGC says otherwise. Trees are long-lived, so collecting more
// often costs little: a layer of a million files diffs in about 600 MB
// instead of 800, in the same time (ci/bench-many-files.sh).
func treeGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(30)
	}
}

// parseSize reads a size as "68719476736", "64GiB", "500MB" or "2T"
// (binary and decimal units, K M G T with an optional B or iB).
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	i := strings.IndexFunc(t, func(r rune) bool { return (r < '0' || r > '9') && r != '.' })
	num, unit := t, ""
	if i >= 0 {
		num, unit = t[:i], strings.ToUpper(strings.TrimSpace(t[i:]))
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || v <= 0 {
		return 0, errors.New("want a positive size such as 64GiB")
	}
	mult := map[string]float64{"": 1, "B": 1,
		"K": 1 << 10, "KIB": 1 << 10, "KB": 1e3, "M": 1 << 20, "MIB": 1 << 20, "MB": 1e6,
		"G": 1 << 30, "GIB": 1 << 30, "GB": 1e9, "T": 1 << 40, "TIB": 1 << 40, "TB": 1e12}[unit]
	if mult == 0 || v*mult > math.MaxInt64 {
		return 0, errors.New("want a positive size such as 64GiB")
	}
	return int64(v * mult), nil
}
