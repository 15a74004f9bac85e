package stages_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/sink"
	"github.com/fpipe/fpipe/stages/throttle"
)

// prompt is how soon after its context ends Run must return.
const prompt = 100 * time.Millisecond

// recSink is a Sink that records its calls. Its Write blocks, when block
// is set, until release is closed (or, with abortUnblocks, until Abort).
type recSink struct {
	block         bool
	abortUnblocks bool
	release       chan struct{}

	mu              sync.Mutex
	buf             bytes.Buffer
	commits, aborts int
	writing         chan struct{} // closed by the first blocked Write
	wonce, aonce    sync.Once
	aborted         chan struct{}
}

func newRecSink() *recSink {
	return &recSink{release: make(chan struct{}), writing: make(chan struct{}), aborted: make(chan struct{})}
}

func (s *recSink) Write(p []byte) (int, error) {
	if s.block {
		s.wonce.Do(func() { close(s.writing) })
		if s.abortUnblocks {
			select {
			case <-s.release:
			case <-s.aborted:
				return 0, stages.ErrAborted
			}
		} else {
			<-s.release
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *recSink) Commit() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commits++
	return nil
}

func (s *recSink) Abort() error {
	s.aonce.Do(func() { close(s.aborted) })
	s.mu.Lock()
	defer s.mu.Unlock()
	s.aborts++
	return nil
}

func (s *recSink) state() (commits, aborts, taken int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commits, s.aborts, s.buf.Len()
}

// blockedReader gives data and then blocks, until Close when it has one.
type blockedReader struct {
	data    []byte
	blocked chan struct{} // closed when a Read blocks
	closed  chan struct{}
	bonce   sync.Once
	conce   sync.Once
}

func newBlockedReader(data []byte) *blockedReader {
	return &blockedReader{data: data, blocked: make(chan struct{}), closed: make(chan struct{})}
}

func (r *blockedReader) Read(p []byte) (int, error) {
	if len(r.data) > 0 {
		n := copy(p, r.data)
		r.data = r.data[n:]
		return n, nil
	}
	r.bonce.Do(func() { close(r.blocked) })
	<-r.closed
	return 0, errors.New("read on a closed reader")
}

func (r *blockedReader) Close() error {
	r.conce.Do(func() { close(r.closed) })
	return nil
}

// unclosable hides every method of a reader but Read.
type unclosable struct{ r io.Reader }

func (u unclosable) Read(p []byte) (int, error) { return u.r.Read(p) }

// throttledW is a writer filter that holds the stream to rate bytes per
// second, with no context of its own to end its waits.
func throttledW(rate int64) stages.Filter {
	return stages.Filter{Name: "frate", Writer: func(dst io.Writer) (io.WriteCloser, error) {
		return throttle.NewWriter(dst, rate)
	}}
}

// throttledR is the same as a reader filter.
func throttledR(rate int64) stages.Filter {
	return stages.Filter{Name: "frate -r", Reader: func(src io.Reader) (io.ReadCloser, error) {
		return throttle.NewReader(src, rate)
	}}
}

// upperR is a reader filter that upper-cases ASCII.
var upperR = stages.Filter{Name: "upper", Reader: func(src io.Reader) (io.ReadCloser, error) {
	return io.NopCloser(readerFunc(func(p []byte) (int, error) {
		n, err := src.Read(p)
		copy(p, bytes.ToUpper(p[:n]))
		return n, err
	})), nil
}}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// runCancelled runs c, cancels it once ready is closed (nil: after a
// while), and checks that Run returned ctx's error and committed nothing.
// It returns how long after the cancellation Run returned.
func runCancelled(t *testing.T, c stages.Chain, sink *recSink, ready <-chan struct{}) time.Duration {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	at := make(chan time.Time, 1)
	go func() {
		if ready == nil {
			time.Sleep(20 * time.Millisecond)
		} else {
			<-ready
		}
		at <- time.Now()
		cancel()
	}()
	c.Sink = sink
	_, err := stages.Run(ctx, c)
	took := time.Since(<-at)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Run(...) = %v, want %v", err, context.Canceled)
	}
	if commits, aborts, _ := sink.state(); commits != 0 || aborts == 0 {
		t.Errorf("sink: %d commits, %d aborts when Run returned, want 0 commits and an abort", commits, aborts)
	}
	return took
}

