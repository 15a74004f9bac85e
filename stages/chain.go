package stages

import (
	"context"
	"errors"
	"io"
	"time"
)

// Run copies c.Source through c.Filters into c.Sink as one copy and returns
// the number of bytes read from the source. c.Filters[0] is next to the
// source and the last filter next to the sink; writer and reader filters
// may come in any order. The first error wins: every filter is then
// closed, and the sink and every Committer filter are aborted. Only when
// the copy and every filter's Close succeeded, and ctx is not done, are the
// outputs committed, as one decision: the sink and then the Committer
// filters in chain order. When two or more outputs implement [TwoPhase],
// those are all prepared before the first is committed, and when a later
// Commit fails, the earlier ones are rolled back. Every output with
// TwoPhase that committed is then finished.
//
// When ctx is done before the commit began, Run returns ctx.Err() within
// [CancelGrace] or little more, whatever the stages do, and nothing is
// committed. It closes c.Source if that is an io.Closer (to end a pending
// Read), aborts the sink and every Committer (Abort may be called from any
// goroutine), ends the input of every reader filter with ctx.Err(), and
// interrupts every filter that is an [Interrupter]. A Read, Write or Close
// that none of these ends goes on in the background after Run returned,
// until it returns by itself (a blocking source with no Close, a sink
// stuck in the kernel, a filter that waits and cannot be interrupted): the
// copy then stops and closes the filters. Run does wait for the outputs'
// Abort, so that nothing is left behind by its return: the file sink's
// Abort waits for a write in progress (as closing a file does), which takes
// as long as the disk does. A commit that began is not stopped. n may be
// short of what the copy moved.
//
// Errors are wrapped in *Error with the stage's name where the chain gives
// names. Filters that are an [OutcomeWatcher] are told, in chain order,
// the error Run returns, just before it returns.
func Run(ctx context.Context, c Chain) (n int64, err error) {
	if c.Source == nil || c.Sink == nil {
		return 0, errors.New("stages: chain needs a source and a sink")
	}
	r := &run{c: c, sink: c.Sink}
	if c.SinkName != "" {
		name := c.SinkName
		r.sink = WrapSink(c.Sink, SinkHooks{Errors: func(err error) error { return Named(name, err) }})
	}
	if err := r.build(); err != nil {
		r.conclude(err)
		return 0, err
	}
	defer func() { r.conclude(err) }()
	if closer, ok := c.Source.(io.Closer); ok && ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { closer.Close() })
		defer stop()
	}
	if ctx.Done() == nil { // nothing to wait for but the copy
		n, err := r.stream(ctx)
		return n, r.finish(ctx, err)
	}
	if err := ctx.Err(); err != nil {
		return 0, r.abortAll(err)
	}
	done := make(chan streamed, 1)
	go func() {
		n, err := r.stream(ctx)
		done <- streamed{n, err}
	}()
	select {
	case s := <-done:
		return s.n, r.finish(ctx, s.err)
	case <-ctx.Done():
	}
	select {
	case s := <-done: // ended together: an error of its own may have been first
		return s.n, r.finish(ctx, s.err)
	default:
	}
	return r.cancel(ctx.Err(), done)
}

// CancelGrace is how long [Run], once its context is done and it has
// stopped what it can, waits for the copy to end before it returns.
const CancelGrace = 50 * time.Millisecond

// streamed is what the copy and the filters' Close ended with.
type streamed struct {
	n   int64
	err error
}

// stream copies the source into the stack and closes the filters, the top
// one first; on an error it stops the filters not yet closed. It runs on
// one goroutine, the only one that touches the filters' writers.
func (r *run) stream(ctx context.Context) (int64, error) {
	n, err := r.copy(ctx)
	if err == nil {
		err = r.closeAll()
	}
	if err != nil {
		r.stopFilters(err)
	}
	return n, err
}

// finish decides, after stream ended with err: commit when the stream
// ended cleanly and ctx is not done, abort otherwise.
func (r *run) finish(ctx context.Context, err error) error {
	if err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = r.commitAll()
	}
	if err != nil {
		return r.abortOutputs(err)
	}
	return nil
}

// Interrupter is a filter stage (the writer a WriteFilter built, or the
// reader a ReadFilter built) whose calls can be ended from another
// goroutine, such as a stage that waits. When its context ends, [Run]
// calls Interrupt while the copy may be inside a call of the stage: that
// call and every later one must then return soon, with an error. Interrupt
// is safe for concurrent use and may be called more than once; Close is
// still called after it.
type Interrupter interface {
	Interrupt()
}

