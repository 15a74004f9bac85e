package stages

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"time"

	"github.com/fpipe/fpipe/internal/stagetest"
)

var (
	errSource = errors.New("source broke")
	errFilter = errors.New("filter broke")
	errSink   = errors.New("sink broke")
)

// testText returns n bytes of ASCII text in which no two lines are alike.
func testText(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "line %d: the quick brown fox jumps over the lazy dog\n", i)
	}
	return b.Bytes()[:n]
}

// upper upper-cases ASCII; it keeps the length, so it is chunking-invariant.
func upper(p []byte) []byte { return bytes.ToUpper(p) }

// rot13 rotates ASCII letters by 13; it keeps the length.
func rot13(p []byte) []byte {
	q := make([]byte, len(p))
	for i, c := range p {
		switch {
		case 'a' <= c && c <= 'z':
			c = 'a' + (c-'a'+13)%26
		case 'A' <= c && c <= 'Z':
			c = 'A' + (c-'A'+13)%26
		}
		q[i] = c
	}
	return q
}

// eventLog records, in order, what the stages of one chain did.
type eventLog struct {
	mu     sync.Mutex
	events []string
}

// sinkEvent records a MemSink's event as "sink.EVENT".
func (l *eventLog) sinkEvent(ev string) { l.add("sink." + ev) }

func (l *eventLog) add(e string) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, e)
}

// only returns the events that end in suffix, in order.
func (l *eventLog) only(suffix string) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, e := range l.events {
		if strings.HasSuffix(e, suffix) {
			out = append(out, e)
		}
	}
	return strings.Join(out, " ")
}

// failedSink checks that sink was aborted and Commit was never called.
func failedSink(t *testing.T, sink *stagetest.MemSink) {
	t.Helper()
	if _, commits, _ := sink.State(); commits != 0 {
		t.Errorf("sink: %d commits, want none", commits)
	}
	abortedSink(t, sink)
}

// abortedSink checks that sink was aborted and published nothing.
func abortedSink(t *testing.T, sink *stagetest.MemSink) {
	t.Helper()
	committed, _, aborts := sink.State()
	if committed != nil {
		t.Errorf("sink: committed %d bytes, want nothing", len(committed))
	}
	if aborts == 0 {
		t.Errorf("sink: not aborted, want aborted")
	}
}

// stage is a test filter that remembers the last stage it built.
type stage interface {
	filter() Filter
	// closes reports how often the built stage was closed, -1 if none was built.
	closes() int
}

func filtersOf(ss []stage) []Filter {
	fs := make([]Filter, len(ss))
	for i, s := range ss {
		fs[i] = s.filter()
	}
	return fs
}

// closedOnce checks that every stage that was built was closed exactly once.
func closedOnce(t *testing.T, ss []stage) {
	t.Helper()
	for i, s := range ss {
		if c := s.closes(); c != -1 && c != 1 {
			t.Errorf("filter %d (%q) closed %d times, want 1", i, s.filter().Name, c)
		}
	}
}

// wstage is a writer stage for tests: it maps what it takes with fn, can add
// a trailer on Close, and fails where it is told to.
type wstage struct {
	name      string
	fn        func([]byte) []byte
	trailer   bool  // Close writes "[n]", n the bytes the stage took
	newErr    error // the constructor fails
	writeErr  error // Write fails, for good, once limit bytes were taken
	limit     int
	closeErr  error
	committer bool // the stage is a Committer
	commitErr error
	log       *eventLog

	w *testWriter
}

func (s *wstage) filter() Filter { return Filter{Name: s.name, Writer: s.build} }

func (s *wstage) closes() int {
	if s.w == nil {
		return -1
	}
	return s.w.closes
}

func (s *wstage) build(dst io.Writer) (io.WriteCloser, error) {
	if s.newErr != nil {
		return nil, s.newErr
	}
	s.w = &testWriter{s: s, dst: dst}
	if s.committer {
		return &committingWriter{s.w}, nil
	}
	return s.w, nil
}

type testWriter struct {
	s                       *wstage
	dst                     io.Writer
	n                       int   // bytes taken
	err                     error // sticky
	closes, commits, aborts int
}

func (w *testWriter) Write(p []byte) (int, error) {
	if w.closes > 0 {
		return 0, errors.New("write after close")
	}
	if w.err != nil {
		return 0, w.err
	}
	var err error
	if w.s.writeErr != nil && w.n+len(p) > w.s.limit {
		p, err = p[:w.s.limit-w.n], w.s.writeErr
	}
	q := p
	if w.s.fn != nil {
		q = w.s.fn(p)
	}
	k, werr := w.dst.Write(q)
	w.n += k
	if werr != nil {
		err = werr
	}
	w.err = err
	return k, err
}

