package gz

import "io"

// readAhead reads its source on another goroutine, a few buffers ahead of
// the decoder, so that the system calls and the copy out of the page cache
// overlap decoding (pigz -d does the same). It returns the source's bytes
// and then its error, in order, as the source gave them; the error is
// sticky. The goroutine starts at the first Read and ends at the source's
// first error or, after stop, once the Read it is blocked in returns.
type readAhead struct {
	src     io.Reader
	free    chan []byte
	full    chan chunk
	quit    chan struct{}
	started bool
	stopped bool
	cur     []byte
	buf     []byte // cur's whole buffer, to give back
	err     error
}

type chunk struct {
	b   []byte
	err error
}

const (
	readAheadBuffer  = 256 << 10
	readAheadBuffers = 3
)

func (a *readAhead) start() {
	a.started = true
	a.free = make(chan []byte, readAheadBuffers)
	a.full = make(chan chunk, readAheadBuffers)
	a.quit = make(chan struct{})
	for range readAheadBuffers {
		a.free <- make([]byte, readAheadBuffer)
	}
	go a.loop(a.src, a.free, a.full, a.quit)
}

// loop has its own copies of the fields it uses.
func (a *readAhead) loop(src io.Reader, free chan []byte, full chan chunk, quit chan struct{}) {
	for {
		var b []byte
		select {
		case b = <-free:
		case <-quit:
			return
		}
		n, err := src.Read(b)
		if n == 0 && err == nil {
			free <- b
			continue
		}
		full <- chunk{b[:n], err}
		if err != nil {
			return
		}
	}
}

func (a *readAhead) Read(p []byte) (int, error) {
	if !a.started {
		a.start()
	}
	for len(a.cur) == 0 {
		if a.buf != nil {
			a.free <- a.buf[:cap(a.buf)]
			a.buf = nil
		}
		if a.err != nil {
			return 0, a.err
		}
		c := <-a.full
		a.cur, a.buf, a.err = c.b, c.b, c.err
		if len(p) == 0 {
			return 0, nil
		}
	}
	n := copy(p, a.cur)
	a.cur = a.cur[n:]
	return n, nil
}

// stop lets the goroutine end; it does not wait for it.
func (a *readAhead) stop() {
	if a.started && !a.stopped {
		close(a.quit)
		a.stopped = true
	}
}
