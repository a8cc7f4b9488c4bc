package layer

import (
	"io"
	"sync"
)

const (
	readAheadChunk = 1 << 20
	readAheadDepth = 4
)

// readAhead reads r in its own goroutine into a few large buffers, so the
// producer of the stream (decompression) and its consumer (tar parsing and
// hashing) run on different cores. Close stops the goroutine early.
type readAhead struct {
	full  chan []byte
	free  chan []byte
	done  chan struct{}
	once  sync.Once
	cur   []byte
	owned []byte
	err   error
	wg    sync.WaitGroup
}

func newReadAhead(r io.Reader) *readAhead {
	ra := &readAhead{
		full: make(chan []byte, readAheadDepth),
		free: make(chan []byte, readAheadDepth+1),
		done: make(chan struct{}),
	}
	for range readAheadDepth + 1 {
		ra.free <- *readAheadBufs.Get().(*[]byte)
	}
	ra.wg.Add(1)
	go ra.fill(r)
	return ra
}

func (ra *readAhead) fill(r io.Reader) {
	defer ra.wg.Done()
	defer close(ra.full)
	for {
		var buf []byte
		select {
		case buf = <-ra.free:
		case <-ra.done:
			return
		}
		n, err := fill(r, buf)
		if n > 0 {
			select {
			case ra.full <- buf[:n]:
			case <-ra.done:
				return
			}
		}
		if err != nil {
			ra.err = err // read by the consumer after full is closed
			return
		}
	}
}

func (ra *readAhead) Read(p []byte) (int, error) {
	for len(ra.cur) == 0 {
		if ra.owned != nil {
			ra.free <- ra.owned[:cap(ra.owned)]
			ra.owned = nil
		}
		buf, ok := <-ra.full
		if !ok {
			return 0, ra.err
		}
		ra.cur, ra.owned = buf, buf
	}
	n := copy(p, ra.cur)
	ra.cur = ra.cur[n:]
	return n, nil
}

// readAheadBufs keep the buffers from layer to layer: an image of 64
// layers would otherwise allocate (and clear) 5 MiB for each.
var readAheadBufs = sync.Pool{New: func() any { b := make([]byte, readAheadChunk); return &b }}

// Close stops the producer and waits for it, then gives the buffers back
// for the next layer; it may be called again. Nothing may be read after.
func (ra *readAhead) Close() error {
	ra.once.Do(func() {
		close(ra.done)
		ra.wg.Wait()
		put := func(b []byte) {
			b = b[:cap(b)]
			readAheadBufs.Put(&b)
		}
		if ra.owned != nil {
			put(ra.owned)
			ra.owned, ra.cur = nil, nil
		}
		for b := range ra.full { // closed by the producer
			put(b)
		}
		for {
			select {
			case b := <-ra.free:
				put(b)
			default:
				return
			}
		}
	})
	ra.wg.Wait()
	return nil
}

// fill reads until buf is full or r fails, returning r's own error (unlike
// io.ReadFull, which turns a short final read into io.ErrUnexpectedEOF and
// so hides a truncated stream's own io.ErrUnexpectedEOF).
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