func (w *testWriter) Close() error {
	w.closes++
	w.s.log.add(w.s.name + ".close")
	if w.s.closeErr != nil {
		return w.s.closeErr
	}
	if w.err != nil {
		return w.err
	}
	if w.s.trailer {
		if _, err := fmt.Fprintf(w.dst, "[%d]", w.n); err != nil {
			w.err = err
			return err
		}
	}
	return nil
}

type committingWriter struct{ *testWriter }

func (c *committingWriter) Commit() error {
	c.commits++
	c.s.log.add(c.s.name + ".commit")
	return c.s.commitErr
}

func (c *committingWriter) Abort() error {
	c.aborts++
	c.s.log.add(c.s.name + ".abort")
	return nil
}

// pstage is a writer stage offered in the reader direction through Pipe, so
// that Run puts both adapters around it.
type pstage struct{ wstage }

func (s *pstage) filter() Filter {
	return Filter{Name: s.name, Reader: func(src io.Reader) (io.ReadCloser, error) {
		return Pipe(src, s.build), nil
	}}
}

// rstage is a reader stage for tests: it maps what it reads with fn and fails
// where it is told to.
type rstage struct {
	name      string
	fn        func([]byte) []byte
	newErr    error // the constructor fails
	readErr   error // Read fails, for good, once limit bytes were read
	limit     int
	closeErr  error
	committer bool // the stage is a Committer
	commitErr error
	log       *eventLog

	r *testReader
}

func (s *rstage) filter() Filter { return Filter{Name: s.name, Reader: s.build} }

func (s *rstage) closes() int {
	if s.r == nil {
		return -1
	}
	return s.r.closes
}

func (s *rstage) build(src io.Reader) (io.ReadCloser, error) {
	if s.newErr != nil {
		return nil, s.newErr
	}
	s.r = &testReader{s: s, src: src}
	if s.committer {
		return &committingReader{s.r}, nil
	}
	return s.r, nil
}

type testReader struct {
	s                       *rstage
	src                     io.Reader
	n                       int   // bytes read
	srcErr                  error // the last error but io.EOF that src returned
	closes, commits, aborts int
}

func (r *testReader) Read(p []byte) (int, error) {
	if r.s.readErr != nil {
		if r.n >= r.s.limit {
			return 0, r.s.readErr
		}
		p = p[:min(len(p), r.s.limit-r.n)]
	}
	k, err := r.src.Read(p)
	if r.s.fn != nil {
		copy(p[:k], r.s.fn(p[:k]))
	}
	r.n += k
	if err != nil && err != io.EOF {
		r.srcErr = err
	}
	return k, err
}

func (r *testReader) Close() error {
	r.closes++
	r.s.log.add(r.s.name + ".close")
	return r.s.closeErr
}

type committingReader struct{ *testReader }

func (c *committingReader) Commit() error {
	c.commits++
	c.s.log.add(c.s.name + ".commit")
	return c.s.commitErr
}

func (c *committingReader) Abort() error {
	c.aborts++
	c.s.log.add(c.s.name + ".abort")
	return nil
}

// blockingSource yields data, then blocks in Read until it is closed, like a
// pipe or a socket that has nothing more to say yet.
type blockingSource struct {
	data    []byte
	blocked chan struct{} // closed when Read first blocks
	done    chan struct{} // closed by Close
	bonce   sync.Once
	conce   sync.Once
}

func newBlockingSource(data []byte) *blockingSource {
	return &blockingSource{data: data, blocked: make(chan struct{}), done: make(chan struct{})}
}

func (s *blockingSource) Read(p []byte) (int, error) {
	if len(s.data) > 0 {
		n := copy(p, s.data)
		s.data = s.data[n:]
		return n, nil
	}
	s.bonce.Do(func() { close(s.blocked) })
	<-s.done
	return 0, os.ErrClosed
}

func (s *blockingSource) Close() error {
	s.conce.Do(func() { close(s.done) })
	return nil
}

// waitClosed waits a while for s to be closed.
func waitClosed(t *testing.T, s *blockingSource) {
	t.Helper()
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		t.Errorf("source not closed, want closed")
	}
}

// checkGoroutines waits a while for the number of goroutines to fall back to
// before, and fails with every goroutine's stack if it does not.
func checkGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("runtime.NumGoroutine() = %d, want at most %d as before\n%s", runtime.NumGoroutine(), before, buf)
		}
		time.Sleep(time.Millisecond)
	}
}

// runWithin runs Run in a goroutine and fails the test if it has not
// returned within a few seconds (it would hang if a blocked source were not
// closed).
func runWithin(t *testing.T, ctx context.Context, c Chain) (int64, error) {
	t.Helper()
	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := Run(ctx, c)
		done <- result{n, err}
	}()
	select {
	case r := <-done:
		return r.n, r.err
	case <-time.After(5 * time.Second):
		t.Fatalf("Run(...) still running 5s after the context was done, want it stopped")
		return 0, nil
	}
}

