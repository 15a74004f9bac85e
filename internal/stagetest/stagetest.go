// Package stagetest holds the test doubles that the tests of fpipe's
// stages and tools share, in the manner of testing/iotest: writers that
// fail or take too little, readers and writers that hide their fast paths,
// and an in-memory sink that publishes only on Commit.
//
// It imports no fpipe package, so that the tests of any of them, the root
// package stages included, can use it.
package stagetest

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"testing/iotest"
)

// OnlyReader returns r with every method but Read hidden (io.WriterTo
// above all), so that a copy from it takes the plain path.
func OnlyReader(r io.Reader) io.Reader { return onlyReader{r} }

type onlyReader struct{ io.Reader }

// OnlyWriter returns w with every method but Write hidden (io.ReaderFrom
// above all), so that a copy into it takes the plain path.
func OnlyWriter(w io.Writer) io.Writer { return onlyWriter{w} }

type onlyWriter struct{ io.Writer }

// FailWriter takes the first N bytes written to it and fails every write
// after that with Err: the write that crosses N takes what fits and
// returns Err. It keeps nothing.
type FailWriter struct {
	N     int
	Err   error
	taken int
}

func (w *FailWriter) Write(p []byte) (int, error) {
	if w.taken+len(p) > w.N {
		k := max(w.N-w.taken, 0)
		w.taken += k
		return k, w.Err
	}
	w.taken += len(p)
	return len(p), nil
}

// Taken is how many bytes the writer took: at most N.
func (w *FailWriter) Taken() int { return w.taken }

// ShortWriter takes half of what it is given and reports no error: the
// io.ErrShortWrite case.
type ShortWriter struct{}

func (ShortWriter) Write(p []byte) (int, error) { return len(p) / 2, nil }

// Zeros is an endless stream of zero bytes.
type Zeros struct{}

func (Zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// ErrAfter returns a reader of the first n bytes of data that then fails
// with err, with no fast path (the source that breaks mid-stream).
func ErrAfter(data []byte, n int, err error) io.Reader {
	return OnlyReader(io.MultiReader(bytes.NewReader(data[:n]), iotest.ErrReader(err)))
}

// MemSink is a sink (the stages.Sink contract: Write, Commit, Abort) in
// memory: what it takes becomes visible in Committed only on Commit. Its
// methods are safe for concurrent use; Abort may come from any goroutine.
// The zero value is ready to use.
type MemSink struct {
	WriteErr  error           // Write fails, for good, once Limit bytes were taken
	Limit     int             // with WriteErr
	CommitErr error           // Commit fails with it
	OnWrite   func(total int) // called after each Write with the bytes taken so far
	OnEvent   func(ev string) // called with "commit" and "abort", in order

	mu              sync.Mutex
	buf             bytes.Buffer // taken since the start or the last Abort
	err             error        // sticky
	committed       []byte       // nil: nothing committed
	commits, aborts int
	readFroms       int
	written         int // taken by Write, Abort or not
}

// Write takes p, or what fits below Limit and then fails with WriteErr for
// good.
func (s *MemSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return 0, s.err
	}
	var err error
	if s.WriteErr != nil && s.buf.Len()+len(p) > s.Limit {
		p, err = p[:max(s.Limit-s.buf.Len(), 0)], s.WriteErr
		s.err = err
	}
	s.buf.Write(p)
	s.written += len(p)
	total := s.buf.Len()
	s.mu.Unlock()
	if s.OnWrite != nil {
		s.OnWrite(total)
	}
	return len(p), err
}

// Commit publishes what was taken, unless CommitErr is set or a write
// failed.
func (s *MemSink) Commit() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commits++
	s.event("commit")
	if s.CommitErr != nil {
		return s.CommitErr
	}
	if s.err != nil {
		return fmt.Errorf("commit after a failed write: %w", s.err)
	}
	s.committed = bytes.Clone(s.buf.Bytes())
	if s.committed == nil {
		s.committed = []byte{}
	}
	return nil
}

// Abort discards what was taken, unless it was committed.
func (s *MemSink) Abort() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.aborts++
	s.event("abort")
	if s.committed == nil {
		s.buf.Reset()
	}
	return nil
}

func (s *MemSink) event(ev string) {
	if s.OnEvent != nil {
		s.OnEvent(ev)
	}
}

// Err is the error that made writes fail, or nil.
func (s *MemSink) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// State returns what was committed (nil: nothing) and how often Commit and
// Abort were called.
func (s *MemSink) State() (committed []byte, commits, aborts int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.committed, s.commits, s.aborts
}

// Committed reports whether a Commit succeeded.
func (s *MemSink) Committed() bool {
	c, _, _ := s.State()
	return c != nil
}

// Aborted reports whether Abort was called and nothing was committed.
func (s *MemSink) Aborted() bool {
	c, _, aborts := s.State()
	return c == nil && aborts > 0
}

// Written is how many bytes Write took in all, including those that an
// Abort discarded.
func (s *MemSink) Written() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.written
}

// Taken returns a copy of what the sink holds: what was written since the
// start or the last Abort, committed or not.
func (s *MemSink) Taken() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return bytes.Clone(s.buf.Bytes())
}

// CountingSink passes everything to Sink and counts the bytes it took. It
// offers only the methods of the sink contract: a ReadFrom of Sink is
// hidden, so every byte goes through Write and is counted.
type CountingSink struct {
	Sink Sink
	n    atomic.Int64
}

// Sink is the stages.Sink contract, restated so that this package need not
// import stages.
type Sink interface {
	io.Writer
	Commit() error
	Abort() error
}

func (c *CountingSink) Write(p []byte) (int, error) {
	n, err := c.Sink.Write(p)
	c.n.Add(int64(n))
	return n, err
}

func (c *CountingSink) Commit() error { return c.Sink.Commit() }
func (c *CountingSink) Abort() error  { return c.Sink.Abort() }

// N is the number of bytes Sink took so far.
func (c *CountingSink) N() int64 { return c.n.Load() }

// MemSinkRF is a MemSink that offers io.ReaderFrom (which takes what it
// reads through Write, and is counted) and, like a file sink, says through
// Err which error was its own.
type MemSinkRF struct{ *MemSink }

func (s MemSinkRF) ReadFrom(r io.Reader) (int64, error) {
	s.mu.Lock()
	s.readFroms++
	s.mu.Unlock()
	return io.Copy(OnlyWriter(s.MemSink), r)
}

// ReadFroms is how often the ReadFrom of a MemSinkRF around s was called.
func (s *MemSink) ReadFroms() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.readFroms
}
