package stages

import (
	"context"
	"errors"
	"io"
)

// Run copies c.Source through c.Filters into c.Sink as one copy and returns
// the number of bytes read from the source. The first error wins: every
// filter is then closed, and the sink and every Committer filter are
// aborted. Only when the copy and every filter's Close succeeded are the
// outputs committed, as one decision: the sink and then the Committer
// filters in chain order. When two or more outputs implement [TwoPhase],
// those are all prepared before the first is committed, and when a later
// Commit fails, the earlier ones are rolled back. Every output with
// TwoPhase that committed is then finished.
//
// Run honours ctx between chunks; when ctx is done it also closes
// c.Source if that is an io.Closer, to unblock a pending Read, and returns
// ctx.Err(). Errors are wrapped in *Error with the stage's name where the
// chain gives names.
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
		return 0, err
	}
	if closer, ok := c.Source.(io.Closer); ok && ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { closer.Close() })
		defer stop()
	}
	if n, err = r.copy(ctx); err != nil {
		return n, r.abortAll(err)
	}
	if err := r.closeAll(); err != nil {
		return n, r.abortAll(err)
	}
	if err := ctx.Err(); err != nil {
		return n, r.abortAll(err)
	}
	if err := r.commitAll(); err != nil {
		return n, r.abortAll(err)
	}
	return n, nil
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
// returns cause with what aborting failed with.
func (r *run) abortAll(cause error) error {
	for i, w := range r.writers {
		if w != nil && !r.closed[i] {
			closeAborted(w, cause)
		}
	}
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
	switch nw := w.(type) {
	case *namedWriter:
		w = nw.w
	case *namedWriterRF:
		w = nw.w
	}
	if ce, ok := w.(interface{ CloseWithError(error) error }); ok {
		ce.CloseWithError(cause)
		return
	}
	w.Close()
}

func committer(w io.WriteCloser) (Committer, bool) {
	switch nw := w.(type) {
	case *namedWriter:
		w = nw.w
	case *namedWriterRF:
		w = nw.w
	}
	if pw, ok := w.(*pipeWriter); ok { // a reader stage
		cm, ok := pw.stage.(Committer)
		return cm, ok
	}
	cm, ok := w.(Committer)
	return cm, ok
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
