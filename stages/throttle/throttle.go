package throttle

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/fpipe/fpipe/internal/iox"
)

// ErrClosed is returned by a Write or Read that was waiting, or that came
// after Close.
var ErrClosed = errors.New("closed")

// Writer passes what is written to it on to the writer it wraps, at no
// more than its rate. Writes and ReadFrom must come from one goroutine at a
// time; SetRate, Rate, Burst and Close are safe from any goroutine.
type Writer struct {
	dst      io.Writer
	l        *limiter
	ctx      context.Context
	bufSize  int
	buf      []byte
	err      error
	returned time.Time // when the last Write returned
}

var (
	_ io.WriteCloser = (*Writer)(nil)
	_ io.ReaderFrom  = (*Writer)(nil)
	_ io.ReadCloser  = (*Reader)(nil)
)

// NewWriter returns a Writer that writes to dst at most rate bytes per
// second. It fails if rate is below 1 or an option is invalid.
func NewWriter(dst io.Writer, rate int64, opts ...Option) (*Writer, error) {
	c, l, err := newConfig(rate, opts)
	if err != nil {
		return nil, err
	}
	return &Writer{dst: dst, l: l, ctx: c.ctx, bufSize: c.bufSize}, nil
}

// Write writes p to the wrapped writer in pieces no larger than the burst,
// each once the bucket holds it. It returns how much the wrapped writer
// took. Errors are sticky: the wrapped writer's, ErrClosed, or the
// context's.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	var n int
	var idle time.Duration // waiting for this write since the last one
	if !w.returned.IsZero() {
		idle = time.Since(w.returned)
	}
	defer func() { w.returned = time.Now() }()
	for len(p) > 0 {
		k, err := w.l.take(w.ctx, len(p), idle)
		idle = 0
		if err != nil {
			w.err = err
			return n, err
		}
		m, err := w.dst.Write(p[:k])
		n += m
		if err == nil && m < k {
			err = io.ErrShortWrite
		}
		if err != nil {
			w.err = err
			return n, err
		}
		p = p[k:]
	}
	return n, nil
}

// ReadFrom copies r to the wrapped writer through a buffer of BufferSize
// bytes, as Write would, until io.EOF (which it does not return) or an
// error.
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.buf == nil {
		w.buf = make([]byte, w.bufSize)
	}
	return iox.ReadFrom(w, r, w.buf)
}

// Close ends any wait with ErrClosed and makes later writes fail. It does
// not close the wrapped writer, and returns nil.
func (w *Writer) Close() error {
	w.l.close()
	return nil
}

// SetRate changes the rate to rate bytes per second (and the burst, unless
// it was given with Burst). A piece that is waiting is re-timed at once;
// what the bucket holds is kept, up to the new burst. It fails, changing
// nothing, when Check would for the new rate. Safe for concurrent use.
func (w *Writer) SetRate(rate int64) error { return w.l.setRate(rate) }

// Rate is the current rate in bytes per second.
func (w *Writer) Rate() int64 { r, _ := w.l.limits(); return r }

// Burst is the current burst in bytes.
func (w *Writer) Burst() int64 { _, b := w.l.limits(); return b }

// Reader reads from the reader it wraps at no more than its rate. Reads
// must come from one goroutine at a time; SetRate, Rate, Burst and Close
// are safe from any goroutine.
type Reader struct {
	src io.Reader
	l   *limiter
	ctx context.Context
	err error
}

// NewReader returns a Reader that reads from src at most rate bytes per
// second. It fails if rate is below 1 or an option is invalid.
func NewReader(src io.Reader, rate int64, opts ...Option) (*Reader, error) {
	c, l, err := newConfig(rate, opts)
	if err != nil {
		return nil, err
	}
	return &Reader{src: src, l: l, ctx: c.ctx}, nil
}

// Read reads at most one burst from the wrapped reader and returns it once
// the bucket holds it. The wrapped reader's errors, io.EOF included, come
// back as they are, after its data. A wait that is ended by Close or by the
// context returns ErrClosed or the context's error, and so does every Read
// after it.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	if len(p) == 0 {
		return r.src.Read(p)
	}
	_, burst := r.l.limits()
	if int64(len(p)) > burst {
		p = p[:burst]
	}
	start := time.Now()
	n, err := r.src.Read(p)
	idle := time.Since(start) // waiting for input
	for got := 0; got < n; {
		k, terr := r.l.take(r.ctx, n-got, idle)
		idle = 0
		if terr != nil {
			r.err = terr
			return 0, terr
		}
		got += k
	}
	return n, err
}

// Close ends any wait with ErrClosed and makes later reads fail. It does
// not close the wrapped reader, and returns nil.
func (r *Reader) Close() error {
	r.l.close()
	return nil
}

// SetRate changes the rate as Writer.SetRate does. Safe for concurrent use.
func (r *Reader) SetRate(rate int64) error { return r.l.setRate(rate) }

// Rate is the current rate in bytes per second.
func (r *Reader) Rate() int64 { v, _ := r.l.limits(); return v }

// Burst is the current burst in bytes.
func (r *Reader) Burst() int64 { _, b := r.l.limits(); return b }
