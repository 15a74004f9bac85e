package stages

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/fpipe/fpipe/internal/stagetest"
)

// copyCtxs are the two kinds of context Copy tells apart: one that can never
// be done (io.Copy itself) and one that can (its own loop).
func copyCtxs(t *testing.T) []struct {
	name string
	ctx  context.Context
} {
	return []struct {
		name string
		ctx  context.Context
	}{
		{"Background", context.Background()},
		{"cancellable", t.Context()},
	}
}

// rfRecorder is an io.ReaderFrom that checks every byte is 'x' and records
// what readers it was given.
type rfRecorder struct {
	n          int64
	bad        int64 // bytes that were not 'x'
	calls      int
	maxN       int64 // the largest limit of an *io.LimitedReader it was given
	notLimited int   // readers that were not *io.LimitedReader
	writes     int
	onData     func(total int64) // called after each read with the bytes so far
}

func (r *rfRecorder) Write(p []byte) (int, error) {
	r.writes++
	r.take(p)
	return len(p), nil
}

func (r *rfRecorder) take(p []byte) {
	for _, c := range p {
		if c != 'x' {
			r.bad++
		}
	}
	r.n += int64(len(p))
	if r.onData != nil {
		r.onData(r.n)
	}
}

func (r *rfRecorder) ReadFrom(src io.Reader) (int64, error) {
	r.calls++
	if lr, ok := src.(*io.LimitedReader); ok {
		r.maxN = max(r.maxN, lr.N)
	} else {
		r.notLimited++
	}
	buf := make([]byte, 64<<10)
	var n int64
	for {
		k, err := src.Read(buf)
		r.take(buf[:k])
		n += int64(k)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

func TestCopyMatchesIOCopy(t *testing.T) {
	t.Parallel()
	in := testText(300 << 10)
	readers := []struct {
		name string
		r    func() io.Reader
	}{
		{"bytes.Reader", func() io.Reader { return bytes.NewReader(in) }},
		{"Read only", func() io.Reader { return stagetest.OnlyReader(bytes.NewReader(in)) }},
		{"OneByteReader", func() io.Reader { return iotest.OneByteReader(bytes.NewReader(in[:5000])) }},
		{"HalfReader", func() io.Reader { return iotest.HalfReader(bytes.NewReader(in)) }},
		{"DataErrReader", func() io.Reader { return iotest.DataErrReader(bytes.NewReader(in)) }},
		{"TimeoutReader", func() io.Reader { return iotest.TimeoutReader(bytes.NewReader(in[:500])) }}, // within one read
		{"ErrReader", func() io.Reader { return iotest.ErrReader(errSource) }},
		{"error half way", func() io.Reader { return stagetest.ErrAfter(in, len(in)/2, errSource) }},
		{"DataErrReader error", func() io.Reader { return iotest.DataErrReader(stagetest.ErrAfter(in, 777, errSource)) }},
		{"MultiReader", func() io.Reader {
			return io.MultiReader(bytes.NewReader(in[:1000]), stagetest.OnlyReader(bytes.NewReader(in[1000:])))
		}},
		{"LimitReader", func() io.Reader { return io.LimitReader(bytes.NewReader(in), 12345) }},
		{"empty", func() io.Reader { return strings.NewReader("") }},
	}
	writers := []struct {
		name string
		w    func() (io.Writer, func() []byte)
	}{
		{"bytes.Buffer", func() (io.Writer, func() []byte) {
			b := new(bytes.Buffer)
			return b, b.Bytes
		}},
		{"Write only", func() (io.Writer, func() []byte) {
			b := new(bytes.Buffer)
			return stagetest.OnlyWriter(b), b.Bytes
		}},
		{"TruncateWriter", func() (io.Writer, func() []byte) {
			b := new(bytes.Buffer)
			return iotest.TruncateWriter(b, 1000), b.Bytes
		}},
		{"failing", func() (io.Writer, func() []byte) {
			s := &stagetest.MemSink{WriteErr: errSink, Limit: 1000}
			return s, s.Taken
		}},
		{"failing ReaderFrom", func() (io.Writer, func() []byte) {
			s := &stagetest.MemSink{WriteErr: errSink, Limit: 1000}
			return stagetest.MemSinkRF{MemSink: s}, s.Taken
		}},
	}
	for _, r := range readers {
		for _, w := range writers {
			t.Run(r.name+"/"+w.name, func(t *testing.T) {
				t.Parallel()
				wdst, wout := w.w()
				wantN, wantErr := io.Copy(wdst, r.r())
				want := wout()
				for _, c := range copyCtxs(t) {
					for _, size := range []int{0, 1000} {
						var buf []byte
						if size > 0 {
							buf = make([]byte, size)
						}
						dst, out := w.w()
						n, err := Copy(c.ctx, dst, r.r(), buf)
						if n != wantN || err != wantErr {
							t.Errorf("Copy(%s, buffer %d) = %d, %v, want %d, %v as io.Copy", c.name, size, n, err, wantN, wantErr)
						}
						if got := out(); !bytes.Equal(got, want) {
							t.Errorf("Copy(%s, buffer %d) wrote %d bytes, want the %d bytes of io.Copy", c.name, size, len(got), len(want))
						}
					}
				}
			})
		}
	}
}

func TestCopyReaderFrom(t *testing.T) {
	t.Parallel()
	for _, size := range []int64{0, 1, 100 << 10, 2*chunk + 123} {
		for _, c := range copyCtxs(t) {
			for _, kind := range []string{"reader", "file"} {
				t.Run(fmt.Sprintf("%d/%s/%s", size, c.name, kind), func(t *testing.T) {
					t.Parallel()
					var src io.Reader = stagetest.OnlyReader(io.LimitReader(endless{}, size))
					if kind == "file" {
						src = xFile(t, size)
					}
					dst := &rfRecorder{}
					n, err := Copy(c.ctx, dst, src, nil)
					if n != size || err != nil {
						t.Fatalf("Copy(...) = %d, %v, want %d, nil", n, err, size)
					}
					if dst.n != size || dst.bad != 0 {
						t.Errorf("dst took %d bytes, %d of them wrong, want %d, 0", dst.n, dst.bad, size)
					}
					if dst.calls == 0 || dst.writes != 0 {
						t.Errorf("dst: %d ReadFrom calls, %d writes, want ReadFrom only", dst.calls, dst.writes)
					}
					switch {
					case c.ctx.Done() == nil:
					case kind == "file":
						// The form *os.File's ReadFrom recognises, a chunk at a time.
						if dst.notLimited != 0 || dst.maxN > chunk {
							t.Errorf("dst.ReadFrom got %d readers that were no *io.LimitedReader and a limit up to %d, want chunks of at most %d", dst.notLimited, dst.maxN, chunk)
						}
						if want := int(size/chunk) + 1; dst.calls != want {
							t.Errorf("dst: %d ReadFrom calls, want %d", dst.calls, want)
						}
					default:
						// No descriptor for the kernel: one call, the context
						// checked at each read.
						if dst.calls != 1 {
							t.Errorf("dst: %d ReadFrom calls, want 1", dst.calls)
						}
					}
				})
			}
		}
	}
}

// xFile returns a file of size bytes 'x', open for reading at its start.
func xFile(t *testing.T, size int64) *os.File {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "x"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if _, err := io.Copy(f, io.LimitReader(endless{}, size)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	return f
}

// wtSource is an io.WriterTo whose Read must not be called. It can be
// closed, so Copy may hand it the copy.
type wtSource struct {
	data  []byte
	calls int
	reads int
}

func (s *wtSource) Close() error { return nil }

func (s *wtSource) Read(p []byte) (int, error) {
	s.reads++
	return 0, errors.New("Read called, want WriteTo")
}

func (s *wtSource) WriteTo(w io.Writer) (int64, error) {
	s.calls++
	var n int64
	for p := s.data; len(p) > 0; {
		k, err := w.Write(p[:min(len(p), 1000)])
		n += int64(k)
		p = p[k:]
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func TestCopyWriterTo(t *testing.T) {
	t.Parallel()
	in := testText(10 << 10)
	for _, c := range copyCtxs(t) {
		for _, rf := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/ReaderFrom=%t", c.name, rf), func(t *testing.T) {
				t.Parallel()
				src := &wtSource{data: in}
				var out bytes.Buffer
				var dst io.Writer = stagetest.OnlyWriter(&out)
				if rf {
					dst = &out
				}
				n, err := Copy(c.ctx, dst, src, nil)
				if n != int64(len(in)) || err != nil {
					t.Fatalf("Copy(...) = %d, %v, want %d, nil", n, err, len(in))
				}
				if src.calls != 1 || src.reads != 0 {
					t.Errorf("src: %d WriteTo calls, %d reads, want 1, 0", src.calls, src.reads)
				}
				if !bytes.Equal(out.Bytes(), in) {
					t.Errorf("Copy(...) wrote %d bytes, want the %d of the source", out.Len(), len(in))
				}
			})
		}
	}
}

// openWT is an io.WriterTo that cannot be closed.
type openWT struct {
	r     *bytes.Reader
	calls int
}

func (s *openWT) Read(p []byte) (int, error) { return s.r.Read(p) }
func (s *openWT) WriteTo(w io.Writer) (int64, error) {
	s.calls++
	return s.r.WriteTo(w)
}

// A source that cannot be closed cannot be stopped inside its WriteTo
// (bytes.Reader's writes everything at once): Copy reads it, and checks
// the context between reads.
func TestCopyWriterToUnclosable(t *testing.T) {
	t.Parallel()
	in := testText(1 << 20)
	for _, c := range copyCtxs(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			src := &openWT{r: bytes.NewReader(in)}
			var out bytes.Buffer
			n, err := Copy(c.ctx, stagetest.OnlyWriter(&out), src, nil)
			if n != int64(len(in)) || err != nil || !bytes.Equal(out.Bytes(), in) {
				t.Fatalf("Copy(...) = %d, %v, want %d, nil and the source's bytes", n, err, len(in))
			}
			if want := c.ctx.Done() == nil; (src.calls == 1) != want {
				t.Errorf("src: %d WriteTo calls, want WriteTo used: %t", src.calls, want)
			}
		})
	}
	for _, rf := range []bool{false, true} {
		t.Run(fmt.Sprintf("cancelled/ReaderFrom=%t", rf), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			const stopAt = 200 << 10
			sink := &stagetest.MemSink{OnWrite: func(total int) {
				if total >= stopAt {
					cancel()
				}
			}}
			var dst io.Writer = stagetest.OnlyWriter(sink)
			if rf {
				dst = stagetest.MemSinkRF{MemSink: sink}
			}
			n, err := Copy(ctx, dst, &openWT{r: bytes.NewReader(in)}, make([]byte, 32<<10))
			if err != context.Canceled || n < stopAt || n > stopAt+DefaultBufferSize {
				t.Errorf("Copy(...) = %d, %v, want in [%d, %d], %v", n, err, stopAt, stopAt+DefaultBufferSize, context.Canceled)
			}
		})
	}
}