// happyChains are chains that succeed, with the output they make of in.
var happyChains = []struct {
	name   string
	stages func() []stage
	want   func(in []byte) []byte
}{
	{
		name:   "no filters",
		stages: func() []stage { return nil },
		want:   func(in []byte) []byte { return in },
	},
	{
		name:   "writer",
		stages: func() []stage { return []stage{&wstage{name: "up", fn: upper}} },
		want:   upper,
	},
	{
		name:   "reader",
		stages: func() []stage { return []stage{&rstage{name: "up", fn: upper}} },
		want:   upper,
	},
	{
		name: "writer reader writer",
		stages: func() []stage {
			return []stage{&wstage{name: "up", fn: upper}, &rstage{name: "rot", fn: rot13}, &wstage{name: "count", trailer: true}}
		},
		want: func(in []byte) []byte { return fmt.Appendf(rot13(upper(in)), "[%d]", len(in)) },
	},
	{
		name: "reader writer reader",
		stages: func() []stage {
			return []stage{&rstage{fn: rot13}, &wstage{fn: upper, trailer: true}, &rstage{fn: rot13}}
		},
		want: func(in []byte) []byte { return fmt.Appendf(rot13(upper(rot13(in))), "[%d]", len(in)) },
	},
	{
		name: "Pipe inside a reader",
		stages: func() []stage {
			return []stage{&wstage{name: "rot", fn: rot13}, &pstage{wstage{name: "up", fn: upper, trailer: true}}}
		},
		want: func(in []byte) []byte { return fmt.Appendf(upper(rot13(in)), "[%d]", len(in)) },
	},
}

func TestRun(t *testing.T) {
	t.Parallel()
	in := testText(300 << 10)
	sources := []struct {
		name string
		r    func() io.Reader
	}{
		{"WriterTo", func() io.Reader { return bytes.NewReader(in) }},
		{"Read only", func() io.Reader { return stagetest.OnlyReader(bytes.NewReader(in)) }},
	}
	for _, c := range happyChains {
		for _, src := range sources {
			for _, rf := range []bool{false, true} {
				for _, cancellable := range []bool{false, true} {
					name := fmt.Sprintf("%s/%s/ReaderFrom=%t/cancellable=%t", c.name, src.name, rf, cancellable)
					t.Run(name, func(t *testing.T) {
						t.Parallel()
						ss := c.stages()
						sink := &stagetest.MemSink{}
						var s Sink = sink
						if rf {
							s = stagetest.MemSinkRF{MemSink: sink}
						}
						ctx := context.Background()
						if cancellable {
							ctx = t.Context()
						}
						n, err := Run(ctx, Chain{Source: src.r(), SourceName: "src", Filters: filtersOf(ss), Sink: s, SinkName: "dst"})
						if n != int64(len(in)) || err != nil {
							t.Fatalf("Run(...) = %d, %v, want %d, nil", n, err, len(in))
						}
						committed, commits, aborts := sink.State()
						if commits != 1 || aborts != 0 {
							t.Errorf("sink: %d commits, %d aborts, want 1, 0", commits, aborts)
						}
						if want := c.want(in); !bytes.Equal(committed, want) {
							t.Errorf("committed %d bytes %.40q..., want %d bytes %.40q...", len(committed), committed, len(want), want)
						}
						closedOnce(t, ss)
						// With nothing in between, a Read-only source reaches
						// the sink through its io.ReaderFrom.
						if rf && len(ss) == 0 && src.name == "Read only" && sink.ReadFroms() == 0 {
							t.Errorf("sink.ReadFrom not used, want the fast path kept")
						}
					})
				}
			}
		}
	}
}

func TestRunEmptySource(t *testing.T) {
	t.Parallel()
	for _, c := range happyChains {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sink := &stagetest.MemSink{}
			ss := c.stages()
			n, err := Run(t.Context(), Chain{Source: strings.NewReader(""), Filters: filtersOf(ss), Sink: sink})
			if n != 0 || err != nil {
				t.Fatalf("Run(empty) = %d, %v, want 0, nil", n, err)
			}
			committed, commits, _ := sink.State()
			if want := c.want([]byte{}); commits != 1 || !bytes.Equal(committed, want) {
				t.Errorf("sink: %d commits of %q, want 1 of %q", commits, committed, want)
			}
			closedOnce(t, ss)
		})
	}
}

