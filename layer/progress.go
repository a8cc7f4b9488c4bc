package layer

import "io"

// Progress hears the bytes of layers pass as they are read or written, so
// that a program can show how far the work has come. The library draws
// nothing itself. Start may be called from several goroutines at once.
type Progress interface {
	// Start is called as the bytes of one layer (or blob) start to pass:
	// name says which, for people ("reading REF layer 3/12"), total is its
	// size in bytes (0 when not known). The Meter it returns hears them.
	Start(name string, total int64) Meter
}

// Meter counts the bytes of one layer as they pass. Its methods are called
// from one goroutine at a time.
type Meter interface {
	// Add is told that n more bytes passed.
	Add(n int64)
	// Done is called once, when no more bytes will pass: the layer was
	// read or written whole, only as far as needed, or not at all
	// because of an error.
	Done()
}

// startMeter starts a meter on p, a no-op when p is nil.
func startMeter(p Progress, name string, total int64) Meter {
	if p == nil {
		return noMeter{}
	}
	return p.Start(name, total)
}

type noMeter struct{}

func (noMeter) Add(int64) {}
func (noMeter) Done()     {}

// MeterReader is r whose reads m counts.
func MeterReader(r io.Reader, m Meter) io.Reader { return &meterReader{r: r, m: m} }

type meterReader struct {
	r io.Reader
	m Meter
}

func (r *meterReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.m.Add(int64(n))
	}
	return n, err
}
