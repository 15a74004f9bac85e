package throttle

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"testing/synctest"
	"time"

	"github.com/fpipe/fpipe/internal/stagetest"
)

// piece is one write that reached the destination, and when (fake time
// since the start of the bubble).
type piece struct {
	at time.Duration
	n  int
}

// recorder is a destination that notes when each write arrives.
type recorder struct {
	mu      sync.Mutex
	start   time.Time
	pieces  []piece
	buf     bytes.Buffer
	discard bool // keep only the pieces, not the data
}

func newRecorder() *recorder { return &recorder{start: time.Now()} }

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pieces = append(r.pieces, piece{time.Since(r.start), len(p)})
	if r.discard {
		return len(p), nil
	}
	return r.buf.Write(p)
}

func (r *recorder) total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.buf.Len()
}

// exact is when the last of n bytes may leave at rate: ⌊n×1e9/rate⌋ ns.
func exact(n, rate int64) time.Duration {
	d, _ := duration(n, rate)
	return d
}

func TestDefaultBurst(t *testing.T) {
	for _, c := range []struct{ rate, want int64 }{
		{1, 1}, {9, 1}, {10, 1}, {25, 2}, {1000, 100}, {655360, 65536}, {20 << 20, 64 << 10}, {10 << 30, 64 << 10},
	} {
		if got := DefaultBurst(c.rate); got != c.want {
			t.Errorf("DefaultBurst(%d) = %d, want %d", c.rate, got, c.want)
		}
	}
}

func TestCheckRate(t *testing.T) {
	for _, c := range []struct {
		rate, burst int64
		ok          bool
	}{
		{1, 0, true}, {1, 1, true}, {1 << 62, 0, true}, {1 << 62, 1 << 62, true},
		{0, 0, false}, {-1, 0, false}, {1, -1, false},
		{1, 1 << 40, false}, // a burst that lasts 34,000 years
	} {
		err := checkRate(c.rate, c.burst)
		if (err == nil) != c.ok {
			t.Errorf("checkRate(%d, %d) = %v, want ok=%v", c.rate, c.burst, err, c.ok)
		}
	}
	if _, err := NewWriter(io.Discard, 100, Burst(0)); err == nil {
		t.Error("NewWriter with Burst(0) succeeded")
	}
	if _, err := NewReader(strings.NewReader(""), 0); err == nil {
		t.Error("NewReader with rate 0 succeeded")
	}
	if _, err := NewWriter(io.Discard, 100, BufferSize(0)); err == nil {
		t.Error("NewWriter with BufferSize(0) succeeded")
	}
	if _, err := NewWriter(io.Discard, 100, Context(nil)); err == nil {
		t.Error("NewWriter with a nil context succeeded")
	}
}

// TestCheck: Check says what NewWriter and NewReader say, with no prefix
// (the chain or the tool names the stage).
func TestCheck(t *testing.T) {
	for _, c := range []struct {
		rate int64
		opts []Option
		want string // "": valid
	}{
		{1, nil, ""},
		{1 << 20, []Option{Burst(1), BufferSize(1), Context(context.Background())}, ""},
		{0, nil, "rate must be at least 1 byte per second, not 0"},
		{100, []Option{Burst(0)}, "burst must be at least 1 byte, not 0"},
		{100, []Option{BufferSize(0)}, "buffer size must be at least 1, not 0"},
		{100, []Option{Context(nil)}, "nil context"},
		{1, []Option{Burst(1 << 40)}, "a burst of 1099511627776 bytes lasts too long at 1 bytes per second"},
	} {
		err := Check(c.rate, c.opts...)
		if c.want == "" {
			if err != nil {
				t.Errorf("Check(%d, %d options) = %v, want nil", c.rate, len(c.opts), err)
			}
			continue
		}
		if err == nil || err.Error() != c.want {
			t.Errorf("Check(%d, %d options) = %v, want %q", c.rate, len(c.opts), err, c.want)
		}
		if _, err := NewWriter(io.Discard, c.rate, c.opts...); err == nil || err.Error() != c.want {
			t.Errorf("NewWriter(%d, %d options) = %v, want %q", c.rate, len(c.opts), err, c.want)
		}
		if _, err := NewReader(strings.NewReader(""), c.rate, c.opts...); err == nil || err.Error() != c.want {
			t.Errorf("NewReader(%d, %d options) = %v, want %q", c.rate, len(c.opts), err, c.want)
		}
	}
	w, _ := NewWriter(io.Discard, 1, Burst(1))
	if err := w.SetRate(0); err == nil || err.Error() != "rate must be at least 1 byte per second, not 0" {
		t.Errorf("SetRate(0) = %v", err)
	}
}