// TestRunChunking checks that the output does not depend on how the source
// cuts its reads nor on the size of the copy buffer.
func TestRunChunking(t *testing.T) {
	t.Parallel()
	in := testText(10<<10 + 17)
	want := fmt.Appendf(rot13(upper(in)), "[%d]", len(in))
	sources := []struct {
		name string
		r    func() io.Reader
	}{
		{"bytes.Reader", func() io.Reader { return bytes.NewReader(in) }},
		{"Read only", func() io.Reader { return stagetest.OnlyReader(bytes.NewReader(in)) }},
		{"OneByteReader", func() io.Reader { return iotest.OneByteReader(bytes.NewReader(in)) }},
		{"HalfReader", func() io.Reader { return iotest.HalfReader(bytes.NewReader(in)) }},
		{"DataErrReader", func() io.Reader { return iotest.DataErrReader(bytes.NewReader(in)) }},
	}
	for _, src := range sources {
		for _, size := range []int{0, 1, 7, 4093, 65537} {
			for _, cancellable := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/buffer=%d/cancellable=%t", src.name, size, cancellable), func(t *testing.T) {
					t.Parallel()
					var buf []byte
					if size > 0 {
						buf = make([]byte, size)
					}
					ctx := context.Background()
					if cancellable {
						ctx = t.Context()
					}
					sink := &stagetest.MemSink{}
					ss := []stage{&wstage{name: "up", fn: upper}, &rstage{name: "rot", fn: rot13}, &wstage{name: "count", trailer: true}}
					n, err := Run(ctx, Chain{Source: src.r(), Filters: filtersOf(ss), Sink: sink, Buffer: buf})
					if n != int64(len(in)) || err != nil {
						t.Fatalf("Run(...) = %d, %v, want %d, nil", n, err, len(in))
					}
					if committed, _, _ := sink.State(); !bytes.Equal(committed, want) {
						t.Errorf("committed %d bytes, want the %d bytes made with whole reads", len(committed), len(want))
					}
				})
			}
		}
	}
}

func TestRunSourceError(t *testing.T) {
	t.Parallel()
	in := testText(64 << 10)
	half := len(in) / 2
	sources := []struct {
		name string
		r    func() io.Reader
		n    int // bytes before the error
		err  error
	}{
		{"ErrReader", func() io.Reader { return iotest.ErrReader(errSource) }, 0, errSource},
		{"half way", func() io.Reader { return stagetest.ErrAfter(in, half, errSource) }, half, errSource},
		{"DataErrReader", func() io.Reader { return iotest.DataErrReader(stagetest.ErrAfter(in, half, errSource)) }, half, errSource},
		{"HalfReader", func() io.Reader { return iotest.HalfReader(stagetest.ErrAfter(in, half, errSource)) }, half, errSource},
		{"OneByteReader", func() io.Reader { return iotest.OneByteReader(stagetest.ErrAfter(in, 100, errSource)) }, 100, errSource},
		{"WriterTo", func() io.Reader {
			return io.MultiReader(bytes.NewReader(in[:half]), iotest.ErrReader(errSource))
		}, half, errSource},
		{"truncated", func() io.Reader { return stagetest.ErrAfter(in, 1000, io.ErrUnexpectedEOF) }, 1000, io.ErrUnexpectedEOF},
	}
	chains := []struct {
		name   string
		stages func() []stage
	}{
		{"no filters", func() []stage { return nil }},
		{"writer reader", func() []stage {
			return []stage{&wstage{name: "up", fn: upper}, &rstage{name: "rot", fn: rot13}}
		}},
	}
	for _, src := range sources {
		for _, c := range chains {
			for _, name := range []string{"src", ""} {
				for _, rf := range []bool{false, true} {
					t.Run(fmt.Sprintf("%s/%s/SourceName=%q/ReaderFrom=%t", src.name, c.name, name, rf), func(t *testing.T) {
						t.Parallel()
						ss := c.stages()
						sink := &stagetest.MemSink{}
						var s Sink = sink
						if rf {
							s = stagetest.MemSinkRF{MemSink: sink}
						}
						n, err := Run(t.Context(), Chain{Source: src.r(), SourceName: name, Filters: filtersOf(ss), Sink: s, SinkName: "dst"})
						if n != int64(src.n) || !errors.Is(err, src.err) {
							t.Fatalf("Run(...) = %d, %v, want %d, %v", n, err, src.n, src.err)
						}
						var se *Error
						switch {
						case name != "" && (!errors.As(err, &se) || se.Stage != name):
							t.Errorf("Run(...) = %v, want an *Error for stage %q", err, name)
						case name == "" && errors.As(err, &se):
							t.Errorf("Run(...) = %v, named for stage %q, want it unnamed", err, se.Stage)
						}
						failedSink(t, sink)
						closedOnce(t, ss)
						for _, st := range ss {
							if rs, ok := st.(*rstage); ok && !errors.Is(rs.r.srcErr, src.err) {
								t.Errorf("reader stage %q saw %v, want %v", rs.name, rs.r.srcErr, src.err)
							}
						}
					})
				}
			}
		}
	}
}

