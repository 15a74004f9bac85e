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

// settleRounds is how many times, at the least, Settle lets the process's
// other goroutines run: on a busy machine the process may not run at all
// for longer than SettleTime, and a signal delivered meanwhile still needs
// the runtime's goroutines to reach whoever waits for it.
const settleRounds = 10

// Settle waits, before a commit, for a signal sent with the end of input to
// be handled: at least SettleTime and settleRounds sleeps, returning early
// and true as soon as stopped reports one.
func Settle(stopped func() bool) bool {
	deadline := time.Now().Add(SettleTime)
	for i := 0; i < settleRounds || time.Now().Before(deadline); i++ {
		if stopped() {
			return true
		}
		time.Sleep(SettleTime / settleRounds)
	}
	return stopped()
}

// SinkHooks says what [WrapSink] changes; a nil field keeps the wrapped
// sink's own behaviour.
type SinkHooks struct {
	// Commit replaces the sink's Commit; it is given the sink, to call its
	// Commit (or Abort) when it decides to.
	Commit func(s Sink) error
	// Finish replaces the sink's Finish, when the sink has [TwoPhase]; it
	// is given the sink, to call its Finish or Rollback.
	Finish func(s Sink) error
	// Errors maps every error the sink returns: from Write, Commit, Abort
	// and the TwoPhase methods always, and from ReadFrom when the sink's
	// Err says the error is its own (ErrReporter).
	Errors func(error) error
	// NoReadFrom hides the sink's io.ReaderFrom.
	NoReadFrom bool
}

// WrapSink returns s with the behaviour h changes and every optional
// interface of s kept: io.ReaderFrom (unless h hides it) and [TwoPhase]
// when s has them; [ErrReporter] and [Unwrapper] always (Err returns nil
// and Unwrap returns s when s lacks them). Like the sink, the result is
// for one goroutine, except Abort.
func WrapSink(s Sink, h SinkHooks) Sink {
	w := &wrappedSink{s: s, h: h}
	rf, isRF := s.(io.ReaderFrom)
	isRF = isRF && !h.NoReadFrom
	tp, isTP := s.(TwoPhase)
	switch {
	case isRF && isTP:
		return &struct {
			*wrappedSink
			readFrom
			twoPhase
		}{w, readFrom{w, rf}, twoPhase{w, tp}}
	case isRF:
		return &struct {
			*wrappedSink
			readFrom
		}{w, readFrom{w, rf}}
	case isTP:
		return &struct {
			*wrappedSink
			twoPhase
		}{w, twoPhase{w, tp}}
	}
	return w
}

type wrappedSink struct {
	s Sink
	h SinkHooks
}

var (
	_ ErrReporter   = (*wrappedSink)(nil)
	_ Unwrapper     = (*wrappedSink)(nil)
	_ TwoPhase      = twoPhase{}
	_ io.ReaderFrom = readFrom{}
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
	return w.mapErr(err)
}

func (w *wrappedSink) Abort() error { return w.mapErr(w.s.Abort()) }

// wrapped is the sink inside, for Run to see a StdoutSink through wrappers.
func (w *wrappedSink) wrapped() Sink { return w.s }

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

// twoPhase forwards TwoPhase to the wrapped sink.
type twoPhase struct {
	w  *wrappedSink
	tp TwoPhase
}

func (t twoPhase) Prepare() error  { return t.w.mapErr(t.tp.Prepare()) }
func (t twoPhase) Rollback() error { return t.w.mapErr(t.tp.Rollback()) }
func (t twoPhase) Finish() error {
	if t.w.h.Finish != nil {
		return t.w.mapErr(t.w.h.Finish(t.w.s))
	}
	return t.w.mapErr(t.tp.Finish())
}

// readFrom forwards io.ReaderFrom to the wrapped sink; an error is mapped
// when the sink says it is its own.
type readFrom struct {
	w  *wrappedSink
	rf io.ReaderFrom
}

func (r readFrom) ReadFrom(src io.Reader) (int64, error) {
	n, err := r.rf.ReadFrom(src)
	if err != nil && r.w.h.Errors != nil {
		if own := r.w.Err(); own != nil && errors.Is(err, own) {
			err = r.w.h.Errors(err)
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
