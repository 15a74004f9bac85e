package stages

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/fpipe/fpipe/internal/stagetest"
)

// pipeFilters are writer stages, with what they make of their input.
var pipeFilters = []struct {
	name  string
	stage func() *wstage
	want  func(in []byte) []byte
}{
	{"identity", func() *wstage { return &wstage{} }, func(in []byte) []byte { return in }},
	{"upper", func() *wstage { return &wstage{fn: upper} }, upper},
	{"trailer", func() *wstage { return &wstage{fn: rot13, trailer: true} }, func(in []byte) []byte {
		return fmt.Appendf(rot13(in), "[%d]", len(in))
	}},
}

func TestPipe(t *testing.T) {
	t.Parallel()
	in := testText(20 << 10)
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
	reads := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"ReadAll", func(r io.Reader) io.Reader { return r }},
		{"HalfReader", iotest.HalfReader},
	}
	for _, f := range pipeFilters {
		for _, src := range sources {
			for _, rd := range reads {
				t.Run(f.name+"/"+src.name+"/"+rd.name, func(t *testing.T) {
					t.Parallel()
					s := f.stage()
					r := Pipe(src.r(), s.build)
					got, err := io.ReadAll(rd.wrap(r))
					if want := f.want(in); err != nil || !bytes.Equal(got, want) {
						t.Errorf("ReadAll(Pipe(...)) = %d bytes, %v, want %d bytes, nil", len(got), err, len(want))
					}
					if err := r.Close(); err != nil {
						t.Errorf("Close() = %v, want nil", err)
					}
					if s.closes() != 1 {
						t.Errorf("stage closed %d times, want 1", s.closes())
					}
				})
			}
		}
	}
}

func TestPipeTestReader(t *testing.T) {
	t.Parallel()
	for _, size := range []int{0, 1, 100, 300 << 10} {
		for _, f := range pipeFilters {
			t.Run(fmt.Sprintf("%s/%d", f.name, size), func(t *testing.T) {
				t.Parallel()
				in := testText(size)
				r := Pipe(bytes.NewReader(in), f.stage().build)
				defer r.Close()
				if err := iotest.TestReader(r, f.want(in)); err != nil {
					t.Errorf("iotest.TestReader(Pipe(...)) = %v, want nil", err)
				}
			})
		}
	}
}

func TestPipeError(t *testing.T) {
	t.Parallel()
	in := testText(20 << 10)
	tests := []struct {
		name    string
		src     func() io.Reader
		stage   *wstage
		want    []byte // what is read before the error
		wantErr error
	}{
		{"ErrReader", func() io.Reader { return iotest.ErrReader(errSource) }, &wstage{fn: upper}, nil, errSource},
		{"source fails half way", func() io.Reader { return stagetest.ErrAfter(in, 1000, errSource) }, &wstage{fn: upper}, upper(in[:1000]), errSource},
		{"DataErrReader", func() io.Reader { return iotest.DataErrReader(stagetest.ErrAfter(in, 1000, errSource)) }, &wstage{}, in[:1000], errSource},
		{"truncated source", func() io.Reader { return stagetest.ErrAfter(in, 1000, io.ErrUnexpectedEOF) }, &wstage{}, in[:1000], io.ErrUnexpectedEOF},
		{"stage constructor", func() io.Reader { return bytes.NewReader(in) }, &wstage{newErr: errFilter}, nil, errFilter},
		{"stage Write", func() io.Reader { return bytes.NewReader(in) }, &wstage{writeErr: errFilter, limit: 1000}, in[:1000], errFilter},
		{"stage Close", func() io.Reader { return bytes.NewReader(in) }, &wstage{closeErr: errFilter}, in, errFilter},
		{"stage Close after the source failed", func() io.Reader { return stagetest.ErrAfter(in, 1000, errSource) },
			&wstage{closeErr: errFilter}, in[:1000], errSource},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := Pipe(tt.src(), tt.stage.build)
			defer r.Close()
			got, err := io.ReadAll(r)
			if !errors.Is(err, tt.wantErr) || !bytes.Equal(got, tt.want) {
				t.Errorf("ReadAll(Pipe(...)) = %d bytes, %v, want %d bytes, %v", len(got), err, len(tt.want), tt.wantErr)
			}
			if n, err := r.Read(make([]byte, 10)); n != 0 || !errors.Is(err, tt.wantErr) {
				t.Errorf("Read after the error = %d, %v, want 0, %v again", n, err, tt.wantErr)
			}
			if c := tt.stage.closes(); c != 1 && tt.stage.newErr == nil {
				t.Errorf("stage closed %d times, want 1", c)
			}
		})
	}
}