// cancel ends a Run whose context is done while stream still runs on done's
// goroutine: it interrupts the filters that can be, ends every reader
// filter's input and aborts the outputs, which ends the writes they block,
// then gives the copy CancelGrace to end.
func (r *run) cancel(cause error, done <-chan streamed) (int64, error) {
	for _, w := range r.writers {
		w = unnamed(w)
		if pw, ok := w.(*pipeWriter); ok {
			pw.interrupt(cause)
			if i, ok := pw.stage.(Interrupter); ok {
				i.Interrupt()
			}
		} else if i, ok := w.(Interrupter); ok {
			i.Interrupt()
		}
	}
	err := r.abortOutputs(cause)
	t := time.NewTimer(CancelGrace)
	defer t.Stop()
	select {
	case s := <-done:
		return s.n, err
	case <-t.C:
		return 0, err
	}
}

// run is one Run: the writer stack from the sink upwards.
type run struct {
	c       Chain
	sink    Sink             // c.Sink, named
	writers []io.WriteCloser // the filters' writers, top first
	closed  []bool
	top     io.Writer
}

// build stacks the filters' writers on the sink, from the sink upwards.
func (r *run) build() error {
	c := r.c
	r.writers = make([]io.WriteCloser, len(c.Filters))
	r.closed = make([]bool, len(c.Filters))
	r.top = r.sink
	for i := len(c.Filters) - 1; i >= 0; i-- {
		f := c.Filters[i]
		var w io.WriteCloser
		var ferr error
		switch {
		case f.Writer != nil:
			w, ferr = f.Writer(r.top)
		case f.Reader != nil:
			w, ferr = PipeWriter(r.top, f.Reader)
		default:
			ferr = errors.New("stages: filter has neither Writer nor Reader")
		}
		if ferr != nil {
			return r.abortAll(Named(f.Name, ferr))
		}
		if f.Name != "" {
			nw := &namedWriter{name: f.Name, w: w}
			w = nw
			if rf, ok := nw.w.(io.ReaderFrom); ok && i == 0 {
				// The top stage keeps its ReadFrom (fewer, larger reads);
				// what the source fails with is still named as the source's.
				w = &namedWriterRF{namedWriter: nw, rf: rf, src: c.SourceName}
			}
		}
		r.writers[i] = w
		r.top = w
		if ow, ok := watcher(w); ok {
			ow.WatchOutcome()
		}
	}
	return nil
}

// copy is the one copy from the source into the top of the stack. A failed
// write is a stage's error, never the source's. A sink with io.ReaderFrom
// is left bare to keep the kernel's fast paths (it tells its own errors by
// Err); a filter's ReadFrom is kept, with the reads watched.
func (r *run) copy(ctx context.Context) (int64, error) {
	var dst io.Writer = r.top
	var ws *writeSide
	rf, isRF := r.top.(io.ReaderFrom)
	switch {
	case !isRF:
		ws = &writeSide{w: r.top}
		dst = ws
	case len(r.writers) > 0:
		ws = &writeSide{w: r.top}
		dst = &writeSideRF{ws, rf}
	}
	n, err := Copy(ctx, dst, r.c.Source, r.c.Buffer)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			err = cerr
		} else if ws == nil || !ws.failed {
			err = Named(r.c.SourceName, err)
		}
	}
	return n, err
}

// closeAll closes the filters from the top down: each Close flushes into
// the next stage.
func (r *run) closeAll() error {
	for i, w := range r.writers {
		r.closed[i] = true
		if err := w.Close(); err != nil {
			return Named(r.c.Filters[i].Name, err)
		}
	}
	return nil
}

// abortAll stops every filter not yet closed and aborts every output, and
// returns cause with what aborting failed with. Only for the goroutine that
// owns the filters.
func (r *run) abortAll(cause error) error {
	r.stopFilters(cause)
	return r.abortOutputs(cause)
}

// stopFilters stops every filter not yet closed, telling it cause.
func (r *run) stopFilters(cause error) {
	for i, w := range r.writers {
		if w != nil && !r.closed[i] {
			closeAborted(w, cause)
		}
	}
}

// abortOutputs aborts the Committer filters and the sink, from any
// goroutine, and returns cause with what aborting failed with.
func (r *run) abortOutputs(cause error) error {
	var errs []error
	for _, w := range r.writers {
		if cm, ok := committer(w); ok {
			errs = append(errs, cm.Abort())
		}
	}
	errs = append(errs, r.c.Sink.Abort())
	if aerr := errors.Join(errs...); aerr != nil {
		return errors.Join(cause, aerr)
	}
	return cause
}

// output is one thing a chain publishes: the sink or a Committer filter.
type output struct {
	cm   Committer
	name string
}

// outputs lists the chain's outputs in commit order: the sink, then the
// Committer filters in chain order.
func (r *run) outputs() []output {
	outs := []output{{r.sink, ""}}
	for i, w := range r.writers {
		if cm, ok := committer(w); ok {
			outs = append(outs, output{cm, r.c.Filters[i].Name})
		}
	}
	return outs
}