// TestFiveBytesAtOneBytePerSecond: the bucket starts empty, so even the
// first byte waits a second.
func TestFiveBytesAtOneBytePerSecond(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		w, err := NewWriter(rec, 1)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte("hello")); err != nil {
			t.Fatal(err)
		}
		want := []piece{{1 * time.Second, 1}, {2 * time.Second, 1}, {3 * time.Second, 1}, {4 * time.Second, 1}, {5 * time.Second, 1}}
		if !equalPieces(rec.pieces, want) {
			t.Errorf("pieces = %v, want %v", rec.pieces, want)
		}
		if rec.buf.String() != "hello" {
			t.Errorf("output %q", rec.buf.String())
		}
	})
}

func equalPieces(a, b []piece) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestTotalTime: N bytes reach the destination exactly ⌊N/rate⌋ after the
// first byte arrived, whatever the rate, the burst and the chunking, and
// no piece is larger than the burst; at every moment t the destination has
// at most rate×t bytes.
func TestTotalTime(t *testing.T) {
	for _, c := range []struct {
		name        string
		rate, burst int64
		size, chunk int
	}{
		{"1B/s", 1, 0, 7, 3},
		{"3B/s burst 2", 3, 2, 10, 10},
		{"1000B/s", 1000, 0, 12345, 4096},
		{"20MiB/s", 20 << 20, 0, 200 << 20, 128 << 10},
		{"20MiB/s odd chunks", 20 << 20, 0, 10<<20 + 17, 65537},
		{"1.5G/s", 3 << 29, 0, 1 << 30, 1 << 20},
		{"7MB/s burst 1MiB", 7e6, 1 << 20, 50e6, 300e3},
		{"prime rate", 999983, 0, 3e6, 12345},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rec := &countingRecorder{start: time.Now(), rate: c.rate}
				w, err := NewWriter(rec, c.rate, Burst(c.burst))
				if c.burst == 0 {
					w, err = NewWriter(rec, c.rate)
				}
				if err != nil {
					t.Fatal(err)
				}
				buf := make([]byte, c.chunk)
				for left := c.size; left > 0; left -= len(buf) {
					if left < len(buf) {
						buf = buf[:left]
					}
					if _, err := w.Write(buf); err != nil {
						t.Fatal(err)
					}
				}
				if rec.n != int64(c.size) {
					t.Fatalf("wrote %d bytes, want %d", rec.n, c.size)
				}
				if got, want := time.Since(rec.start), exact(int64(c.size), c.rate); got != want {
					t.Errorf("%d bytes took %v, want %v", c.size, got, want)
				}
				if rec.maxPiece > w.Burst() {
					t.Errorf("a piece of %d bytes, burst %d", rec.maxPiece, w.Burst())
				}
				if rec.ahead != "" {
					t.Error(rec.ahead)
				}
			})
		})
	}
}

// countingRecorder keeps no data, only the count, the largest piece, and
// whether the count ever ran ahead of rate×t.
type countingRecorder struct {
	start    time.Time
	rate     int64
	n        int64
	maxPiece int64
	ahead    string
}

func (r *countingRecorder) Write(p []byte) (int, error) {
	r.n += int64(len(p))
	r.maxPiece = max(r.maxPiece, int64(len(p)))
	if el := time.Since(r.start); r.ahead == "" && exact(r.n, r.rate) > el {
		r.ahead = "at " + el.String() + ": " + strconv.FormatInt(r.n, 10) + " bytes, more than the rate allows"
	}
	return len(p), nil
}

// TestWindows: at 20 MiB/s every 100 ms window holds the rate's worth,
// within one burst (64 KiB of 2 MiB: 3%).
func TestWindows(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate = 20 << 20
		rec := newRecorder()
		rec.discard = true
		w, _ := NewWriter(rec, rate)
		if _, err := w.ReadFrom(io.LimitReader(stagetest.Zeros{}, 3*rate)); err != nil {
			t.Fatal(err)
		}
		windows := make([]int64, 30)
		for _, p := range rec.pieces {
			i := int((p.at - 1) / (100 * time.Millisecond)) // a piece at exactly 100 ms belongs to the first window
			windows[i] += int64(p.n)
		}
		for i, got := range windows {
			if d := float64(got)/(rate/10) - 1; d < -0.05 || d > 0.05 {
				t.Errorf("window %d: %d bytes, %+.1f%% off the rate", i, got, d*100)
			}
		}
	})
}