func TestPipeClose(t *testing.T) {
	t.Parallel()
	t.Run("while the stage writes", func(t *testing.T) {
		t.Parallel()
		s := &wstage{fn: upper}
		r := Pipe(stagetest.OnlyReader(endless{}), s.build)
		buf := make([]byte, 10)
		if _, err := io.ReadFull(r, buf); err != nil || string(buf) != "XXXXXXXXXX" {
			t.Fatalf("ReadFull(Pipe(...)) = %q, %v, want %q, nil", buf, err, "XXXXXXXXXX")
		}
		if err := r.Close(); err != nil {
			t.Errorf("Close() = %v, want nil", err)
		}
		// Close waited for the goroutine: the stage is closed, and its
		// blocked Write was told why.
		if !errors.Is(s.w.err, ErrAborted) || s.closes() != 1 {
			t.Errorf("stage: write error %v, closed %d times, want %v, 1", s.w.err, s.closes(), ErrAborted)
		}
		if n, err := r.Read(buf); n != 0 || err == nil || err == io.EOF {
			t.Errorf("Read after Close = %d, %v, want 0 and an error other than EOF", n, err)
		}
		if err := r.Close(); err != nil {
			t.Errorf("second Close() = %v, want nil", err)
		}
	})
	t.Run("before any read", func(t *testing.T) {
		t.Parallel()
		s := &wstage{trailer: true}
		r := Pipe(strings.NewReader("abc"), s.build)
		if err := r.Close(); err != nil {
			t.Errorf("Close() = %v, want nil", err)
		}
		select {
		case <-r.(*pipeReader).done:
		default:
			t.Errorf("Close() returned before the goroutine ended")
		}
	})
	t.Run("after EOF", func(t *testing.T) {
		t.Parallel()
		r := Pipe(strings.NewReader("abc"), (&wstage{}).build)
		if got, err := io.ReadAll(r); err != nil || string(got) != "abc" {
			t.Errorf("ReadAll(Pipe(...)) = %q, %v, want %q, nil", got, err, "abc")
		}
		if err := r.Close(); err != nil {
			t.Errorf("Close() = %v, want nil", err)
		}
	})
	t.Run("waits for the pending read of the source", func(t *testing.T) {
		t.Parallel()
		src := newBlockingSource(nil)
		r := Pipe(src, (&wstage{}).build)
		<-src.blocked
		closed := make(chan error, 1)
		go func() { closed <- r.Close() }()
		select {
		case err := <-closed:
			t.Fatalf("Close() = %v while the source was still in Read, want it to wait", err)
		case <-time.After(20 * time.Millisecond):
		}
		src.Close()
		select {
		case err := <-closed:
			if err != nil {
				t.Errorf("Close() = %v, want nil", err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("Close() did not return once the source's Read did")
		}
	})
}

// writePatterns write in to w in different ways.
var writePatterns = []struct {
	name  string
	many  bool // many small writes, not one or two big ones
	write func(w io.Writer, in []byte) error
}{
	{"one Write", false, func(w io.Writer, in []byte) error {
		n, err := w.Write(in)
		if err == nil && n != len(in) {
			err = fmt.Errorf("Write(%d bytes) = %d, nil", len(in), n)
		}
		return err
	}},
	{"1-byte writes", true, func(w io.Writer, in []byte) error { return writeIn(w, in, 1) }},
	{"7-byte writes", true, func(w io.Writer, in []byte) error { return writeIn(w, in, 7) }},
	{"io.Copy from HalfReader", false, func(w io.Writer, in []byte) error {
		_, err := io.Copy(w, iotest.HalfReader(bytes.NewReader(in)))
		return err
	}},
}

// writeIn writes in to w in pieces of size bytes.
func writeIn(w io.Writer, in []byte, size int) error {
	for p := in; len(p) > 0; {
		q := p[:min(size, len(p))]
		n, err := w.Write(q)
		if err != nil {
			return err
		}
		if n != len(q) {
			return fmt.Errorf("Write(%d bytes) = %d, nil", len(q), n)
		}
		p = p[n:]
	}
	return nil
}

func TestPipeWriter(t *testing.T) {
	t.Parallel()
	in := testText(10 << 10)
	stages := []struct {
		name string
		fn   func([]byte) []byte
	}{
		{"identity", nil},
		{"upper", upper},
	}
	for _, st := range stages {
		for _, wp := range writePatterns {
			for _, in := range [][]byte{in, {}} {
				t.Run(fmt.Sprintf("%s/%s/%d", st.name, wp.name, len(in)), func(t *testing.T) {
					t.Parallel()
					s := &rstage{fn: st.fn}
					var dst bytes.Buffer
					w, err := PipeWriter(&dst, s.build)
					if err != nil {
						t.Fatalf("PipeWriter(...) = %v, want nil", err)
					}
					if err := wp.write(w, in); err != nil {
						t.Errorf("writing: %v, want nil", err)
					}
					if err := w.Close(); err != nil {
						t.Errorf("Close() = %v, want nil", err)
					}
					want := in
					if st.fn != nil {
						want = st.fn(in)
					}
					if !bytes.Equal(dst.Bytes(), want) {
						t.Errorf("dst got %d bytes, want %d", dst.Len(), len(want))
					}
					if s.closes() != 1 || s.r.srcErr != nil {
						t.Errorf("stage: closed %d times, read error %v, want 1, nil", s.closes(), s.r.srcErr)
					}
				})
			}
		}
	}
}

func TestPipeWriterError(t *testing.T) {
	t.Parallel()
	in := testText(10 << 10)
	tests := []struct {
		name     string
		stage    *rstage
		dst      *stagetest.MemSink
		wantW    error // the error writing must end with; nil: writing succeeds
		dstFails bool  // dst fails, which a Write can see only after it returned
		wantC    error // the error of Close
		wantDst  []byte
		wantRead int // bytes the stage read; -1: do not check
	}{
		{"stage Read", &rstage{readErr: errFilter, limit: 100}, &stagetest.MemSink{}, errFilter, false, errFilter, in[:100], 100},
		{"stage Read at once", &rstage{readErr: errFilter}, &stagetest.MemSink{}, errFilter, false, errFilter, nil, 0},
		{"stage Close", &rstage{closeErr: errFilter}, &stagetest.MemSink{}, nil, false, errFilter, in, len(in)},
		{"dst Write", &rstage{fn: upper}, &stagetest.MemSink{WriteErr: errSink, Limit: 100}, errSink, true, errSink, upper(in[:100]), -1},
		{"dst Write at once", &rstage{}, &stagetest.MemSink{WriteErr: errSink}, errSink, true, errSink, nil, -1},
	}
	for _, tt := range tests {
		for _, wp := range writePatterns {
			t.Run(tt.name+"/"+wp.name, func(t *testing.T) {
				t.Parallel()
				s := &rstage{fn: tt.stage.fn, readErr: tt.stage.readErr, limit: tt.stage.limit, closeErr: tt.stage.closeErr}
				dst := &stagetest.MemSink{WriteErr: tt.dst.WriteErr, Limit: tt.dst.Limit}
				w, err := PipeWriter(dst, s.build)
				if err != nil {
					t.Fatalf("PipeWriter(...) = %v, want nil", err)
				}
				err = wp.write(w, in)
				switch {
				case tt.dstFails && !wp.many && err == nil:
					// All was taken before dst failed: Close must tell.
				case !errors.Is(err, tt.wantW) || (tt.wantW == nil) != (err == nil):
					t.Errorf("writing: %v, want %v", err, tt.wantW)
				}
				if err := w.Close(); !errors.Is(err, tt.wantC) {
					t.Errorf("Close() = %v, want %v", err, tt.wantC)
				}
				if got := dst.Taken(); !bytes.Equal(got, tt.wantDst) {
					t.Errorf("dst got %d bytes, want %d", len(got), len(tt.wantDst))
				}
				if tt.wantRead >= 0 && s.r.n != tt.wantRead {
					t.Errorf("stage read %d bytes, want %d", s.r.n, tt.wantRead)
				}
				if s.closes() != 1 {
					t.Errorf("stage closed %d times, want 1", s.closes())
				}
			})
		}
	}
}

func TestPipeWriterConstructorError(t *testing.T) {
	t.Parallel()
	w, err := PipeWriter(io.Discard, (&rstage{newErr: errFilter}).build)
	if w != nil || err != errFilter {
		t.Errorf("PipeWriter(failing stage) = %v, %v, want nil, %v", w, err, errFilter)
	}
}

func TestPipeWriterCloseWithError(t *testing.T) {
	t.Parallel()
	in := testText(1000)
	s := &rstage{}
	var dst bytes.Buffer
	w, err := PipeWriter(&dst, s.build)
	if err != nil {
		t.Fatalf("PipeWriter(...) = %v, want nil", err)
	}
	if _, err := w.Write(in); err != nil {
		t.Fatalf("Write(...) = %v, want nil", err)
	}
	cw, ok := w.(interface{ CloseWithError(error) error })
	if !ok {
		t.Fatalf("PipeWriter(...) has no CloseWithError, want one")
	}
	if err := cw.CloseWithError(errSource); !errors.Is(err, errSource) {
		t.Errorf("CloseWithError(%v) = %v, want %v", errSource, err, errSource)
	}
	if !errors.Is(s.r.srcErr, errSource) || s.closes() != 1 {
		t.Errorf("stage: read error %v, closed %d times, want %v, 1", s.r.srcErr, s.closes(), errSource)
	}
	if !bytes.Equal(dst.Bytes(), in) {
		t.Errorf("dst got %d bytes, want the %d written before", dst.Len(), len(in))
	}
	if _, err := w.Write(in); err == nil {
		t.Errorf("Write after CloseWithError = nil, want an error")
	}
}

// TestPipeWriterStageEndsEarly checks that a stage that stops reading before
// its input ends makes the writer fail, not block nor drop bytes quietly.
func TestPipeWriterStageEndsEarly(t *testing.T) {
	t.Parallel()
	in := testText(1000)
	var dst bytes.Buffer
	w, err := PipeWriter(&dst, func(src io.Reader) (io.ReadCloser, error) {
		return io.NopCloser(io.LimitReader(src, 10)), nil
	})
	if err != nil {
		t.Fatalf("PipeWriter(...) = %v, want nil", err)
	}
	if n, err := w.Write(in); n != 10 || err == nil {
		t.Errorf("Write(%d bytes) = %d, %v, want 10 and an error", len(in), n, err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("Close() = %v, want nil: the stage itself succeeded", err)
	}
	if !bytes.Equal(dst.Bytes(), in[:10]) {
		t.Errorf("dst = %q, want %q", dst.Bytes(), in[:10])
	}
}

// TestGoroutineLeaks counts goroutines around the adapters; it must not run
// in parallel with other tests.
func TestGoroutineLeaks(t *testing.T) {
	in := testText(200 << 10)
	adapters := func() []stage {
		return []stage{
			&rstage{name: "a", fn: upper},
			&wstage{name: "b", fn: rot13},
			&pstage{wstage{name: "c", trailer: true}},
			&rstage{name: "d"},
		}
	}
	tests := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"Run succeeds", func(t *testing.T) {
			sink := &stagetest.MemSink{}
			if _, err := Run(t.Context(), Chain{Source: bytes.NewReader(in), Filters: filtersOf(adapters()), Sink: sink}); err != nil {
				t.Errorf("Run(...) = %v, want nil", err)
			}
		}},
		{"Run with a failing source", func(t *testing.T) {
			if _, err := Run(t.Context(), Chain{Source: stagetest.ErrAfter(in, len(in)/2, errSource), Filters: filtersOf(adapters()), Sink: &stagetest.MemSink{}}); !errors.Is(err, errSource) {
				t.Errorf("Run(...) = %v, want %v", err, errSource)
			}
		}},
		{"Run with a failing sink", func(t *testing.T) {
			sink := &stagetest.MemSink{WriteErr: errSink, Limit: 1000}
			if _, err := Run(t.Context(), Chain{Source: bytes.NewReader(in), Filters: filtersOf(adapters()), Sink: sink}); !errors.Is(err, errSink) {
				t.Errorf("Run(...) = %v, want %v", err, errSink)
			}
		}},
		{"Run with a failing constructor", func(t *testing.T) {
			ss := append([]stage{&wstage{name: "x", newErr: errFilter}}, adapters()...)
			if _, err := Run(t.Context(), Chain{Source: bytes.NewReader(in), Filters: filtersOf(ss), Sink: &stagetest.MemSink{}}); !errors.Is(err, errFilter) {
				t.Errorf("Run(...) = %v, want %v", err, errFilter)
			}
		}},
		{"Run cancelled", func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			src := newBlockingSource(in)
			go func() {
				<-src.blocked
				cancel()
			}()
			if _, err := Run(ctx, Chain{Source: src, Filters: filtersOf(adapters()), Sink: &stagetest.MemSink{}}); !errors.Is(err, context.Canceled) {
				t.Errorf("Run(...) = %v, want %v", err, context.Canceled)
			}
		}},
		{"Pipe closed while the stage writes", func(t *testing.T) {
			r := Pipe(stagetest.OnlyReader(endless{}), (&wstage{fn: upper}).build)
			if _, err := io.ReadFull(r, make([]byte, 100)); err != nil {
				t.Errorf("ReadFull(Pipe(...)) = %v, want nil", err)
			}
			r.Close()
		}},
		{"Pipe closed unread", func(t *testing.T) {
			Pipe(bytes.NewReader(in), (&wstage{}).build).Close()
		}},
		{"PipeWriter whose stage failed", func(t *testing.T) {
			w, _ := PipeWriter(io.Discard, (&rstage{readErr: errFilter, limit: 10}).build)
			w.Write(in)
			w.Close()
		}},
		{"PipeWriter whose dst failed", func(t *testing.T) {
			w, _ := PipeWriter(&stagetest.MemSink{WriteErr: errSink}, (&rstage{}).build)
			w.Write(in)
			w.Close()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := runtime.NumGoroutine()
			tt.run(t)
			checkGoroutines(t, before)
		})
	}
}
