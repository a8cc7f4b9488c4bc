package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/oslayer/oslayer/fixtures"
	"github.com/oslayer/oslayer/layer"
)

// openPTY returns the terminal end of a new pseudo-terminal, 120 columns
// wide, and its controlling end.
func openPTY(t *testing.T) (tty, ptmx *os.File) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Fatalf("opening a pty: %v", err)
	}
	t.Cleanup(func() { ptmx.Close(); tty.Close() })
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	return tty, ptmx
}

// TestShowProgress: bars are drawn on a terminal only, never with --quiet,
// nor on a file, a pipe, /dev/null (a character device, not a terminal) or
// a buffer.
func TestShowProgress(t *testing.T) {
	tty, _ := openPTY(t)
	file, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	devNull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	for _, tc := range []struct {
		name  string
		w     io.Writer
		quiet bool
		want  bool
	}{
		{"a terminal", tty, false, true},
		{"a terminal with --quiet", tty, true, false},
		{"a file", file, false, false},
		{"a pipe", pw, false, false},
		{"/dev/null", devNull, false, false},
		{"a buffer", &bytes.Buffer{}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := showProgress(tc.w, tc.quiet); got != tc.want {
				t.Errorf("showProgress = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestStartProgressHeedsQuiet: every command has --quiet and -q, and with
// either the bars of a command on a terminal are off.
func TestStartProgressHeedsQuiet(t *testing.T) {
	tty, _ := openPTY(t)
	for _, name := range []string{"diff", "lint", "chunk", "butane", "finalize", "version"} {
		for _, tc := range []struct {
			args []string
			on   bool
		}{{nil, true}, {[]string{"--quiet"}, false}, {[]string{"-q"}, false}} {
			root := newRootCmd()
			root.SetErr(tty)
			cmd, _, err := root.Find([]string{name})
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.ParseFlags(tc.args); err != nil {
				t.Fatalf("%s %v: %v", name, tc.args, err)
			}
			bars := startProgress(cmd)
			if (bars != nil) != tc.on {
				t.Errorf("%s %v on a terminal: bars %v, want %v", name, tc.args, bars != nil, tc.on)
			}
			bars.stop()
		}
	}
}

// TestOnlySlowLayersGetABar: a layer done within showAfter draws nothing;
// a slower one draws its bar, which is gone once the bars stop; warnings
// print on lines of their own, whenever they come.
func TestOnlySlowLayersGetABar(t *testing.T) {
	tty, ptmx := openPTY(t)
	got := readAll(ptmx)
	root := newRootCmd()
	root.SetErr(tty)
	cmd, _, err := root.Find([]string{"diff"})
	if err != nil {
		t.Fatal(err)
	}
	bars := startProgress(cmd)
	warn := warner(bars)
	warn("before any bar")
	quick := bars.Start("reading quick layer 1/2", 10)
	quick.Add(10)
	quick.Done()
	slow := bars.Start("reading slow layer 2/2", 4096)
	slow.Add(1024)
	time.Sleep(showAfter + 300*time.Millisecond)
	warn("under a bar")
	slow.Done()
	bars.stop()
	warn("after the bars")
	tty.Close()
	screen := <-got
	if strings.Contains(screen, "quick") {
		t.Errorf("a layer done at once was drawn:\n%q", screen)
	}
	if !strings.Contains(screen, "reading slow layer 2/2  [") || !strings.Contains(screen, "1.0 KiB / 4.0 KiB") {
		t.Errorf("the slow layer has no bar at 1 KiB of 4:\n%q", screen)
	}
	if i := strings.LastIndex(screen, "\x1b[J"); i < 0 || strings.Contains(screen[i+len("\x1b[J"):], "[") {
		t.Errorf("the bars were not cleared at the end:\n%q", screen)
	}
	for _, w := range []string{"before any bar", "under a bar", "after the bars"} {
		if !strings.Contains(screen, "oslayer: warning: "+w+"\r\n") {
			t.Errorf("the warning %q is not on a line of its own:\n%q", w, screen)
		}
	}
}

// slowBlobRegistry is an in-process registry whose layer downloads pause
// halfway, so that reading them takes long enough to draw.
func slowBlobRegistry(t *testing.T) string {
	t.Helper()
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/") {
			reg.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		reg.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(body[:len(body)/2])
		w.(http.Flusher).Flush()
		time.Sleep(500 * time.Millisecond)
		w.Write(body[len(body)/2:])
	}))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return u.Host
}

// runWithStderr runs oslayer with stderr on errFile and returns its stdout.
func runWithStderr(t *testing.T, errFile *os.File, args ...string) string {
	t.Helper()
	cmd := exec.Command(oslayerBin, args...)
	cache := t.TempDir()
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+cache, "XDG_CONFIG_HOME="+filepath.Join(cache, "config"), "TERM=xterm")
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, errFile
	if err := cmd.Run(); err != nil {
		t.Fatalf("oslayer %s: %v", strings.Join(args, " "), err)
	}
	return stdout.String()
}

// readAll reads what a pty's terminal end received until it is closed.
func readAll(ptmx *os.File) <-chan string {
	out := make(chan string, 1)
	go func() {
		var b bytes.Buffer
		_, err := io.Copy(&b, ptmx)
		var errno syscall.Errno
		if err != nil && !(errors.As(err, &errno) && errno == syscall.EIO) {
			b.WriteString("\nreading the pty: " + err.Error())
		}
		out <- b.String()
	}()
	return out
}

// TestProgressBarOnATerminalOnly runs oslayer diff against a slow
// registry: on a terminal, stderr shows a bar for each layer read (its
// name, bytes of total, rate) and is cleared by the time the results
// print; with stderr on a file, or with -q, no bar and no terminal control
// sequence is written. The results are the same either way.
func TestProgressBarOnATerminalOnly(t *testing.T) {
	host := slowBlobRegistry(t)
	ctx := context.Background()
	opts := layer.Options{Insecure: true}
	base, derived := "docker://"+host+"/os/base:1", "docker://"+host+"/os/derived:1"
	if err := layer.Write(ctx, fixtures.BaseImage(t), base, opts); err != nil {
		t.Fatal(err)
	}
	if err := layer.Write(ctx, fixtures.DerivedImage(t, nil, nil), derived, opts); err != nil {
		t.Fatal(err)
	}
	args := []string{"diff", "--no-cache", "--tls-verify=false", base, derived}

	tty, ptmx := openPTY(t)
	got := readAll(ptmx)
	onTerminal := runWithStderr(t, tty, args...)
	tty.Close()
	screen := <-got
	// The base's layers are the derived image's first two: read once.
	for _, want := range []string{"reading " + derived + " layer 3/4  [", "reading " + derived + " layer 4/4  [", "b/s", "\x1b[J"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the terminal shows no %q:\n%q", want, screen)
		}
	}
	if !regexp.MustCompile(`\[=+>-+\] +[0-9.]+ b / [0-9.]+ b `).MatchString(screen) {
		t.Errorf("the terminal shows no layer part read, in bytes of its total:\n%q", screen)
	}

	file, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	inFile := runWithStderr(t, file, args...)
	logged, err := os.ReadFile(file.Name())
	if err != nil {
		t.Fatal(err)
	}
	if len(logged) != 0 {
		t.Errorf("stderr on a file: %q, want nothing", logged)
	}

	tty, ptmx = openPTY(t)
	got = readAll(ptmx)
	quiet := runWithStderr(t, tty, append([]string{"-q"}, args...)...)
	tty.Close()
	if screen := <-got; screen != "" {
		t.Errorf("the terminal with -q shows %q, want nothing", screen)
	}

	if !strings.Contains(inFile, "Files: ") || onTerminal != inFile || quiet != inFile {
		t.Errorf("results differ:\non a terminal:\n%s\nin a file:\n%s\nquiet:\n%s", onTerminal, inFile, quiet)
	}
}