// settled waits until the goroutines Run left behind ended, and fails if
// they did not within limit.
func settled(t *testing.T, before int, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Errorf("%d goroutines %v after Run returned, want at most %d as before", runtime.NumGoroutine(), limit, before)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// The cases of the issue: each stage that can hold the copy, alone and
// mixed, without any help from the stage (throttle without its Context).
func TestRunCancelPrompt(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 8<<20)
	tests := []struct {
		name  string
		chain func(sink *recSink) (stages.Chain, <-chan struct{})
		// after is how long what Run leaves behind may take to end.
		after time.Duration
	}{
		// The throttle is interrupted (stages.Interrupter): nothing goes on
		// once Run returned, though one piece at 1 KiB/s takes a second.
		{"throttled writer filter", func(*recSink) (stages.Chain, <-chan struct{}) {
			// 8 MiB at 1 MiB/s: the whole stream would take 8 s.
			return stages.Chain{Source: bytes.NewReader(big), Filters: []stages.Filter{throttledW(1 << 20)}}, nil
		}, 300 * time.Millisecond},
		{"slow throttled writer filter", func(*recSink) (stages.Chain, <-chan struct{}) {
			return stages.Chain{Source: bytes.NewReader(big), Filters: []stages.Filter{throttledW(1 << 10)}}, nil
		}, 300 * time.Millisecond},
		{"throttled reader filter", func(*recSink) (stages.Chain, <-chan struct{}) {
			return stages.Chain{Source: bytes.NewReader(big), Filters: []stages.Filter{throttledR(1 << 20)}}, nil
		}, 300 * time.Millisecond},
		{"slow throttled reader filter", func(*recSink) (stages.Chain, <-chan struct{}) {
			return stages.Chain{Source: bytes.NewReader(big), Filters: []stages.Filter{throttledR(1 << 10)}}, nil
		}, 300 * time.Millisecond},
		// Without Interrupt, the write in progress (up to 128 KiB, half a
		// second at 256 KiB/s) ends in the background.
		{"throttled writer filter, not interruptible", func(*recSink) (stages.Chain, <-chan struct{}) {
			return stages.Chain{Source: bytes.NewReader(big), Filters: []stages.Filter{{Writer: func(dst io.Writer) (io.WriteCloser, error) {
				w, err := throttle.NewWriter(dst, 256<<10)
				return struct{ io.WriteCloser }{w}, err // hides Interrupt
			}}}}, nil
		}, 2 * time.Second},
		{"blocked sink that Abort ends", func(s *recSink) (stages.Chain, <-chan struct{}) {
			s.block, s.abortUnblocks = true, true
			return stages.Chain{Source: strings.NewReader("data")}, s.writing
		}, time.Second},
		{"blocked sink that nothing ends", func(s *recSink) (stages.Chain, <-chan struct{}) {
			s.block = true
			return stages.Chain{Source: strings.NewReader("data")}, s.writing
		}, -1},
		{"blocked reader with Close", func(*recSink) (stages.Chain, <-chan struct{}) {
			src := newBlockedReader([]byte("data"))
			return stages.Chain{Source: src}, src.blocked
		}, time.Second},
		{"blocked reader with Close, filters mixed", func(*recSink) (stages.Chain, <-chan struct{}) {
			src := newBlockedReader([]byte("data"))
			return stages.Chain{Source: src, Filters: []stages.Filter{upperR, throttledW(1 << 20), upperR}}, src.blocked
		}, time.Second},
		{"blocked reader without Close", func(*recSink) (stages.Chain, <-chan struct{}) {
			src := newBlockedReader([]byte("data"))
			t.Cleanup(func() { src.Close() })
			return stages.Chain{Source: unclosable{src}}, src.blocked
		}, -1},
		{"writer and reader filters mixed, throttled", func(*recSink) (stages.Chain, <-chan struct{}) {
			return stages.Chain{Source: bytes.NewReader(big), Filters: []stages.Filter{
				upperR, throttledW(4 << 20), upperR, throttledR(1 << 20), throttledW(2 << 20),
			}}, nil
		}, time.Second},
		{"mixed filters into a blocked sink", func(s *recSink) (stages.Chain, <-chan struct{}) {
			s.block = true
			return stages.Chain{Source: bytes.NewReader(big), Filters: []stages.Filter{upperR, throttledW(64 << 20), upperR}}, s.writing
		}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// On a loaded machine a timer or a goroutine may come late: a
			// case fails on time only when three runs in a row are late.
			var took []time.Duration
			for len(took) < 3 {
				took = append(took, cancelOnce(t, tt.chain, tt.after))
				if took[len(took)-1] <= prompt {
					return
				}
			}
			t.Errorf("Run returned %v after the cancellation, want at most %v", took, prompt)
		})
	}
}