func TestRunFilterError(t *testing.T) {
	t.Parallel()
	in := testText(64 << 10)
	tests := []struct {
		name   string
		failed string // the stage the error must name
		chain  func() []stage
	}{
		{"writer constructor", "a", func() []stage {
			return []stage{&wstage{name: "a", newErr: errFilter}, &rstage{name: "b"}, &wstage{name: "c"}}
		}},
		{"reader constructor", "b", func() []stage {
			return []stage{&wstage{name: "a"}, &rstage{name: "b", newErr: errFilter}, &wstage{name: "c"}}
		}},
		{"last constructor", "c", func() []stage {
			return []stage{&wstage{name: "a"}, &rstage{name: "b"}, &wstage{name: "c", newErr: errFilter}}
		}},
		{"first writer Write", "a", func() []stage {
			return []stage{&wstage{name: "a", writeErr: errFilter, limit: 1000}, &rstage{name: "b"}, &wstage{name: "c"}}
		}},
		{"reader Read", "b", func() []stage {
			return []stage{&wstage{name: "a"}, &rstage{name: "b", readErr: errFilter, limit: 1000}, &wstage{name: "c"}}
		}},
		{"writer after reader Write", "c", func() []stage {
			return []stage{&wstage{name: "a"}, &rstage{name: "b"}, &wstage{name: "c", writeErr: errFilter, limit: 1000}}
		}},
		{"writer Write at once", "a", func() []stage {
			return []stage{&wstage{name: "a", writeErr: errFilter}, &wstage{name: "c"}}
		}},
		{"writer Close", "a", func() []stage {
			return []stage{&wstage{name: "a", closeErr: errFilter}, &rstage{name: "b"}, &wstage{name: "c"}}
		}},
		{"reader Close", "b", func() []stage {
			return []stage{&wstage{name: "a"}, &rstage{name: "b", closeErr: errFilter}, &wstage{name: "c"}}
		}},
		{"Pipe stage constructor", "p", func() []stage {
			return []stage{&wstage{name: "a"}, &pstage{wstage{name: "p", newErr: errFilter}}, &wstage{name: "c"}}
		}},
		{"Pipe stage Write", "p", func() []stage {
			return []stage{&wstage{name: "a"}, &pstage{wstage{name: "p", writeErr: errFilter, limit: 1000}}, &wstage{name: "c"}}
		}},
		{"Pipe stage Close", "p", func() []stage {
			return []stage{&wstage{name: "a"}, &pstage{wstage{name: "p", closeErr: errFilter}}, &wstage{name: "c"}}
		}},
		{"last writer Close", "c", func() []stage {
			return []stage{&wstage{name: "a"}, &rstage{name: "b"}, &wstage{name: "c", closeErr: errFilter}}
		}},
	}
	for _, tt := range tests {
		for _, cancellable := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/cancellable=%t", tt.name, cancellable), func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				if cancellable {
					ctx = t.Context()
				}
				ss := tt.chain()
				sink := &stagetest.MemSink{}
				_, err := Run(ctx, Chain{Source: bytes.NewReader(in), SourceName: "src", Filters: filtersOf(ss), Sink: sink, SinkName: "dst"})
				var se *Error
				if !errors.Is(err, errFilter) || !errors.As(err, &se) || se.Stage != tt.failed {
					t.Fatalf("Run(...) = %v, want %v named for stage %q", err, errFilter, tt.failed)
				}
				failedSink(t, sink)
				closedOnce(t, ss)
			})
		}
	}
}