func TestCopyShortWrite(t *testing.T) {
	t.Parallel()
	in := testText(10 << 10)
	sources := []struct {
		name string
		r    func() io.Reader
	}{
		{"bytes.Reader", func() io.Reader { return bytes.NewReader(in) }},
		{"Read only", func() io.Reader { return stagetest.OnlyReader(bytes.NewReader(in)) }},
		{"OneByteReader", func() io.Reader { return iotest.OneByteReader(bytes.NewReader(in)) }},
	}
	for _, src := range sources {
		for _, c := range copyCtxs(t) {
			for _, size := range []int{0, 1, 1000} {
				t.Run(fmt.Sprintf("%s/%s/buffer=%d", src.name, c.name, size), func(t *testing.T) {
					t.Parallel()
					var buf []byte
					if size > 0 {
						buf = make([]byte, size)
					}
					if _, err := Copy(c.ctx, stagetest.ShortWriter{}, src.r(), buf); err != io.ErrShortWrite {
						t.Errorf("Copy(short writer) = %v, want %v", err, io.ErrShortWrite)
					}
				})
			}
		}
	}
}

// TestCopyEmptyBuffer checks that an empty buffer means the default one, as
// nil does, instead of a panic or a loop that never ends.
func TestCopyEmptyBuffer(t *testing.T) {
	t.Parallel()
	in := testText(10 << 10)
	for _, c := range copyCtxs(t) {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			type result struct {
				n   int64
				err error
				out []byte
			}
			done := make(chan result, 1)
			go func() {
				defer func() {
					if v := recover(); v != nil {
						done <- result{err: fmt.Errorf("panic: %v", v)}
					}
				}()
				var out bytes.Buffer
				n, err := Copy(c.ctx, stagetest.OnlyWriter(&out), stagetest.OnlyReader(bytes.NewReader(in)), []byte{})
				done <- result{n, err, out.Bytes()}
			}()
			select {
			case r := <-done:
				if r.n != int64(len(in)) || r.err != nil || !bytes.Equal(r.out, in) {
					t.Errorf("Copy(buffer []byte{}) = %d, %v, want %d, nil", r.n, r.err, len(in))
				}
			case <-time.After(5 * time.Second):
				t.Fatalf("Copy(buffer []byte{}) did not return, want the default buffer used")
			}
		})
	}
}

