package stages

import (
	"errors"
	"io"
	"time"
)

// SettleTime is how long a committing sink waits, at the end of its input,
// for a signal sent with that end (Ctrl-C, or a kill of the process group)
// to be handled before it commits.
const SettleTime = 5 * time.Millisecond

// ErrNoRollback is what Rollback returns for a wrapped Sink or Committer
// that does not implement [TwoPhase] once it has committed: its output
// stays.
var ErrNoRollback = errors.New("committed output cannot be taken back")

// SinkHooks says what [WrapSink] changes; a nil field keeps the wrapped
// sink's own behaviour.
type SinkHooks struct {
	// Commit replaces the sink's Commit; it is given the sink, to call its
	// Commit (or Abort) when it decides to.
	Commit func(s Sink) error
	// Errors maps every error the sink returns: from Write, Commit, Abort
	// and the TwoPhase methods always, and from ReadFrom when the sink's
	// Err says the error is its own (ErrReporter).
	Errors func(error) error
	// NoReadFrom hides the sink's io.ReaderFrom.
	NoReadFrom bool
}

// WrapSink returns s with the behaviour h changes and every optional
// interface of s kept: io.ReaderFrom (when s has it and h does not hide
// it), [ErrReporter], [Unwrapper] and [TwoPhase]. The last three are always
// present on the result: Err returns nil, Unwrap returns s, and Prepare and
// Finish do nothing when s lacks them; Rollback then returns
// [ErrNoRollback] once s has committed.
func WrapSink(s Sink, h SinkHooks) Sink {
	w := &wrappedSink{s: s, h: h}
	if rf, ok := s.(io.ReaderFrom); ok && !h.NoReadFrom {
		return &wrappedSinkRF{w, rf}
	}
	return w
}

type wrappedSink struct {
	s         Sink
	h         SinkHooks
	committed bool
}

var (
	_ ErrReporter   = (*wrappedSink)(nil)
	_ Unwrapper     = (*wrappedSink)(nil)
	_ TwoPhase      = (*wrappedSink)(nil)
	_ io.ReaderFrom = (*wrappedSinkRF)(nil)
)

func (w *wrappedSink) mapErr(err error) error {
	if err == nil || w.h.Errors == nil {
		return err
	}
	return w.h.Errors(err)
}

func (w *wrappedSink) Write(p []byte) (int, error) {
	n, err := w.s.Write(p)
	return n, w.mapErr(err)
}

func (w *wrappedSink) Commit() error {
	var err error
	if w.h.Commit != nil {
		err = w.h.Commit(w.s)
	} else {
		err = w.s.Commit()
	}
	if err == nil {
		w.committed = true
	}
	return w.mapErr(err)
}

func (w *wrappedSink) Abort() error { return w.mapErr(w.s.Abort()) }

func (w *wrappedSink) Err() error {
	if e, ok := w.s.(ErrReporter); ok {
		return e.Err()
	}
	return nil
}

func (w *wrappedSink) Unwrap() io.Writer {
	if u, ok := w.s.(Unwrapper); ok {
		return u.Unwrap()
	}
	return w.s
}

func (w *wrappedSink) Prepare() error {
	if tp, ok := w.s.(TwoPhase); ok {
		return w.mapErr(tp.Prepare())
	}
	return nil
}

func (w *wrappedSink) Rollback() error {
	if tp, ok := w.s.(TwoPhase); ok {
		return w.mapErr(tp.Rollback())
	}
	if w.committed {
		return w.mapErr(ErrNoRollback)
	}
	return w.mapErr(w.s.Abort())
}

func (w *wrappedSink) Finish() error {
	if tp, ok := w.s.(TwoPhase); ok {
		return w.mapErr(tp.Finish())
	}
	return nil
}

type wrappedSinkRF struct {
	*wrappedSink
	rf io.ReaderFrom
}

func (w *wrappedSinkRF) ReadFrom(r io.Reader) (int64, error) {
	n, err := w.rf.ReadFrom(r)
	if err != nil && w.h.Errors != nil {
		if own := w.Err(); own != nil && errors.Is(err, own) {
			err = w.h.Errors(err)
		}
	}
	return n, err
}

// StdoutSink returns a Sink that writes to w directly: nothing to commit,
// nothing that Abort can take back. It keeps w's io.ReaderFrom, and its
// Unwrap method returns w.
func StdoutSink(w io.Writer) Sink {
	_, isRF := w.(io.ReaderFrom)
	return WrapSink(writerSink{w}, SinkHooks{NoReadFrom: !isRF})
}

// writerSink is a Sink that writes straight to a writer: its Commit has
// nothing to publish, so nothing to take back either.
type writerSink struct{ w io.Writer }

func (s writerSink) Write(p []byte) (int, error) { return s.w.Write(p) }
func (s writerSink) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := s.w.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{s.w}, r)
}
func (writerSink) Commit() error       { return nil }
func (writerSink) Abort() error        { return nil }
func (s writerSink) Unwrap() io.Writer { return s.w }
func (writerSink) Prepare() error      { return nil }
func (writerSink) Rollback() error     { return nil }
func (writerSink) Finish() error       { return nil }
