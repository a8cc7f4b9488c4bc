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
		ra.free <- make([]byte, readAheadChunk)
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

// Close stops the producer and waits for it; it may be called again.
func (ra *readAhead) Close() error {
	ra.once.Do(func() { close(ra.done) })
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