// TestRunUnnamed checks that an error is never given the name of a stage it
// did not come from when the stage it came from has no name.
func TestRunUnnamed(t *testing.T) {
	t.Parallel()
	in := testText(64 << 10)
	tests := []struct {
		name  string
		chain func() []stage
		sink  func() *stagetest.MemSink
	}{
		{"sink Write", func() []stage { return nil }, func() *stagetest.MemSink { return &stagetest.MemSink{WriteErr: errSink, Limit: 1000} }},
		{"sink Write after writer", func() []stage { return []stage{&wstage{fn: upper}} },
			func() *stagetest.MemSink { return &stagetest.MemSink{WriteErr: errSink, Limit: 1000} }},
		{"sink Write after reader", func() []stage { return []stage{&rstage{fn: upper}} },
			func() *stagetest.MemSink { return &stagetest.MemSink{WriteErr: errSink, Limit: 1000} }},
		{"writer Write", func() []stage { return []stage{&wstage{writeErr: errFilter, limit: 1000}} }, func() *stagetest.MemSink { return &stagetest.MemSink{} }},
		{"reader Read", func() []stage { return []stage{&rstage{readErr: errFilter, limit: 1000}} }, func() *stagetest.MemSink { return &stagetest.MemSink{} }},
		{"writer Close", func() []stage { return []stage{&wstage{closeErr: errFilter}} }, func() *stagetest.MemSink { return &stagetest.MemSink{} }},
		{"reader Close", func() []stage { return []stage{&rstage{closeErr: errFilter}} }, func() *stagetest.MemSink { return &stagetest.MemSink{} }},
		{"sink Commit", func() []stage { return nil }, func() *stagetest.MemSink { return &stagetest.MemSink{CommitErr: errSink} }},
	}
	sources := []struct {
		name string
		r    func() io.Reader
	}{
		{"WriterTo", func() io.Reader { return bytes.NewReader(in) }},
		{"Read only", func() io.Reader { return stagetest.OnlyReader(bytes.NewReader(in)) }},
	}
	for _, tt := range tests {
		for _, src := range sources {
			for _, cancellable := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/%s/cancellable=%t", tt.name, src.name, cancellable), func(t *testing.T) {
					t.Parallel()
					ctx := context.Background()
					if cancellable {
						ctx = t.Context()
					}
					sink := tt.sink()
					_, err := Run(ctx, Chain{Source: src.r(), SourceName: "src", Filters: filtersOf(tt.chain()), Sink: sink})
					var se *Error
					if err == nil || errors.As(err, &se) {
						t.Fatalf("Run(...) = %v, want an error that names no stage", err)
					}
					abortedSink(t, sink)
				})
			}
		}
	}
}

func TestRunSinkError(t *testing.T) {
	t.Parallel()
	in := testText(64 << 10)
	chains := []struct {
		name   string
		stages func() []stage
	}{
		{"no filters", func() []stage { return nil }},
		{"writer", func() []stage { return []stage{&wstage{name: "up", fn: upper}} }},
		{"reader", func() []stage { return []stage{&rstage{name: "up", fn: upper}} }},
		{"writer reader writer", func() []stage {
			return []stage{&wstage{name: "a", fn: upper}, &rstage{name: "b", fn: rot13}, &wstage{name: "c", trailer: true}}
		}},
		{"Pipe inside a reader", func() []stage { return []stage{&pstage{wstage{name: "p", fn: upper}}} }},
	}
	sources := []struct {
		name string
		r    func() io.Reader
	}{
		{"WriterTo", func() io.Reader { return bytes.NewReader(in) }},
		{"Read only", func() io.Reader { return stagetest.OnlyReader(bytes.NewReader(in)) }},
	}
	for _, c := range chains {
		for _, src := range sources {
			for _, rf := range []bool{false, true} {
				for _, limit := range []int{0, 1000} {
					t.Run(fmt.Sprintf("%s/%s/ReaderFrom=%t/limit=%d", c.name, src.name, rf, limit), func(t *testing.T) {
						t.Parallel()
						ss := c.stages()
						sink := &stagetest.MemSink{WriteErr: errSink, Limit: limit}
						var s Sink = sink
						if rf {
							s = stagetest.MemSinkRF{MemSink: sink}
						}
						_, err := Run(t.Context(), Chain{Source: src.r(), SourceName: "src", Filters: filtersOf(ss), Sink: s, SinkName: "dst"})
						var se *Error
						if !errors.Is(err, errSink) || !errors.As(err, &se) || se.Stage != "dst" {
							t.Fatalf("Run(...) = %v, want %v named for stage %q", err, errSink, "dst")
						}
						failedSink(t, sink)
						closedOnce(t, ss)
					})
				}
			}
		}
	}
}

