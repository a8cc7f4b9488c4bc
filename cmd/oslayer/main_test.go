package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// oslayerBin is the static binary built once for the tests that run it.
var oslayerBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "oslayer-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	// The default containers-storage store is the tests' own: no test
	// reads or writes the machine's.
	conf := filepath.Join(dir, "storage.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("[storage]\ndriver = \"vfs\"\ngraphroot = %q\nrunroot = %q\n", filepath.Join(dir, "graph"), filepath.Join(dir, "run"))), 0o644)
	os.Setenv("CONTAINERS_STORAGE_CONF", conf)
	oslayerBin = filepath.Join(dir, "oslayer")
	build := exec.Command("go", "build", "-o", oslayerBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "building oslayer: %v\n%s", err, out)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// oslayer runs the binary with a private cache directory and returns its
// stdout, stderr and exit code.
func oslayer(t *testing.T, cacheDir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(oslayerBin, args...)
	// The cache key lives in the config directory: a test's, not the user's.
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+cacheDir, "XDG_CONFIG_HOME="+filepath.Join(cacheDir, "config"))
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("running oslayer: %v", err)
	}
	return out.String(), errb.String(), code
}
