package stages

import "io"

// Sink is the last stage of a chain: an io.Writer whose output becomes
// visible only through Commit. Commit is called once, after everything
// upstream finished cleanly; Abort discards what was written and may be
// called at any time, from any goroutine, also after Commit (it is then a
// no-op) and more than once.
//
// A Sink may also offer io.ReaderFrom (a copy reaches it without a buffer),
// [ErrReporter], [Unwrapper] and [TwoPhase]; [WrapSink] changes a Sink's
// behaviour and keeps all of them.
type Sink interface {
	io.Writer
	Commit() error
	Abort() error
}

// Committer is implemented by filter stages that publish output of their
// own (a sum file): Run commits them after the sink, and aborts them with it.
// A Committer that also implements [TwoPhase] takes part in the chain's one
// decision: its output is put back when a later output fails.
type Committer interface {
	Commit() error
	Abort() error
}

// ErrReporter is a Sink that tells its own failures from its source's: Err
// returns its first (sticky) write error, or nil. An error from its
// ReadFrom is the sink's when it is (errors.Is) that error, and the
// source's otherwise.
type ErrReporter interface {
	Err() error
}

// Unwrapper is a writer that passes its bytes on unchanged to another one
// (like [StdoutSink]): Unwrap returns it, so that a source can find an
// *os.File behind it and let the kernel move the data.
type Unwrapper interface {
	Unwrap() io.Writer
}

// TwoPhase is a Sink or Committer whose Commit can be one part of a decision
// of several outputs (the data and its sum file: [Run]):
//
//   - Prepare does everything that can fail while nothing is visible yet
//     (the data checked, written, its mode and owner set, fsynced). On
//     failure the output is aborted.
//   - Commit, after Prepare, publishes the output and keeps what it replaced
//     until Finish or Rollback. Without Prepare, Commit is final at once.
//   - Rollback, after Commit, puts back what Commit replaced (before
//     Commit it is Abort).
//   - Finish, after Commit, drops what Commit replaced: the commit is final.
//
// After Prepare and Commit, the caller must call Finish or Rollback; after
// a Commit without Prepare, Finish does nothing. Abort never takes back a
// Commit; Rollback does.
type TwoPhase interface {
	Prepare() error
	Rollback() error
	Finish() error
}

// WriteFilter builds a writer stage on top of dst. Closing the returned
// writer finishes the stage's own stream but does not close dst.
type WriteFilter func(dst io.Writer) (io.WriteCloser, error)

// ReadFilter builds a reader stage on top of src. Closing the returned reader
// releases the stage but does not close src.
type ReadFilter func(src io.Reader) (io.ReadCloser, error)

// Filter is one middle stage of a chain, in whichever direction is natural
// to it. When Writer is nil, Reader is adapted with [PipeWriter]. Each stage
// package has a Filter function that returns one (gz.Filter, sum.Filter,
// ...), named after the stage family.
type Filter struct {
	Name   string // used in errors; empty leaves errors as they are
	Writer WriteFilter
	Reader ReadFilter

	held *holder // HoldOutcome
}

// Chain describes source → filters → sink, copied by [Run].
type Chain struct {
	Source     io.Reader
	SourceName string
	// Filters run in this order from the source: Filters[0] is next to
	// the source, the last one next to the sink. Writer and reader
	// filters mix in any order.
	Filters  []Filter
	Sink     Sink
	SinkName string
	// Buffer is the copy buffer used where no fast path applies; nil or
	// empty means DefaultBufferSize.
	Buffer []byte
}

// Outcome is how a whole [Run] ended, as it tells an [OutcomeWatcher].
type Outcome struct {
	// Err is what Run returns: nil when every stage ended cleanly and the
	// outputs were committed.
	Err error
	// Committed says that Err is nil and an output that publishes
	// something was committed: the sink (unless it is a [StdoutSink],
	// which has nothing to publish, wrapped or not) or a [Committer]
	// filter. False when only a StdoutSink was "committed".
	Committed bool
}

// OutcomeWatcher is a filter stage (the writer a WriteFilter built, or the
// reader a ReadFilter built) that reports how the whole run ended, not
// only how its own stream did: a progress meter, whose last line must not
// say "done" before the sink after it failed to commit.
//
// [Run] calls WatchOutcome once the stage is built, before the copy
// begins: the stage then keeps the report its Close would make until
// Outcome. Run calls Outcome exactly once per built stage (but those of
// a filter from [HoldOutcome], whose deliver tells them), in chain order,
// just before it returns: after the outputs were committed (and finished
// or rolled back) or aborted, also when the chain failed to build, and
// when ctx ended (then within [CancelGrace] of that, while a call of the
// stage that nothing ended may still be running: Outcome must be safe
// for concurrent use with the stage's other methods, and Close may come
// after it). A stage used outside Run is never told to watch, and reports
// at Close as before.
type OutcomeWatcher interface {
	WatchOutcome()
	Outcome(o Outcome)
}