// TestIdle: after an idle spell the bucket holds one burst, not more.
func TestIdle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate, burst = 1 << 20, 64 << 10
		rec := newRecorder()
		w, _ := NewWriter(rec, rate, Burst(burst))
		w.Write(make([]byte, rate)) // one second
		time.Sleep(10 * time.Minute)
		start := time.Now()
		w.Write(make([]byte, rate))
		if got, want := time.Since(start), exact(rate-burst, rate); got != want {
			t.Errorf("after idling, 1 MiB took %v, want %v (one burst saved, no more)", got, want)
		}
	})
}

// stallingWriter blocks on one write for a while, like a reader that was
// stopped (SIGSTOP) and continued.
type stallingWriter struct {
	rec     *recorder
	stallAt int
	stall   time.Duration
	writes  int
}

func (s *stallingWriter) Write(p []byte) (int, error) {
	s.writes++
	if s.writes == s.stallAt {
		time.Sleep(s.stall)
	}
	return s.rec.Write(p)
}

// TestPausedReader: a reader that stops for a minute gets no flood after:
// one burst at once, then 5% above the rate until one second of the lost
// time is made up, then the rate.
func TestPausedReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate, burst = 100 << 10, 10 << 10
		rec := newRecorder()
		sw := &stallingWriter{rec: rec, stallAt: 10, stall: time.Minute}
		w, _ := NewWriter(sw, rate) // default burst: 10 KiB, 0.1 s; pieces of 5 KiB
		if w.Burst() != burst {
			t.Fatalf("burst %d", w.Burst())
		}
		w.Write(make([]byte, 400*burst))
		p := rec.pieces
		resume := p[9].at // pieces 1-10 at 0.05 s steps; the 10th stalls a minute
		if resume != 60*time.Second+500*time.Millisecond {
			t.Fatalf("resumed at %v", resume)
		}
		// In all: 40 s of data and the minute's stall, less the second made
		// up and the burst.
		if got, want := time.Since(rec.start), 40*time.Second+59*time.Second-100*time.Millisecond; got < want || got > want+time.Millisecond {
			t.Errorf("took %v, want %v", got, want)
		}
		after := p[10:] // the stalled piece itself left before the stall
		if s := maxInWindow(after, 100*time.Millisecond); s > rate/10*21/20+burst {
			t.Errorf("%d bytes in 100 ms: more than 5%% over the rate and one burst", s)
		}
		var first int64 // in the second after the reader came back
		for _, q := range after {
			if q.at < resume+time.Second {
				first += int64(q.n)
			}
		}
		if first < rate*21/20 {
			t.Errorf("%d bytes in the second after: not making up", first)
		}
	})
}

// maxInWindow is the most bytes that arrived in any span of length d.
func maxInWindow(p []piece, d time.Duration) int64 {
	var most, in int64
	j := 0
	for i := range p {
		in += int64(p[i].n)
		for p[i].at-p[j].at >= d {
			in -= int64(p[j].n)
			j++
		}
		most = max(most, in)
	}
	return most
}

// TestBusyMachine: writes downstream that now and then stall (a busy
// machine, a reader that is slow for a moment) cost no time in the end: the
// lost time is made up, at most 5% above the rate.
func TestBusyMachine(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate = 20 << 20
		rec := newRecorder()
		rec.discard = true
		st := &stutterWriter{w: rec, every: 50, stall: 5 * time.Millisecond}
		w, _ := NewWriter(st, rate) // burst 64 KiB: 3.125 ms
		if _, err := w.ReadFrom(io.LimitReader(stagetest.Zeros{}, 10*rate)); err != nil {
			t.Fatal(err)
		}
		// 5 ms lost every 156 ms: made up at 5%, with about 3 ms left over
		// at the end.
		got, want := time.Since(rec.start), exact(10*rate, rate)
		if got < want || got > want+5*time.Millisecond {
			t.Errorf("10 s of data took %v, want %v to %v", got, want, want+5*time.Millisecond)
		}
		if s := maxInWindow(rec.pieces, 100*time.Millisecond); s > rate/10*21/20+64<<10 {
			t.Errorf("%d bytes in 100 ms: more than 5%% over the rate and one burst", s)
		}
		t.Logf("stalled %v in all; took %v for %v of data", time.Duration(st.stalls)*st.stall, got, want)
	})
}