// cancelOnce runs the chain that mk makes, cancels it, waits for what Run
// left behind to end within after (-1: what only a release ends), and
// returns how long after the cancellation Run returned.
func cancelOnce(t *testing.T, mk func(*recSink) (stages.Chain, <-chan struct{}), after time.Duration) time.Duration {
	t.Helper()
	before := runtime.NumGoroutine()
	sink := newRecSink()
	c, ready := mk(sink)
	took := runCancelled(t, c, sink, ready)
	if after < 0 {
		// Nothing can end what blocks: let it go, then it ends.
		close(sink.release)
		if r, ok := c.Source.(unclosable); ok {
			r.r.(*blockedReader).Close()
		}
		after = time.Second
	}
	settled(t, before, after)
	if commits, _, _ := sink.state(); commits != 0 {
		t.Errorf("sink: %d commits once the copy ended, want none", commits)
	}
	return took
}

// Run reports success exactly when it committed, wherever the cancellation
// falls: before, during or after the copy, or while the filters close.
func TestRunCancelNeverCommits(t *testing.T) {
	t.Parallel()
	in := bytes.Repeat([]byte("0123456789abcdef"), 16<<10)
	for i := range 200 {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			sink := newRecSink()
			go func() {
				time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
				cancel()
			}()
			_, err := stages.Run(ctx, stages.Chain{
				Source:  bytes.NewReader(in),
				Filters: []stages.Filter{upperR, throttledW(1 << 30), upperR},
				Sink:    sink,
			})
			commits, aborts, taken := sink.state()
			switch {
			case err == nil && (commits != 1 || aborts != 0 || taken != len(in)):
				t.Errorf("Run(...) = nil with %d commits, %d aborts, %d bytes, want 1 commit of %d bytes", commits, aborts, taken, len(in))
			case err != nil && !errors.Is(err, context.Canceled):
				t.Errorf("Run(...) = %v, want nil or %v", err, context.Canceled)
			case err != nil && (commits != 0 || aborts == 0):
				t.Errorf("Run(...) = %v with %d commits, %d aborts, want no commit and an abort", err, commits, aborts)
			}
			// What Run left behind must not commit later either.
			time.Sleep(5 * time.Millisecond)
			if c, _, _ := sink.state(); c != commits {
				t.Errorf("sink: %d commits after Run returned, want %d", c, commits)
			}
		})
	}
}

// With the real file sink, aborted from Run's goroutine while the copy
// writes into it: the destination keeps its old bytes and no temporary file
// stays behind once Run returned (run with -race).
func TestRunCancelFileSink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dest := filepath.Join(dir, "backup")
	if err := os.WriteFile(dest, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, f := range []stages.Filter{throttledW(4 << 20), throttledR(4 << 20), upperR} {
		t.Run(f.Name, func(t *testing.T) {
			dst, err := sink.Create(dest)
			if err != nil {
				t.Fatal(err)
			}
			mib := bytes.Repeat([]byte("x"), 1<<20)
			src := onlyReaderOf(mib)
			for range 64 { // 64 MiB that Run does not reach the end of
				src = io.MultiReader(src, onlyReaderOf(mib))
			}
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Millisecond)
			defer cancel()
			start := time.Now()
			_, err = stages.Run(ctx, stages.Chain{Source: src, Filters: []stages.Filter{f}, Sink: dst})
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Run(...) = %v, want %v", err, context.DeadlineExceeded)
			}
			// Abort waits for the write in progress, as long as the disk
			// takes: a few milliseconds here.
			if took := time.Since(start); took > 30*time.Millisecond+prompt {
				t.Errorf("Run returned %v after it started, want within %v of its deadline of 30ms", took, prompt)
			}
			if got, err := os.ReadFile(dest); string(got) != "old" {
				t.Errorf("destination = %q, %v, want the old bytes", got, err)
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("folder holds %d entries, want the destination alone", len(entries))
			}
		})
	}
}

func onlyReaderOf(b []byte) io.Reader { return unclosable{bytes.NewReader(b)} }
