package layer

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"go.podman.io/storage/pkg/reexec"
)

// TestMain lets containers-storage re-execute the test binary to apply
// layers, and points the default store at a directory of the tests' own:
// no test reads or writes the machine's store.
func TestMain(m *testing.M) {
	if reexec.Init() {
		return
	}
	dir, err := os.MkdirTemp("", "oslayer-layer-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	conf := filepath.Join(dir, "storage.conf")
	os.WriteFile(conf, []byte(fmt.Sprintf("[storage]\ndriver = \"vfs\"\ngraphroot = %q\nrunroot = %q\n", filepath.Join(dir, "graph"), filepath.Join(dir, "run"))), 0o644)
	os.Setenv("CONTAINERS_STORAGE_CONF", conf)
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
