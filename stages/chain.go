package stages

import (
	"context"
	"errors"
	"io"
)

// Sink is the last stage of a chain: an io.Writer whose output becomes
// visible only through Commit. Commit is called once, after everything
// upstream finished cleanly; Abort discards what was written and may be
// called at any time, from any goroutine, also after Commit (it is then a
// no-op) and more than once. A Sink that offers io.ReaderFrom lets a copy
// reach it without a buffer.
type Sink interface {
	io.Writer
	Commit() error
	Abort() error
}

// Committer is implemented by filter stages that publish output of their
// own (a sum file): Run commits them after the sink, and aborts them with it.
type Committer interface {
	Commit() error
	Abort() error
}

// WriteFilter builds a writer stage on top of dst. Closing the returned
// writer finishes the stage's own stream but does not close dst.
type WriteFilter func(dst io.Writer) (io.WriteCloser, error)

// ReadFilter builds a reader stage on top of src. Closing the returned reader
// releases the stage but does not close src.
type ReadFilter func(src io.Reader) (io.ReadCloser, error)

// Filter is one middle stage of a chain, in whichever direction is natural
// to it. When Writer is nil, Reader is adapted with [PipeWriter].
type Filter struct {
	Name   string // used in errors; empty leaves errors as they are
	Writer WriteFilter
	Reader ReadFilter
}

// Chain describes source → filters → sink, copied by [Run].
type Chain struct {
	Source     io.Reader
	SourceName string
	Filters    []Filter
	Sink       Sink
	SinkName   string
	// Buffer is the copy buffer used where no fast path applies; nil or
	// empty means DefaultBufferSize.
	Buffer []byte
}

// StdoutSink returns a Sink that writes to w directly: nothing to commit,
// nothing that Abort can take back. It keeps w's io.ReaderFrom, and its
// Unwrap method returns w.
func StdoutSink(w io.Writer) Sink {
	if rf, ok := w.(io.ReaderFrom); ok {
		return plainSinkRF{plainSink{w}, rf}
	}
	return plainSink{w}
}

type plainSink struct{ io.Writer }

func (plainSink) Commit() error { return nil }

// Unwrap returns the writer the sink writes to, so that a source can find
// an *os.File behind it and let the kernel move the data.
func (s plainSink) Unwrap() io.Writer { return s.Writer }
func (plainSink) Abort() error        { return nil }

type plainSinkRF struct {
	plainSink
	rf io.ReaderFrom
}

func (s plainSinkRF) ReadFrom(r io.Reader) (int64, error) { return s.rf.ReadFrom(r) }

// Run copies c.Source through c.Filters into c.Sink as one copy and returns
// the number of bytes read from the source. The first error wins: every
// filter is then closed, and the sink and every Committer filter are
// aborted. Only when the copy and every filter's Close succeeded are the
// sink and then the Committer filters (in chain order) committed.
//
// Run honours ctx between chunks; when ctx is done it also closes
// c.Source if that is an io.Closer, to unblock a pending Read, and returns
// ctx.Err(). Errors are wrapped in *Error with the stage's name where the
// chain gives names.
func Run(ctx context.Context, c Chain) (n int64, err error) {
	if c.Source == nil || c.Sink == nil {
		return 0, errors.New("stages: chain needs a source and a sink")
	}
	var sink Sink = c.Sink
	if c.SinkName != "" {
		sink = newNamedSink(c.SinkName, c.Sink)
	}
	// Build the writer stack from the sink upwards.
	writers := make([]io.WriteCloser, len(c.Filters))
	closed := make([]bool, len(c.Filters))
	var top io.Writer = sink
	abortAll := func(cause error) error {
		for i, w := range writers {
			if w != nil && !closed[i] {
				closeAborted(w, cause)
			}
		}
		var errs []error
		for _, w := range writers {
			if cm, ok := committer(w); ok {
				errs = append(errs, cm.Abort())
			}
		}
		errs = append(errs, c.Sink.Abort())
		if aerr := errors.Join(errs...); aerr != nil {
			return errors.Join(cause, aerr)
		}
		return cause
	}
	for i := len(c.Filters) - 1; i >= 0; i-- {
		f := c.Filters[i]
		var w io.WriteCloser
		var ferr error
		switch {
		case f.Writer != nil:
			w, ferr = f.Writer(top)
		case f.Reader != nil:
			w, ferr = PipeWriter(top, f.Reader)
		default:
			ferr = errors.New("stages: filter has neither Writer nor Reader")
		}
		if ferr != nil {
			return 0, abortAll(Named(f.Name, ferr))
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
		writers[i] = w
		top = w
	}

	if closer, ok := c.Source.(io.Closer); ok && ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { closer.Close() })
		defer stop()
	}
	// A failed write is a stage's error, never the source's. A sink with
	// io.ReaderFrom is left bare to keep the kernel's fast paths (it tells
	// its own errors by Err); a filter's ReadFrom is kept, with the reads
	// watched.
	var dst io.Writer = top
	var ws *writeSide
	rf, isRF := top.(io.ReaderFrom)
	switch {
	case !isRF:
		ws = &writeSide{w: top}
		dst = ws
	case len(writers) > 0:
		ws = &writeSide{w: top}
		dst = &writeSideRF{ws, rf}
	}
	n, err = Copy(ctx, dst, c.Source, c.Buffer)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			err = cerr
		} else if ws == nil || !ws.failed {
			err = Named(c.SourceName, err)
		}
		return n, abortAll(err)
	}
	// Close from the top down: each Close flushes into the next stage.
	for i, w := range writers {
		closed[i] = true
		if cerr := w.Close(); cerr != nil {
			return n, abortAll(Named(c.Filters[i].Name, cerr))
		}
	}
	if err := ctx.Err(); err != nil {
		return n, abortAll(err)
	}
	if err := sink.Commit(); err != nil {
		return n, abortAll(err)
	}
	for i, w := range writers {
		if cm, ok := committer(w); ok {
			if err := cm.Commit(); err != nil {
				return n, abortAll(Named(c.Filters[i].Name, err))
			}
		}
	}
	return n, nil
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

// namedSink names the sink's errors. Its ReadFrom keeps the sink's fast
// path; an error from it is the sink's when the sink says so (Err), and
// otherwise the source's.
type namedSink struct {
	name string
	s    Sink
}

type namedSinkRF struct {
	namedSink
	rf io.ReaderFrom
}

func newNamedSink(name string, s Sink) Sink {
	ns := namedSink{name: name, s: s}
	if rf, ok := s.(io.ReaderFrom); ok {
		return &namedSinkRF{ns, rf}
	}
	return &ns
}

func (n *namedSink) Write(p []byte) (int, error) {
	k, err := n.s.Write(p)
	return k, Named(n.name, err)
}
func (n *namedSink) Commit() error { return Named(n.name, n.s.Commit()) }
func (n *namedSink) Abort() error  { return Named(n.name, n.s.Abort()) }

func (n *namedSinkRF) ReadFrom(r io.Reader) (int64, error) {
	k, err := n.rf.ReadFrom(r)
	if err != nil {
		if e, ok := n.s.(interface{ Err() error }); ok && e.Err() != nil && errors.Is(err, e.Err()) {
			err = Named(n.name, err)
		}
	}
	return k, err
}

func isEOF(err error) bool { return err == io.EOF }