// TestRunCommit checks the order of commits and that one failure anywhere
// aborts the sink and every Committer, and commits none that comes after.
func TestRunCommit(t *testing.T) {
	t.Parallel()
	in := testText(64 << 10)
	tests := []struct {
		name       string
		source     func() io.Reader
		sinkWrite  error // the sink's Write fails after 1000 bytes
		sinkCommit error
		s1, s2     error // commit errors of the committers
		s3         error
		wantErr    error
		wantStage  string
		commits    string   // the commits, in order
		aborted    []string // what must have been aborted
	}{
		{
			name:    "success",
			source:  func() io.Reader { return bytes.NewReader(in) },
			commits: "sink.commit s1.commit s2.commit s3.commit",
		},
		{
			name:      "source fails",
			source:    func() io.Reader { return stagetest.ErrAfter(in, 1000, errSource) },
			wantErr:   errSource,
			wantStage: "src",
			aborted:   []string{"sink", "s1", "s2", "s3"},
		},
		{
			name:      "sink Write fails",
			source:    func() io.Reader { return bytes.NewReader(in) },
			sinkWrite: errSink,
			wantErr:   errSink,
			wantStage: "dst",
			aborted:   []string{"sink", "s1", "s2", "s3"},
		},
		{
			name:       "sink Commit fails",
			source:     func() io.Reader { return bytes.NewReader(in) },
			sinkCommit: errSink,
			wantErr:    errSink,
			wantStage:  "dst",
			commits:    "sink.commit",
			aborted:    []string{"sink", "s1", "s2", "s3"},
		},
		{
			name:      "middle Committer fails",
			source:    func() io.Reader { return bytes.NewReader(in) },
			s2:        errFilter,
			wantErr:   errFilter,
			wantStage: "s2",
			commits:   "sink.commit s1.commit s2.commit",
			aborted:   []string{"s2", "s3"}, // s1 and the sink may be told, too late
		},
		{
			name:      "reader Committer fails",
			source:    func() io.Reader { return bytes.NewReader(in) },
			s3:        errFilter,
			wantErr:   errFilter,
			wantStage: "s3",
			commits:   "sink.commit s1.commit s2.commit s3.commit",
			aborted:   []string{"s3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			log := &eventLog{}
			sink := &stagetest.MemSink{WriteErr: tt.sinkWrite, Limit: 1000, CommitErr: tt.sinkCommit, OnEvent: log.sinkEvent}
			ss := []stage{
				&wstage{name: "s1", committer: true, commitErr: tt.s1, log: log},
				&wstage{name: "plain", fn: upper, log: log},
				&wstage{name: "s2", committer: true, commitErr: tt.s2, log: log},
				&rstage{name: "s3", committer: true, commitErr: tt.s3, log: log},
			}
			_, err := Run(t.Context(), Chain{Source: tt.source(), SourceName: "src", Filters: filtersOf(ss), Sink: sink, SinkName: "dst"})
			var se *Error
			switch {
			case tt.wantErr == nil && err != nil:
				t.Fatalf("Run(...) = %v, want nil", err)
			case tt.wantErr != nil && (!errors.Is(err, tt.wantErr) || !errors.As(err, &se) || se.Stage != tt.wantStage):
				t.Fatalf("Run(...) = %v, want %v named for stage %q", err, tt.wantErr, tt.wantStage)
			}
			if got := log.only(".commit"); got != tt.commits {
				t.Errorf("commits: %q, want %q", got, tt.commits)
			}
			for _, name := range tt.aborted {
				if !strings.Contains(log.only(".abort"), name+".abort") {
					t.Errorf("%s not aborted, want aborted (events %q)", name, log.events)
				}
			}
			if tt.wantErr == nil && log.only(".abort") != "" {
				t.Errorf("aborts %q on success, want none", log.only(".abort"))
			}
			closedOnce(t, ss)
			if closes := log.only(".close"); tt.wantErr == nil && closes != "s1.close plain.close s2.close s3.close" {
				t.Errorf("closes: %q, want each filter closed from the top", closes)
			}
		})
	}
}

func TestRunContext(t *testing.T) {
	t.Parallel()
	in := testText(64 << 10)
	chains := []struct {
		name   string
		stages func() []stage
	}{
		{"no filters", func() []stage { return nil }},
		{"writer reader", func() []stage {
			return []stage{&wstage{name: "up", fn: upper}, &rstage{name: "rot", fn: rot13}}
		}},
	}
	for _, c := range chains {
		t.Run("cancelled before/"+c.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			src := newBlockingSource(in)
			sink := &stagetest.MemSink{}
			ss := c.stages()
			n, err := Run(ctx, Chain{Source: src, SourceName: "src", Filters: filtersOf(ss), Sink: sink, SinkName: "dst"})
			if n != 0 || !errors.Is(err, context.Canceled) {
				t.Fatalf("Run(cancelled) = %d, %v, want 0, %v", n, err, context.Canceled)
			}
			if taken := len(sink.Taken()); taken != 0 {
				t.Errorf("sink took %d bytes, want 0", taken)
			}
			failedSink(t, sink)
			closedOnce(t, ss)
			waitClosed(t, src)
		})
		t.Run("cancelled while the source blocks/"+c.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			src := newBlockingSource(in)
			go func() {
				<-src.blocked
				cancel()
			}()
			sink := &stagetest.MemSink{}
			ss := c.stages()
			n, err := runWithin(t, ctx, Chain{Source: src, SourceName: "src", Filters: filtersOf(ss), Sink: sink, SinkName: "dst"})
			if n != int64(len(in)) || !errors.Is(err, context.Canceled) {
				t.Fatalf("Run(...) = %d, %v, want %d, %v", n, err, len(in), context.Canceled)
			}
			failedSink(t, sink)
			closedOnce(t, ss)
			waitClosed(t, src)
		})
		t.Run("deadline while the source blocks/"+c.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
			defer cancel()
			src := newBlockingSource(in)
			sink := &stagetest.MemSink{}
			ss := c.stages()
			_, err := runWithin(t, ctx, Chain{Source: src, Filters: filtersOf(ss), Sink: sink})
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Run(...) = %v, want %v", err, context.DeadlineExceeded)
			}
			failedSink(t, sink)
			waitClosed(t, src)
		})
		t.Run("cancelled by the sink/"+c.name, func(t *testing.T) {
			t.Parallel()
			// An endless source that cannot be closed: the copy loop itself
			// must notice.
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			const stopAt = 256 << 10
			sink := &stagetest.MemSink{OnWrite: func(total int) {
				if total >= stopAt {
					cancel()
				}
			}}
			ss := c.stages()
			src := stagetest.OnlyReader(iotest.HalfReader(endless{}))
			_, err := Run(ctx, Chain{Source: src, Filters: filtersOf(ss), Sink: sink, Buffer: make([]byte, 4096)})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Run(...) = %v, want %v", err, context.Canceled)
			}
			// A few buffers may be in flight between the stages.
			if taken := len(sink.Taken()); taken > stopAt+256<<10 {
				t.Errorf("sink took %d bytes, want the copy stopped soon after %d", taken, stopAt)
			}
			failedSink(t, sink)
			closedOnce(t, ss)
		})
	}
}

