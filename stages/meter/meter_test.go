package meter

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"sync"
	"testing"
	"testing/iotest"
	"testing/synctest"
	"time"

	"github.com/fpipe/fpipe/internal/stagetest"
	"github.com/fpipe/fpipe/stages"
)

// screen is a display output that is safe to read while the meter writes.
type screen struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const mib = 1 << 20

// feed writes n chunks of size bytes to w, the first at first and then one
// every step.
func feed(w io.Writer, n, size int, first, step time.Duration) {
	time.Sleep(first)
	for i := range n {
		if i > 0 {
			time.Sleep(step)
		}
		w.Write(make([]byte, size))
	}
}

func TestFormats(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{
		{0, "0 B"}, {999, "999 B"}, {1000, "1000 B"}, {1023, "1023 B"}, {1024, "1.00 KiB"}, {1023 * 1024, "1.00 MiB"}, {1536, "1.50 KiB"},
		{10 * 1024, "10.0 KiB"}, {150 * mib, "150 MiB"}, {1 << 30, "1.00 GiB"}, {1<<63 - 1, "8.00 EiB"},
	} {
		if got := formatBytes(c.n); got != c.want {
			t.Errorf("formatBytes(%d) = %q, want %q", c.n, got, c.want)
		}
	}
	if got := formatRate(2.5 * mib); got != "2.50 MiB/s" {
		t.Errorf("formatRate(2.5 MiB) = %q", got)
	}
	for _, c := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0:00:00"}, {1999 * time.Millisecond, "0:00:01"}, {61 * time.Second, "0:01:01"}, {100 * time.Hour, "100:00:00"},
	} {
		if got := clock(c.d); got != c.want {
			t.Errorf("clock(%v) = %q, want %q", c.d, got, c.want)
		}
	}
}

// TestLines: off a terminal, one plain line every interval, then the
// summary; never a carriage return.
func TestLines(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out screen
		w, err := NewWriter(io.Discard, Output(&out), Name("fpv"), TimeFormat(""))
		if err != nil {
			t.Fatal(err)
		}
		feed(w, 25, mib, 500*time.Millisecond, time.Second) // 1 MiB/s until 24.5 s
		time.Sleep(5500 * time.Millisecond)                 // stalled for the last 5 s
		w.Close()
		want := "fpv: 10.0 MiB in 0:00:10, 1.00 MiB/s now, 1.00 MiB/s average\n" +
			"fpv: 20.0 MiB in 0:00:20, 1.00 MiB/s now, 1.00 MiB/s average\n" +
			"fpv: 25.0 MiB in 0:00:30, 512 KiB/s now, 853 KiB/s average\n" +
			"fpv: 25.0 MiB in 0:00:30.00, 853 KiB/s average: done\n"
		if got := out.String(); got != want {
			t.Errorf("output:\n%s\nwant:\n%s", got, want)
		}
		if w.Count() != 25*mib {
			t.Errorf("Count = %d", w.Count())
		}
	})
}

func TestLinesWithSize(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out screen
		w, _ := NewWriter(io.Discard, Output(&out), Size(40*mib), Interval(5*time.Second), TimeFormat(""))
		feed(w, 10, mib, 500*time.Millisecond, time.Second)
		time.Sleep(500 * time.Millisecond)
		w.Close()
		want := "5.00 MiB in 0:00:05, 1.00 MiB/s now, 1.00 MiB/s average, 12% of 40.0 MiB, ETA 0:00:35\n" +
			"10.0 MiB in 0:00:10, 1.00 MiB/s now, 1.00 MiB/s average, 25% of 40.0 MiB, ETA 0:00:30\n" +
			"10.0 MiB in 0:00:10.00, 1.00 MiB/s average: done, short of the expected 40.0 MiB (25%)\n"
		if got := out.String(); got != want {
			t.Errorf("output:\n%s\nwant:\n%s", got, want)
		}
	})
}