// commitAll commits the outputs as one decision (see Run).
func (r *run) commitAll() error {
	outs := r.outputs()
	if twoPhases(outs) < 2 {
		return commitEach(outs)
	}
	for _, o := range outs {
		if tp, ok := o.cm.(TwoPhase); ok {
			if err := tp.Prepare(); err != nil {
				return Named(o.name, err)
			}
		}
	}
	for i, o := range outs {
		if err := o.cm.Commit(); err != nil {
			err = Named(o.name, err)
			if rerr := rollback(outs[:i+1]); rerr != nil {
				err = errors.Join(err, rerr)
			}
			return err
		}
	}
	var errs []error
	for _, o := range outs {
		if tp, ok := o.cm.(TwoPhase); ok {
			errs = append(errs, Named(o.name, tp.Finish()))
		}
	}
	return errors.Join(errs...)
}

// twoPhases counts the outputs that can be taken back.
func twoPhases(outs []output) int {
	n := 0
	for _, o := range outs {
		if _, ok := o.cm.(TwoPhase); ok {
			n++
		}
	}
	return n
}

// commitEach commits outputs of which at most one can be taken back: there
// is nothing to put back when a later one fails, so no Prepare, and each
// Commit is final (Finish then does nothing, unless a wrapper prepared the
// output: fpipe's gate does, to make outputs of several chains one
// decision).
func commitEach(outs []output) error {
	for _, o := range outs {
		if err := o.cm.Commit(); err != nil {
			return Named(o.name, err)
		}
	}
	var errs []error
	for _, o := range outs {
		if tp, ok := o.cm.(TwoPhase); ok {
			errs = append(errs, Named(o.name, tp.Finish()))
		}
	}
	return errors.Join(errs...)
}

// rollback takes back committed outputs, the last first. An output that
// does not implement TwoPhase cannot be taken back: it stays.
func rollback(outs []output) error {
	var errs []error
	for i := len(outs) - 1; i >= 0; i-- {
		if tp, ok := outs[i].cm.(TwoPhase); ok {
			errs = append(errs, Named(outs[i].name, tp.Rollback()))
		}
	}
	return errors.Join(errs...)
}

// closeAborted stops a writer stage after a failure elsewhere. A stage that
// offers CloseWithError (like the adapters here) is told why.
func closeAborted(w io.WriteCloser, cause error) {
	w = unnamed(w)
	if ce, ok := w.(interface{ CloseWithError(error) error }); ok {
		ce.CloseWithError(cause)
		return
	}
	w.Close()
}

func committer(w io.WriteCloser) (Committer, bool) {
	w = unnamed(w)
	if pw, ok := w.(*pipeWriter); ok { // a reader stage
		cm, ok := pw.stage.(Committer)
		return cm, ok
	}
	cm, ok := w.(Committer)
	return cm, ok
}

// unnamed returns the stage's own writer inside a name.
func unnamed(w io.WriteCloser) io.WriteCloser {
	switch nw := w.(type) {
	case *namedWriter:
		return nw.w
	case *namedWriterRF:
		return nw.w
	}
	return w
}

// writeSide tells Run whether a write failed, so that it does not name the
// source for an error that came from the stages below it.
type writeSide struct {
	w      io.Writer
	failed bool
}

func (s *writeSide) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil || n < len(p) {
		s.failed = true
	}
	return n, err
}

// writeSideRF is a writeSide for a stage that reads for itself: an error
// its ReadFrom returns is the stage's unless reading the source failed.
type writeSideRF struct {
	*writeSide
	rf io.ReaderFrom
}

func (s *writeSideRF) ReadFrom(r io.Reader) (int64, error) {
	rs := &readSide{r: r}
	n, err := s.rf.ReadFrom(rs)
	if err != nil && !rs.failed {
		s.failed = true
	}
	return n, err
}

// readSide records whether reading the source failed.
type readSide struct {
	r      io.Reader
	failed bool
}

func (r *readSide) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.failed = true
	}
	return n, err
}

// namedWriter names the errors of one writer stage.
type namedWriter struct {
	name string
	w    io.WriteCloser
}

func (n *namedWriter) Write(p []byte) (int, error) {
	k, err := n.w.Write(p)
	return k, Named(n.name, err)
}

func (n *namedWriter) Close() error { return Named(n.name, n.w.Close()) }

// namedWriterRF is a namedWriter whose stage reads for itself.
type namedWriterRF struct {
	*namedWriter
	rf  io.ReaderFrom
	src string // the source's name
}

func (n *namedWriterRF) ReadFrom(r io.Reader) (int64, error) {
	k, err := n.rf.ReadFrom(&namedReader{r: r, name: n.src})
	return k, Named(n.name, err)
}

// namedReader names a source's read errors.
type namedReader struct {
	r    io.Reader
	name string
}

func (n *namedReader) Read(p []byte) (int, error) {
	k, err := n.r.Read(p)
	if err != nil && err != io.EOF {
		err = Named(n.name, err)
	}
	return k, err
}

func isEOF(err error) bool { return err == io.EOF }