// endless is a source of 'x' that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

func TestRunBadChain(t *testing.T) {
	t.Parallel()
	if _, err := Run(t.Context(), Chain{Sink: &stagetest.MemSink{}}); err == nil {
		t.Errorf("Run(no source) = nil, want an error")
	}
	if _, err := Run(t.Context(), Chain{Source: strings.NewReader("x")}); err == nil {
		t.Errorf("Run(no sink) = nil, want an error")
	}
	sink := &stagetest.MemSink{}
	below := &wstage{name: "below"}
	_, err := Run(t.Context(), Chain{
		Source:  strings.NewReader("x"),
		Filters: []Filter{{Name: "empty"}, below.filter()},
		Sink:    sink,
	})
	var se *Error
	if !errors.As(err, &se) || se.Stage != "empty" {
		t.Errorf("Run(empty filter) = %v, want an error named for stage %q", err, "empty")
	}
	failedSink(t, sink)
	if below.closes() != 1 {
		t.Errorf("filter below the empty one closed %d times, want 1", below.closes())
	}
}

func TestStdoutSink(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	s := StdoutSink(&buf)
	if _, ok := s.(io.ReaderFrom); !ok {
		t.Errorf("StdoutSink(*bytes.Buffer) is no io.ReaderFrom, want the fast path kept")
	}
	if _, ok := StdoutSink(stagetest.OnlyWriter(&buf)).(io.ReaderFrom); ok {
		t.Errorf("StdoutSink(Write only) is an io.ReaderFrom, want none")
	}
	in := testText(10 << 10)
	for _, src := range []io.Reader{bytes.NewReader(in), stagetest.OnlyReader(bytes.NewReader(in))} {
		buf.Reset()
		n, err := Run(t.Context(), Chain{Source: src, Sink: s})
		if n != int64(len(in)) || err != nil || !bytes.Equal(buf.Bytes(), in) {
			t.Errorf("Run(StdoutSink) = %d, %v with %d bytes out, want %d, nil with all", n, err, buf.Len(), len(in))
		}
	}
	if err := s.Commit(); err != nil {
		t.Errorf("Commit() = %v, want nil", err)
	}
	if err := s.Abort(); err != nil {
		t.Errorf("Abort() = %v, want nil", err)
	}
}

func TestNamed(t *testing.T) {
	t.Parallel()
	plain := errors.New("plain")
	named := &Error{Stage: "fgz", Err: plain}
	wrapped := fmt.Errorf("context: %w", named)
	tests := []struct {
		name  string
		stage string
		err   error
		want  error // returned as it is
	}{
		{"nil", "fgz", nil, nil},
		{"io.EOF", "fgz", io.EOF, io.EOF},
		{"already named", "fsink", named, named},
		{"wrapped named", "fsink", wrapped, wrapped},
		{"empty name", "", plain, plain},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Named(tt.stage, tt.err); got != tt.want {
				t.Errorf("Named(%q, %v) = %v, want %v unchanged", tt.stage, tt.err, got, tt.want)
			}
		})
	}
	for _, err := range []error{plain, io.ErrUnexpectedEOF, fmt.Errorf("wrapped: %w", plain)} {
		got := Named("fgz", err)
		var se *Error
		if !errors.As(got, &se) || se.Stage != "fgz" || se.Err != err || !errors.Is(got, err) {
			t.Errorf("Named(%q, %v) = %#v, want &Error{Stage: %q, Err: %v}", "fgz", err, got, "fgz", err)
		}
		if want := "fgz: " + err.Error(); got.Error() != want {
			t.Errorf("Named(%q, %v).Error() = %q, want %q", "fgz", err, got.Error(), want)
		}
	}
}