// TestTerminal: one line redrawn at most five times a second, cut to the
// width, and a last line ending in a newline.
func TestTerminal(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out screen
		w, _ := NewWriter(io.Discard, Output(&out), Show(Terminal), Size(4*mib), Name("db"),
			Width(func() int { return 100 }), Interval(time.Millisecond))
		feed(w, 4, mib, 50*time.Millisecond, 500*time.Millisecond) // done at 1.55 s
		time.Sleep(100 * time.Millisecond)
		w.Close()
		got := out.String()
		frames := strings.Split(got, "\r")[1:]
		if len(frames) != 9 { // 8 redraws in 1.65 s, and the last line
			t.Errorf("%d frames, want 9:\n%q", len(frames), got)
		}
		for _, f := range frames[:len(frames)-1] {
			if len(f) > 99 || strings.Contains(f, "\n") {
				t.Errorf("frame %q: longer than 99 or has a newline", f)
			}
		}
		if want := "db: 1.00 MiB 0:00:00 [5.00 MiB/s] [avg 5.00 MiB/s] [=======>                     ]  25% ETA 0:00:01"; frames[0] != want {
			t.Errorf("first frame\n%q, want\n%q", frames[0], want)
		}
		last := frames[len(frames)-1]
		if want := "db: 4.00 MiB in 0:00:01.65, 2.42 MiB/s average: done"; !strings.HasPrefix(last, want) || !strings.HasSuffix(last, "\n") {
			t.Errorf("last line %q, want %q, padded, and a newline", last, want)
		}
	})
}

func TestNumeric(t *testing.T) {
	for _, c := range []struct {
		name string
		opts []Option
		want string
	}{
		{"percent", nil, "25\n50\n75\n100\n100\n"},
		{"bytes", []Option{NumericBytes()}, "1048576\n2097152\n3145728\n4194304\n4194304\n"},
		{"timer", []Option{NumericTimer()}, "1.0000 25\n2.0000 50\n3.0000 75\n4.0000 100\n4.5000 100\n"},
		{"timer bytes", []Option{NumericTimer(), NumericBytes()}, "1.0000 1048576\n2.0000 2097152\n3.0000 3145728\n4.0000 4194304\n4.5000 4194304\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var out screen
				w, _ := NewWriter(io.Discard, append(c.opts, Output(&out), Show(Numeric), Size(4*mib))...)
				feed(w, 4, mib, 500*time.Millisecond, time.Second)
				time.Sleep(time.Second)
				w.Close()
				if got := out.String(); got != c.want {
					t.Errorf("output %q, want %q", got, c.want)
				}
			})
		})
	}
	// Unknown size: 0 until a clean end.
	synctest.Test(t, func(t *testing.T) {
		var out screen
		w, _ := NewWriter(io.Discard, Output(&out), Show(Numeric))
		feed(w, 2, mib, 500*time.Millisecond, time.Second)
		time.Sleep(time.Second)
		w.Close()
		if got := out.String(); got != "0\n0\n100\n" {
			t.Errorf("unknown size: output %q", got)
		}
	})
}

func TestQuiet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out screen
		var data bytes.Buffer
		w, _ := NewWriter(&data, Output(&out), Show(Quiet))
		w.Write([]byte("abc"))
		time.Sleep(time.Minute)
		w.Close()
		if out.String() != "" || data.String() != "abc" || w.Count() != 3 {
			t.Errorf("quiet: output %q, data %q, count %d", out.String(), data.String(), w.Count())
		}
		// No output at all is quiet too.
		w, _ = NewWriter(io.Discard)
		w.Write([]byte("abc"))
		w.Close()
	})
}

// TestWriteError: the error sticks, the last line names it, and the error
// says it was shown once the last line is out.
func TestWriteError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out screen
		full := errors.New("no space left on device")
		w, _ := NewWriter(&stagetest.FailWriter{N: 1500, Err: full}, Output(&out), TimeFormat(""),
			Describe(func(err error) string { return "write error: " + err.Error() }))
		time.Sleep(2 * time.Second)
		n, err := w.Write(make([]byte, 2000))
		if n != 1500 || !errors.Is(err, full) {
			t.Fatalf("Write = %d, %v", n, err)
		}
		if _, err2 := w.Write([]byte("x")); err2 != err {
			t.Errorf("second Write = %v, want the same error", err2)
		}
		var r interface{ Reported() bool }
		if !errors.As(err, &r) || r.Reported() {
			t.Fatalf("error %v: Reported before the last line", err)
		}
		w.CloseWithError(err)
		if !r.Reported() {
			t.Error("not Reported after the last line")
		}
		if got, want := out.String(), "1.46 KiB in 0:00:02.00, 750 B/s average: failed: write error: no space left on device\n"; got != want {
			t.Errorf("output %q, want %q", got, want)
		}
		if n, err := w.ReadFrom(strings.NewReader("x")); n != 0 || !errors.Is(err, full) {
			t.Errorf("ReadFrom after error = %d, %v", n, err)
		}
	})
	// Numeric and Quiet displays do not name errors: they are not Reported.
	w, _ := NewWriter(&stagetest.FailWriter{Err: io.ErrClosedPipe}, Output(io.Discard), Show(Numeric))
	_, err := w.Write([]byte("x"))
	if err != io.ErrClosedPipe {
		t.Errorf("numeric Write = %v, want the bare error", err)
	}
	w.Close()
}

