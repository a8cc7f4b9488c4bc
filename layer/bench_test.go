package layer

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/oslayer/oslayer/fixtures"
)

// synthTar returns a tar shaped like an OS image layer: files spread over
// directories, sizes skewed small with a few large ones.
func synthTar(b *testing.B, files int) []byte {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	var entries []fixtures.File
	for d := range files / 50 {
		entries = append(entries, fixtures.Dir(fmt.Sprintf("usr/lib/d%d", d), 0o755))
		for f := range 50 {
			size := rng.IntN(16 << 10)
			if rng.IntN(100) == 0 {
				size = 2 << 20
			}
			content := make([]byte, size)
			for i := range content {
				content[i] = byte(rng.Uint32())
			}
			entries = append(entries, fixtures.Reg(fmt.Sprintf("usr/lib/d%d/f%d", d, f), string(content), 0o644))
		}
	}
	return fixtures.Tar(b, entries...)
}

func BenchmarkIndexTar(b *testing.B) {
	data := synthTar(b, 5000)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		if _, err := IndexTar(context.Background(), bytes.NewReader(data), nil, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkApply(b *testing.B) {
	var entries []fixtures.File
	for d := range 1000 {
		entries = append(entries, fixtures.Dir(fmt.Sprintf("usr/share/d%d", d), 0o755))
		for f := range 50 {
			entries = append(entries, fixtures.Reg(fmt.Sprintf("usr/share/d%d/f%d", d, f), "", 0o644))
		}
	}
	idx, err := IndexTar(context.Background(), bytes.NewReader(fixtures.Tar(b, entries...)), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(len(idx.Entries)), "entries")
	b.ResetTimer()
	for range b.N {
		if err := NewTree().Apply(idx, 0); err != nil {
			b.Fatal(err)
		}
	}
}
