package meter

import (
	"errors"
	"io"

	"github.com/fpipe/fpipe/internal/iox"
	"github.com/fpipe/fpipe/stages"
)

// ErrClosedEarly is the reason a Reader's last line gives when it was closed
// before its source ended.
var ErrClosedEarly = errors.New("stopped before the end of the stream")

// reportedError is an error that the meter's last line has shown already.
type reportedError struct {
	err error
	m   *meter
}

func (e *reportedError) Error() string { return e.err.Error() }
func (e *reportedError) Unwrap() error { return e.err }

// Reported tells whether the meter's last line, which names the error, was
// written: a command-line tool need not print it again.
func (e *reportedError) Reported() bool { return e.m.reported.Load() }

// Writer passes what is written to it on to the writer it wraps and counts
// it. Writes must come from one goroutine at a time; Count is safe from any.
type Writer struct {
	dst io.Writer
	m   *meter
	buf []byte
	err error
}

var (
	_ io.WriteCloser        = (*Writer)(nil)
	_ io.ReaderFrom         = (*Writer)(nil)
	_ stages.OutcomeWatcher = (*Writer)(nil)
	_ io.ReadCloser         = (*Reader)(nil)
	_ stages.OutcomeWatcher = (*Reader)(nil)
)

// NewWriter returns a Writer that writes to dst, and starts its display.
// It fails only for an invalid option.
func NewWriter(dst io.Writer, opts ...Option) (*Writer, error) {
	m, err := newMeter(opts)
	if err != nil {
		return nil, err
	}
	return &Writer{dst: dst, m: m}, nil
}

// Write writes p to the wrapped writer and counts what it took. Errors are
// sticky; one that the display will show in its last line (Terminal,
// Lines) has a Reported method that says, once the last line is written,
// that it was shown.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.dst.Write(p)
	w.m.add(n)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		w.err = w.wrap(err)
	}
	return n, w.err
}

func (w *Writer) wrap(err error) error {
	if w.m.display == Terminal || w.m.display == Lines {
		return &reportedError{err, w.m}
	}
	return err
}

// ReadFrom copies r to the wrapped writer through a buffer of BufferSize
// bytes, counting, until io.EOF (which it does not return) or an error.
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.buf == nil {
		w.buf = make([]byte, w.m.bufSize)
	}
	n, err := iox.ReadFrom(w, r, w.buf)
	if err != nil && err != w.err {
		err = w.wrap(err) // r's error: a write error is wrapped already
	}
	return n, err
}

// Close ends the display with the last line: "done", or the error that a
// write met. It does not close the wrapped writer, and returns nil.
func (w *Writer) Close() error { return w.CloseWithError(nil) }

// CloseWithError ends the display with a last line that reports err (the
// reason the stream stopped, when that happened elsewhere), or, when err is
// nil, what Close reports. It returns nil.
func (w *Writer) CloseWithError(err error) error {
	if err == nil {
		err = w.err
	}
	w.m.finish(unwrapReported(err))
	return nil
}

func unwrapReported(err error) error {
	if re, ok := err.(*reportedError); ok {
		return re.err
	}
	return err
}

// Count is the number of bytes written so far.
func (w *Writer) Count() int64 { return w.m.n.Load() }

// WatchOutcome makes the last line wait for Outcome: Close then only stops
// the display (stages.Run calls it; see stages.OutcomeWatcher).
func (w *Writer) WatchOutcome() { w.m.watched.Store(true) }

// Outcome writes the last line for how the whole run ended, with the
// figures of the stream's end: "committed" when o.Committed, "done" when
// nothing was published, or "failed: " and o.Err. It is safe to call from
// any goroutine, and only the first last line is written: after a Close
// without WatchOutcome, Outcome does nothing.
func (w *Writer) Outcome(o stages.Outcome) { w.m.conclude(o) }

// Reader reads from the reader it wraps and counts what it reads. Reads
// must come from one goroutine at a time; Count is safe from any.
type Reader struct {
	src   io.Reader
	m     *meter
	err   error
	ended bool
}

// NewReader returns a Reader that reads from src, and starts its display.
// It fails only for an invalid option.
func NewReader(src io.Reader, opts ...Option) (*Reader, error) {
	m, err := newMeter(opts)
	if err != nil {
		return nil, err
	}
	return &Reader{src: src, m: m}, nil
}

// Read reads from the wrapped reader and counts what it returns. Its
// errors come back as they are.
func (r *Reader) Read(p []byte) (int, error) {
	n, err := r.src.Read(p)
	r.m.add(n)
	switch {
	case err == io.EOF:
		r.ended = true
	case err != nil && r.err == nil:
		r.err = err
	}
	return n, err
}

// Close ends the display with the last line: "done" once the source ended,
// the first error it returned, or ErrClosedEarly. It does not close the
// wrapped reader, and returns nil.
func (r *Reader) Close() error {
	err := r.err
	if err == nil && !r.ended {
		err = ErrClosedEarly
	}
	r.m.finish(err)
	return nil
}

// Count is the number of bytes read so far.
func (r *Reader) Count() int64 { return r.m.n.Load() }

// WatchOutcome makes the last line wait for Outcome, as Writer's does.
func (r *Reader) WatchOutcome() { r.m.watched.Store(true) }

// Outcome writes the last line for how the whole run ended, as Writer's
// does.
func (r *Reader) Outcome(o stages.Outcome) { r.m.conclude(o) }