// TestChainFailure: when the sink fails, the chain closes the meter with
// the cause and the last line says so.
func TestChainFailure(t *testing.T) {
	var out screen
	mf := func(dst io.Writer) (io.WriteCloser, error) { return NewWriter(dst, Output(&out), TimeFormat("")) }
	_, err := stages.Run(context.Background(), stages.Chain{
		Source:  strings.NewReader(strings.Repeat("x", 5000)),
		Filters: []stages.Filter{{Writer: mf}},
		Sink:    stages.StdoutSink(&stagetest.FailWriter{N: 4096, Err: errors.New("disk full")}),
	})
	if err == nil {
		t.Fatal("Run succeeded")
	}
	if got := out.String(); !strings.HasPrefix(got, "4.00 KiB in 0:00:00") || !strings.HasSuffix(got, ": failed: disk full\n") {
		t.Errorf("output %q", got)
	}
	// A source that fails: the meter is told through CloseWithError.
	out = screen{}
	_, err = stages.Run(context.Background(), stages.Chain{
		Source:  io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(errors.New("read failed"))),
		Filters: []stages.Filter{{Writer: mf}},
		Sink:    stages.StdoutSink(io.Discard),
	})
	if err == nil || !strings.HasSuffix(out.String(), "3 B in 0:00:00.00, 0 B/s average: failed: read failed\n") &&
		!strings.Contains(out.String(), ": failed: read failed\n") {
		t.Errorf("Run = %v, output %q", err, out.String())
	}
}

func TestReader(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var out screen
		r, _ := NewReader(strings.NewReader("hello"), Output(&out), Size(5), TimeFormat(""))
		b, _ := io.ReadAll(r)
		time.Sleep(time.Second)
		r.Close()
		if string(b) != "hello" || out.String() != "5 B in 0:00:01.00, 5 B/s average: done\n" {
			t.Errorf("read %q, output %q", b, out.String())
		}

		out = screen{}
		r, _ = NewReader(strings.NewReader("hello"), Output(&out), TimeFormat(""))
		r.Read(make([]byte, 2))
		r.Close()
		if got := out.String(); got != "2 B in 0:00:00.00, 0 B/s average: failed: "+ErrClosedEarly.Error()+"\n" {
			t.Errorf("closed early: output %q", got)
		}

		out = screen{}
		boom := errors.New("boom")
		r, _ = NewReader(iotest.ErrReader(boom), Output(&out), TimeFormat(""))
		if _, err := r.Read(make([]byte, 2)); err != boom {
			t.Errorf("Read = %v, want boom", err)
		}
		r.Close()
		if got := out.String(); got != "0 B in 0:00:00.00, 0 B/s average: failed: boom\n" {
			t.Errorf("read error: output %q", got)
		}
	})
}

// TestIotest: the bytes pass unchanged whatever the chunking.
func TestIotest(t *testing.T) {
	data := bytes.Repeat([]byte("0123456789abcdefghij"), 5003)
	r, _ := NewReader(bytes.NewReader(data))
	if err := iotest.TestReader(r, data); err != nil {
		t.Error(err)
	}
	r.Close()
	for name, wrap := range map[string]func(io.Reader) io.Reader{
		"one byte": iotest.OneByteReader,
		"half":     iotest.HalfReader,
		"data err": iotest.DataErrReader,
	} {
		for _, bufSize := range []int{1, 7, 4096, 1 << 20} {
			r, _ := NewReader(wrap(bytes.NewReader(data)))
			var out bytes.Buffer
			io.CopyBuffer(struct{ io.Writer }{&out}, r, make([]byte, bufSize))
			r.Close()
			if !bytes.Equal(out.Bytes(), data) || r.Count() != int64(len(data)) {
				t.Errorf("reader, %s, buffer %d: output differs", name, bufSize)
			}
			out.Reset()
			w, _ := NewWriter(&out, BufferSize(bufSize))
			if n, err := w.ReadFrom(wrap(bytes.NewReader(data))); err != nil || n != int64(len(data)) {
				t.Fatalf("ReadFrom = %d, %v", n, err)
			}
			w.Close()
			if !bytes.Equal(out.Bytes(), data) || w.Count() != int64(len(data)) {
				t.Errorf("writer, %s, buffer %d: output differs", name, bufSize)
			}
		}
	}
	var out bytes.Buffer
	w, _ := NewWriter(iotest.TruncateWriter(&out, 5))
	if n, err := w.Write([]byte("abcdefgh")); n != 8 || err != nil || out.String() != "abcde" {
		t.Errorf("Write to TruncateWriter = %d, %v, %q", n, err, out.String())
	}
}