// countingReader counts the calls to Read.
type countingReader struct {
	r     io.Reader
	reads int
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.reads++
	return c.r.Read(p)
}

func TestCopyCancelled(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	in := testText(1000)
	tests := []struct {
		name string
		dst  io.Writer
		src  io.Reader
	}{
		{"plain", stagetest.OnlyWriter(new(bytes.Buffer)), &countingReader{r: bytes.NewReader(in)}},
		{"ReaderFrom", &rfRecorder{}, &countingReader{r: bytes.NewReader(in)}},
		{"WriterTo", stagetest.OnlyWriter(new(bytes.Buffer)), &wtSource{data: in}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			n, err := Copy(ctx, tt.dst, tt.src, nil)
			if n != 0 || err != context.Canceled {
				t.Errorf("Copy(cancelled) = %d, %v, want 0, %v", n, err, context.Canceled)
			}
			switch src := tt.src.(type) {
			case *countingReader:
				if src.reads != 0 {
					t.Errorf("source read %d times, want never", src.reads)
				}
			case *wtSource:
				if src.calls != 0 {
					t.Errorf("source.WriteTo called %d times, want never", src.calls)
				}
			}
		})
	}
}

func TestCopyCancelMidStream(t *testing.T) {
	t.Parallel()
	t.Run("plain", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		const stopAt, size = 10000, 1000
		dst := &stagetest.MemSink{OnWrite: func(total int) {
			if total >= stopAt {
				cancel()
			}
		}}
		n, err := Copy(ctx, dst, stagetest.OnlyReader(endless{}), make([]byte, size))
		if err != context.Canceled || n < stopAt || n >= stopAt+size {
			t.Errorf("Copy(...) = %d, %v, want in [%d, %d), %v", n, err, stopAt, stopAt+size, context.Canceled)
		}
		if taken := len(dst.Taken()); int64(taken) != n {
			t.Errorf("dst took %d bytes, want %d as Copy said", taken, n)
		}
	})
	t.Run("ReaderFrom", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		const stopAt = 1 << 20
		dst := &rfRecorder{onData: func(total int64) {
			if total >= stopAt {
				cancel()
			}
		}}
		n, err := Copy(ctx, dst, stagetest.OnlyReader(endless{}), nil)
		if err != context.Canceled || n < stopAt || n > stopAt+chunk {
			t.Errorf("Copy(...) = %d, %v, want in [%d, %d], %v", n, err, stopAt, stopAt+chunk, context.Canceled)
		}
		if dst.n != n || dst.bad != 0 {
			t.Errorf("dst took %d bytes, %d of them wrong, want %d, 0", dst.n, dst.bad, n)
		}
	})
	t.Run("WriterTo", func(t *testing.T) {
		t.Parallel()
		// A WriterTo cannot be stopped by Copy; Copy reports the
		// cancellation once it returns.
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		in := testText(10 << 10)
		dst := &stagetest.MemSink{OnWrite: func(int) { cancel() }}
		n, err := Copy(ctx, dst, &wtSource{data: in}, nil)
		if err != context.Canceled || n != int64(len(in)) {
			t.Errorf("Copy(...) = %d, %v, want %d, %v", n, err, len(in), context.Canceled)
		}
	})
}