// stutterWriter stalls on every nth write.
type stutterWriter struct {
	w      io.Writer
	every  int
	stall  time.Duration
	writes int
	stalls int
}

func (s *stutterWriter) Write(p []byte) (int, error) {
	s.writes++
	if s.writes%s.every == 0 {
		s.stalls++
		time.Sleep(s.stall)
	}
	return s.w.Write(p)
}

// TestSetRate: a new rate takes effect at once, also in the middle of a
// long wait, and keeps what the bucket held.
func TestSetRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		w, _ := NewWriter(rec, 1)
		done := make(chan struct{})
		go func() {
			defer close(done)
			w.Write(make([]byte, 10))
		}()
		time.Sleep(2500 * time.Millisecond)
		if err := w.SetRate(1000); err != nil {
			t.Fatal(err)
		}
		if w.Rate() != 1000 || w.Burst() != 100 {
			t.Errorf("rate %d burst %d, want 1000 and 100", w.Rate(), w.Burst())
		}
		<-done
		// Bytes at 1 s and 2 s; at 2.5 s half a byte is held (dropped as a
		// fraction); then 8 bytes at 1000 B/s: 8 ms.
		if got, want := time.Since(rec.start), 2508*time.Millisecond; got != want {
			t.Errorf("took %v, want %v", got, want)
		}
		if err := w.SetRate(0); err == nil || w.Rate() != 1000 {
			t.Errorf("SetRate(0) = %v, rate now %d", err, w.Rate())
		}
	})
}

// TestSetRateKeepsBurst: a burst given with Burst stays when the rate
// changes; the bucket keeps what it held.
func TestSetRateKeepsBurst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rec := newRecorder()
		w, _ := NewWriter(rec, 100, Burst(50))
		w.Write(make([]byte, 50)) // 0.5 s
		time.Sleep(time.Second)   // the bucket fills to 50
		w.SetRate(10)
		if w.Burst() != 50 {
			t.Errorf("burst %d, want 50", w.Burst())
		}
		start := time.Now()
		w.Write(make([]byte, 60)) // 50 held, 10 more at 10 B/s
		if got := time.Since(start); got != time.Second {
			t.Errorf("took %v, want 1s", got)
		}
	})
}

func TestCloseEndsWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w, _ := NewWriter(io.Discard, 1)
		errc := make(chan error, 1)
		go func() {
			_, err := w.Write(make([]byte, 100))
			errc <- err
		}()
		time.Sleep(10 * time.Second)
		w.Close()
		if err := <-errc; err != ErrClosed {
			t.Errorf("Write = %v, want ErrClosed", err)
		}
		if _, err := w.Write([]byte("x")); err != ErrClosed {
			t.Errorf("Write after Close = %v, want ErrClosed", err)
		}
	})
}

func TestContextEndsWait(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 2500*time.Millisecond)
		defer cancel()
		r, _ := NewReader(strings.NewReader("abcdef"), 1, Context(ctx))
		start := time.Now()
		b, err := io.ReadAll(r)
		if err != context.DeadlineExceeded {
			t.Errorf("ReadAll = %q, %v; want DeadlineExceeded", b, err)
		}
		if string(b) != "ab" || time.Since(start) != 2500*time.Millisecond {
			t.Errorf("read %q in %v, want \"ab\" in 2.5s", b, time.Since(start))
		}
	})
}

func TestReaderTotalTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const rate, size = 3 << 20, 10<<20 + 3
		r, _ := NewReader(io.LimitReader(stagetest.Zeros{}, size), rate)
		start := time.Now()
		buf := make([]byte, 100<<10)
		var n int64
		for {
			k, err := r.Read(buf)
			if k > int(r.Burst()) {
				t.Fatalf("Read returned %d bytes, burst %d", k, r.Burst())
			}
			n += int64(k)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
		}
		if n != size || time.Since(start) != exact(size, rate) {
			t.Errorf("read %d bytes in %v, want %d in %v", n, time.Since(start), size, exact(size, rate))
		}
	})
}

func TestReaderSetRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r, _ := NewReader(strings.NewReader(strings.Repeat("x", 1000)), 10)
		go func() {
			time.Sleep(time.Second)
			r.SetRate(1000)
		}()
		start := time.Now()
		b, _ := io.ReadAll(r)
		// 10 bytes in the first second, then 990 at 1000 B/s.
		if len(b) != 1000 || time.Since(start) != 1990*time.Millisecond {
			t.Errorf("read %d bytes in %v, want 1000 in 1.99s", len(b), time.Since(start))
		}
		if r.Rate() != 1000 || r.Burst() != 100 {
			t.Errorf("rate %d burst %d", r.Rate(), r.Burst())
		}
	})
}

// TestIotest: the reader passes the iotest checks, and both directions keep
// the bytes whatever the chunking.
func TestIotest(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		data := bytes.Repeat([]byte("0123456789abcdefghij"), 503)
		r, _ := NewReader(bytes.NewReader(data), 1<<20)
		if err := iotest.TestReader(r, data); err != nil {
			t.Error(err)
		}
		for name, wrap := range map[string]func(io.Reader) io.Reader{
			"one byte": iotest.OneByteReader,
			"half":     iotest.HalfReader,
			"data err": iotest.DataErrReader,
		} {
			for _, bufSize := range []int{1, 7, 4096, 1 << 20} {
				r, _ := NewReader(wrap(bytes.NewReader(data)), 1<<20, Burst(333))
				var out bytes.Buffer
				if _, err := io.CopyBuffer(struct{ io.Writer }{&out}, r, make([]byte, bufSize)); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(out.Bytes(), data) {
					t.Errorf("reader, %s, buffer %d: output differs", name, bufSize)
				}
				out.Reset()
				w, _ := NewWriter(&out, 1<<20, Burst(333), BufferSize(bufSize))
				if _, err := w.ReadFrom(wrap(bytes.NewReader(data))); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(out.Bytes(), data) {
					t.Errorf("writer, %s, buffer %d: output differs", name, bufSize)
				}
			}
		}
	})
}

func TestReaderErrors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("boom")
		r, _ := NewReader(iotest.ErrReader(boom), 100)
		if _, err := r.Read(make([]byte, 10)); err != boom {
			t.Errorf("Read = %v, want boom", err)
		}
		r, _ = NewReader(iotest.TimeoutReader(strings.NewReader("abc")), 100)
		b, err := io.ReadAll(r)
		if err != iotest.ErrTimeout || string(b) != "abc" {
			t.Errorf("ReadAll = %q, %v", b, err)
		}
		r, _ = NewReader(strings.NewReader("abc"), 100)
		if n, err := r.Read(nil); n != 0 || err != nil {
			t.Errorf("Read(nil) = %d, %v", n, err)
		}
	})
}

func TestWriterErrorsStick(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		boom := errors.New("disk full")
		fw := &stagetest.FailWriter{N: 250, Err: boom}
		w, _ := NewWriter(fw, 1000) // burst 100
		n, err := w.Write(make([]byte, 1000))
		if n != 250 || err != boom {
			t.Errorf("Write = %d, %v; want 250, boom", n, err)
		}
		if n, err := w.Write([]byte("x")); n != 0 || err != boom {
			t.Errorf("second Write = %d, %v; want 0, boom", n, err)
		}
		if n, err := w.ReadFrom(strings.NewReader("x")); n != 0 || err != boom {
			t.Errorf("ReadFrom after error = %d, %v", n, err)
		}

		w, _ = NewWriter(stagetest.ShortWriter{}, 1000)
		if n, err := w.Write(make([]byte, 10)); n != 5 || err != io.ErrShortWrite {
			t.Errorf("short Write = %d, %v", n, err)
		}

		var out bytes.Buffer
		w, _ = NewWriter(iotest.TruncateWriter(&out, 5), 1000)
		if n, err := w.Write([]byte("abcdefgh")); n != 8 || err != nil || out.String() != "abcde" {
			t.Errorf("Write to TruncateWriter = %d, %v, %q", n, err, out.String())
		}

		w, _ = NewWriter(io.Discard, 1000)
		if n, err := w.ReadFrom(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom))); n != 3 || err != boom {
			t.Errorf("ReadFrom = %d, %v; want 3, boom", n, err)
		}
	})
}

func BenchmarkWriterFast(b *testing.B) {
	w, _ := NewWriter(io.Discard, 1<<50)
	buf := make([]byte, 128<<10)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		w.Write(buf)
	}
}