// brokenOutput fails every write.
type brokenOutput struct{ writes int }

func (b *brokenOutput) Write(p []byte) (int, error) { b.writes++; return 0, errors.New("EIO") }

func TestBrokenOutput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		out := &brokenOutput{}
		var data bytes.Buffer
		w, _ := NewWriter(&data, Output(out), Interval(time.Second))
		for range 5 {
			w.Write([]byte("ab"))
			time.Sleep(time.Second)
		}
		w.Close()
		if out.writes != 1 || data.String() != "ababababab" {
			t.Errorf("%d writes to a broken output, data %q", out.writes, data.String())
		}
	})
}

func TestOptions(t *testing.T) {
	for name, c := range map[string]struct {
		o    Option
		want string
	}{
		"interval 0":   {Interval(0), "interval must be positive, not 0s"},
		"size -1":      {Size(-1), "negative size -1"},
		"display 9":    {Show(Display(9)), "unknown display 9"},
		"buffer 0":     {BufferSize(0), "buffer size must be at least 1, not 0"},
		"negative int": {Interval(-time.Second), "interval must be positive, not -1s"},
	} {
		if _, err := NewWriter(io.Discard, c.o); err == nil || err.Error() != c.want {
			t.Errorf("%s: NewWriter error = %v, want %q", name, err, c.want)
		}
		if _, err := NewReader(strings.NewReader(""), c.o); err == nil || err.Error() != c.want {
			t.Errorf("%s: NewReader error = %v, want %q", name, err, c.want)
		}
		if err := Check(Show(Lines), c.o, Size(1)); err == nil || err.Error() != c.want {
			t.Errorf("%s: Check = %v, want %q", name, err, c.want)
		}
	}
	if err := Check(); err != nil {
		t.Errorf("Check() = %v", err)
	}
	if err := Check(Output(io.Discard), Show(Numeric), Interval(time.Millisecond), Size(0), Name("x"),
		Width(nil), NumericBytes(), NumericTimer(), Describe(nil), BufferSize(1)); err != nil {
		t.Errorf("Check(valid options) = %v", err)
	}
}

func BenchmarkWriter(b *testing.B) {
	w, _ := NewWriter(io.Discard, Output(io.Discard), Show(Terminal))
	defer w.Close()
	buf := make([]byte, 128<<10)
	b.SetBytes(int64(len(buf)))
	b.ReportAllocs()
	for b.Loop() {
		w.Write(buf)
	}
}

// TestTerminalWidths: what does not fit goes, the bar first, then the
// average; the percentage and the time left stay.
func TestTerminalWidths(t *testing.T) {
	for _, c := range []struct {
		width int
		want  string
	}{
		{100, "db: 1.00 MiB 0:00:01 [1.00 MiB/s] [avg 1.00 MiB/s] [=======>                     ]  25% ETA 0:00:03"},
		{80, "db: 1.00 MiB 0:00:01 [1.00 MiB/s] [avg 1.00 MiB/s] [==>      ]  25% ETA 0:00:03"},
		{70, "db: 1.00 MiB 0:00:01 [1.00 MiB/s] [avg 1.00 MiB/s]  25% ETA 0:00:03"},
		{55, "db: 1.00 MiB 0:00:01 [1.00 MiB/s]  25% ETA 0:00:03"},
		{40, "db: 1.00 MiB 0:00:01 [1.00 MiB/s]  25% "},
		{5, "db: 1.00 MiB 0:00:0"},
	} {
		synctest.Test(t, func(t *testing.T) {
			var out screen
			w, _ := NewWriter(io.Discard, Output(&out), Show(Terminal), Size(4*mib), Name("db"),
				Interval(time.Second), Width(func() int { return c.width }))
			w.Write(make([]byte, mib))
			time.Sleep(1500 * time.Millisecond)
			if got := strings.TrimPrefix(out.String(), "\r"); got != c.want {
				t.Errorf("width %d:\n%q, want\n%q", c.width, got, c.want)
			}
			w.Close()
		})
	}
}
