package zst

import (
	"io"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// FrameSize is how much input each frame holds when the Writer cuts its
// input into independent frames (levels 1 to 6, without WindowLog).
const FrameSize = 4 << 20

// frames compresses its input as a series of independent frames of
// FrameSize bytes (the last one shorter), up to threads of them at once,
// and writes them in order. Each frame is the library's EncodeAll of one
// piece: a single-segment frame with its content size and checksum, that
// needs no more than FrameSize of window to decode. The pieces do not
// depend on the number of threads, so neither does the output.
//
// Memory is fixed: threads+1 pieces, each with an input buffer of
// FrameSize and an output buffer as large as its worst case, allocated as
// the first pieces start and reused, and an encoder state per thread.
type frames struct {
	enc     *zstd.Encoder
	w       *gateWriter
	threads int

	cur     *piece
	made    int         // pieces allocated so far
	free    chan *piece // pieces ready to be filled
	work    chan *piece // pieces to compress
	order   chan *piece // pieces to write, in input order
	started bool
	sent    bool // a piece was dispatched
	done    chan struct{}
	workers sync.WaitGroup

	mu  sync.Mutex
	err error // the first error of a write; sticky
}

type piece struct {
	in    []byte
	out   []byte
	ready chan struct{}
}

func newFrames(enc *zstd.Encoder, w *gateWriter, threads int) *frames {
	return &frames{
		enc: enc, w: w, threads: threads,
		free:  make(chan *piece, threads+1),
		work:  make(chan *piece, threads+1),
		order: make(chan *piece, threads+1),
		done:  make(chan struct{}),
	}
}

func (f *frames) getErr() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func (f *frames) setErr(err error) {
	f.mu.Lock()
	if f.err == nil {
		f.err = err
	}
	f.mu.Unlock()
}

// next returns a piece to fill, allocating one while fewer than threads+1
// exist, else waiting for one to be written out.
func (f *frames) next() *piece {
	if f.made < f.threads+1 {
		select {
		case p := <-f.free:
			return p
		default:
		}
		f.made++
		return &piece{
			in:    make([]byte, 0, FrameSize),
			out:   make([]byte, 0, f.enc.MaxEncodedSize(FrameSize)),
			ready: make(chan struct{}, 1),
		}
	}
	return <-f.free
}

func (f *frames) start() {
	f.started = true
	for range f.threads {
		f.workers.Add(1)
		go func() {
			defer f.workers.Done()
			for p := range f.work {
				p.out = f.enc.EncodeAll(p.in, p.out[:0])
				p.ready <- struct{}{}
			}
		}()
	}
	go func() {
		defer close(f.done)
		for p := range f.order {
			<-p.ready
			if f.getErr() == nil {
				if _, err := f.w.Write(p.out); err != nil {
					f.setErr(err)
				}
			}
			p.in = p.in[:0]
			f.free <- p
		}
	}()
}

// dispatch hands the current piece over to be compressed and written.
func (f *frames) dispatch() {
	if !f.started {
		f.start()
	}
	p := f.cur
	f.cur = nil
	f.sent = true
	f.order <- p
	f.work <- p
}

// fill returns the current piece, with room in it.
func (f *frames) fill() *piece {
	if f.cur == nil {
		f.cur = f.next()
	}
	return f.cur
}

func (f *frames) Write(b []byte) (int, error) {
	n := 0
	for len(b) > 0 {
		if err := f.getErr(); err != nil {
			return n, err
		}
		p := f.fill()
		k := min(len(b), FrameSize-len(p.in))
		p.in = append(p.in, b[:k]...)
		n += k
		b = b[k:]
		if len(p.in) == FrameSize {
			f.dispatch()
		}
	}
	return n, f.getErr()
}

// readFrom reads straight into the pieces. count is told how much was
// read at each step.
func (f *frames) readFrom(r io.Reader, count func(int)) (int64, error) {
	var total int64
	for {
		if err := f.getErr(); err != nil {
			return total, err
		}
		p := f.fill()
		n, err := r.Read(p.in[len(p.in):FrameSize])
		p.in = p.in[:len(p.in)+n]
		total += int64(n)
		count(n)
		if len(p.in) == FrameSize {
			f.dispatch()
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// Close compresses what is left (an empty frame if nothing came at all),
// waits until everything was written, and stops the goroutines.
func (f *frames) Close() error {
	if f.cur != nil && len(f.cur.in) > 0 || !f.sent {
		f.fill()
		f.dispatch()
	}
	f.stop()
	return f.getErr()
}

// stop ends the goroutines once what was dispatched is written (or, after
// the gate is shut, thrown away).
func (f *frames) stop() {
	if !f.started {
		return
	}
	close(f.work)
	close(f.order)
	<-f.done
	f.workers.Wait()
	f.started = false
}
