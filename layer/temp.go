package layer

import (
	"os"
	"path/filepath"
)

// CreateTemp creates a temporary file in dir, for the file called base
// that it is to become: RemoveTemporaries removes it unless CommitTemp
// renamed it or DiscardTemp removed it first.
func CreateTemp(dir, base string) (*os.File, error) { return createTemp(dir, base) }

// CommitTemp makes a temporary file from CreateTemp, fully written,
// durable (mode 0644) and renames it to path, in the same directory; f is
// closed either way.
func CommitTemp(f *os.File, path string) error {
	if err := commitTemp(f, path); err != nil {
		return err
	}
	return syncDir(filepath.Dir(path))
}

// DiscardTemp closes and removes a temporary file from CreateTemp.
func DiscardTemp(f *os.File) { discardTemp(f) }

// MkdirTemp creates a temporary directory (mode 0700) in dir, for the
// directory called base: RemoveTemporaries removes it unless ForgetTemp
// was told it is gone or kept.
func MkdirTemp(dir, base string) (string, error) {
	p, err := os.MkdirTemp(dir, tempPrefix+base+"-*")
	if err == nil {
		temporaries.Store(p, true)
	}
	return p, err
}

// ForgetTemp says the temporary directory p from MkdirTemp was renamed or
// removed.
func ForgetTemp(p string) { temporaries.Delete(p) }
