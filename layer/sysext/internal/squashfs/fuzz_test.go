package squashfs_test

import (
	"bytes"
	"io"
	"os"
	"testing"

	"github.com/oslayer/oslayer/layer/sysext/internal/squashfs"
)

// FuzzRead opens, walks and reads every file of arbitrary bytes: no
// input may panic or read without bounds.
func FuzzRead(f *testing.F) {
	small := testEntries()[:12]
	img, err := os.ReadFile(write(f, small, squashfs.Options{}))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(img)
	f.Fuzz(func(t *testing.T, b []byte) {
		rd, err := squashfs.Open(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		defer rd.Close()
		rd.Walk(func(sf *squashfs.File) error {
			if r, err := rd.Open(sf); err == nil {
				io.Copy(io.Discard, io.LimitReader(r, 1<<24))
			}
			return nil
		})
	})
}
