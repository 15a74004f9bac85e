package gz

import (
	"bytes"
	"compress/gzip" // the oracle only: never on fpipe's decode path
	"errors"
	"io"
	"math/rand/v2"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/fpipe/fpipe/internal/stagetest"
	"github.com/klauspost/pgzip"
)

// text is compressible input: lines that repeat with variations.
func text(n int) []byte {
	var b bytes.Buffer
	r := rand.New(rand.NewPCG(1, 2))
	words := strings.Fields("INSERT INTO orders VALUES customer total shipped pending 2026-11-27 Paris Lyon Berlin NULL")
	for b.Len() < n {
		for i := 0; i < 8; i++ {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte(' ')
		}
		b.WriteString(strings.Repeat("x", r.IntN(5)))
		b.WriteByte('\n')
	}
	return b.Bytes()[:n]
}

// random is incompressible input.
func random(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, seed+1))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func compress(t testing.TB, data []byte, opts ...Option) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := NewWriter(&out, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// stdGunzip decodes with the standard library, the oracle.
func stdGunzip(t testing.TB, gz []byte) []byte {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatalf("compress/gzip: %v", err)
	}
	var out bytes.Buffer
	if _, err := io.Copy(&out, r); err != nil {
		t.Fatalf("compress/gzip: %v", err)
	}
	return out.Bytes()
}

func TestWriterRoundTrip(t *testing.T) {
	t.Parallel()
	inputs := map[string][]byte{
		"empty":       nil,
		"one byte":    {'a'},
		"text 100K":   text(100 << 10),
		"text 3.5M":   text(3<<20 + 512<<10),
		"random 1.1M": random(1<<20+100<<10, 1),
	}
	for name, data := range inputs {
		for level := 0; level <= 9; level++ {
			if len(data) > 1<<20 && level != 0 && level != 1 && level != 6 && level != 9 {
				continue
			}
			t.Run(name+"/"+string(rune('0'+level)), func(t *testing.T) {
				t.Parallel()
				z := compress(t, data, Level(level), BlockSize(MinBlockSize*2))
				if got := stdGunzip(t, z); !bytes.Equal(got, data) {
					t.Fatalf("compress/gzip decoded %d bytes, want %d", len(got), len(data))
				}
				if got := gunzip(t, z); !bytes.Equal(got, data) {
					t.Fatalf("Reader decoded %d bytes, want %d", len(got), len(data))
				}
			})
		}
	}
}

func mustStdReader(t testing.TB, gz []byte) *gzip.Reader {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatalf("compress/gzip: %v", err)
	}
	return r
}

func TestWriterHeader(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		level int
		xfl   byte
	}{{0, 0}, {1, 4}, {2, 0}, {6, 0}, {9, 2}} {
		for _, data := range [][]byte{nil, []byte("some data")} {
			z := compress(t, data, Level(tc.level))
			// The empty stream is one plain member; data comes in members
			// with the 'F' 'P' subfield giving their length, and the
			// stream ends with an empty one.
			want := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, tc.xfl, 3}
			if data != nil {
				n := len(z) - memberMin
				want = []byte{0x1f, 0x8b, 8, 4, 0, 0, 0, 0, tc.xfl, 3, 8, 0, 'F', 'P', 4, 0, byte(n), byte(n >> 8), 0, 0}
				end := []byte{0x1f, 0x8b, 8, 4, 0, 0, 0, 0, tc.xfl, 3, 8, 0, 'F', 'P', 4, 0, 30, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0}
				if !bytes.Equal(z[n:], end) {
					t.Errorf("level %d: end member % x, want % x", tc.level, z[n:], end)
				}
			}
			if !bytes.Equal(z[:len(want)], want) {
				t.Errorf("level %d, %d bytes: header % x, want % x", tc.level, len(data), z[:len(want)], want)
			}
			r, err := gzip.NewReader(bytes.NewReader(z))
			if err != nil {
				t.Fatal(err)
			}
			if !r.ModTime.IsZero() && !r.ModTime.Equal(time.Unix(0, 0)) || r.OS != 3 || r.Name != "" {
				t.Errorf("level %d: header %+v, want MTIME 0, OS 3, no name", tc.level, r.Header)
			}
		}
	}
}

// TestWriterEmpty: an empty input is gzip's own 20-byte empty member.
func TestWriterEmpty(t *testing.T) {
	t.Parallel()
	want := []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if got := compress(t, nil); !bytes.Equal(got, want) {
		t.Fatalf("empty input gave % x, want % x", got, want)
	}
	// Empty writes do not start a stream either.
	var out bytes.Buffer
	w, _ := NewWriter(&out)
	w.Write(nil)
	w.Write([]byte{})
	w.Close()
	if !bytes.Equal(out.Bytes(), want) {
		t.Fatalf("empty writes gave % x, want % x", out.Bytes(), want)
	}
}

// TestWriterDeterministic: the same bytes whatever the thread count and the
// way the input is cut into writes (chunking invariance).
func TestWriterDeterministic(t *testing.T) {
	t.Parallel()
	data := append(text(2<<20), random(300<<10, 7)...)
	bs := BlockSize(256 << 10)
	want := compress(t, data, Threads(1), bs)
	for _, threads := range []int{1, 2, 8} {
		for _, chunk := range []int{1 << 30, 1, 7, 4093, 65537, 256 << 10} {
			if chunk == 1 && threads != 2 {
				continue // slow; once is enough
			}
			var out bytes.Buffer
			w, err := NewWriter(&out, Threads(threads), bs)
			if err != nil {
				t.Fatal(err)
			}
			for p := data; len(p) > 0; {
				n := min(chunk, len(p))
				if _, err := w.Write(p[:n]); err != nil {
					t.Fatal(err)
				}
				p = p[n:]
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), want) {
				t.Errorf("Threads(%d), writes of %d: output differs from Threads(1)", threads, chunk)
			}
		}
	}
}

func TestWriterOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opt  Option
		ok   bool
	}{
		{"Level(-1)", Level(-1), false},
		{"Level(10)", Level(10), false},
		{"Level(0)", Level(0), true},
		{"Level(9)", Level(9), true},
		{"Threads(0)", Threads(0), false},
		{"Threads(1)", Threads(1), true},
		{"Threads(2000)", Threads(2000), false},
		{"BlockSize(16K)", BlockSize(16 << 10), false},
		{"BlockSize(Min)", BlockSize(MinBlockSize), true},
		{"BlockSize(Max)", BlockSize(MaxBlockSize), true},
		{"BlockSize(Max+1)", BlockSize(MaxBlockSize + 1), false},
	} {
		_, err := NewWriter(io.Discard, tc.opt)
		if (err == nil) != tc.ok {
			t.Errorf("NewWriter(%s) error = %v, want ok=%v", tc.name, err, tc.ok)
		}
	}
}

// TestWriterErrorSticks: a failure of the destination comes back from a
// Write or from Close, then from every call, and no goroutine is left.
func TestWriterErrorSticks(t *testing.T) {
	before := runtime.NumGoroutine()
	boom := errors.New("boom")
	data := random(3<<20, 3)
	for _, after := range []int{0, 5, 10, 100 << 10, 2 << 20} {
		w, err := NewWriter(&stagetest.FailWriter{N: after, Err: boom}, BlockSize(MinBlockSize), Threads(4))
		if err != nil {
			t.Fatal(err)
		}
		var werr error
		for p := data; len(p) > 0 && werr == nil; p = p[min(len(p), 100<<10):] {
			_, werr = w.Write(p[:min(len(p), 100<<10)])
		}
		cerr := w.Close()
		if werr == nil && cerr == nil {
			t.Fatalf("failing after %d bytes: Write and Close succeeded", after)
		}
		if !errors.Is(cerr, boom) {
			t.Errorf("failing after %d bytes: Close() = %v, want %v", after, cerr, boom)
		}
		if _, err := w.Write([]byte("more")); !errors.Is(err, boom) {
			t.Errorf("failing after %d bytes: Write after failure = %v, want %v", after, err, boom)
		}
		if err := w.Close(); !errors.Is(err, boom) {
			t.Errorf("failing after %d bytes: second Close() = %v, want %v", after, err, boom)
		}
	}
	// The empty stream's single write fails too.
	w, _ := NewWriter(&stagetest.FailWriter{N: 3, Err: boom})
	if err := w.Close(); !errors.Is(err, boom) {
		t.Errorf("empty stream: Close() = %v, want %v", err, boom)
	}
	waitGoroutines(t, before)
}

func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if runtime.NumGoroutine() <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%d goroutines left, %d before", runtime.NumGoroutine(), before)
}

func TestWriterAfterClose(t *testing.T) {
	t.Parallel()
	w, _ := NewWriter(io.Discard)
	w.Write([]byte("x"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("y")); err != ErrClosed {
		t.Errorf("Write after Close = %v, want ErrClosed", err)
	}
	if err := w.Close(); err != nil {
		t.Errorf("second Close = %v, want nil", err)
	}
}

// TestWriterTruncated: output cut short (iotest.TruncateWriter) is found
// out by the Reader at the offset where it ends.
func TestWriterTruncated(t *testing.T) {
	t.Parallel()
	data := text(300 << 10)
	full := compress(t, data)
	for _, n := range []int64{1, 10, 11, int64(len(full)) / 2, int64(len(full)) - 8, int64(len(full)) - 1} {
		var out bytes.Buffer
		w, _ := NewWriter(iotest.TruncateWriter(&out, n))
		w.Write(data)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		_, err := gunzipErr(out.Bytes())
		var ge *Error
		if !errors.As(err, &ge) || !errors.Is(err, io.ErrUnexpectedEOF) || ge.Offset != n {
			t.Errorf("cut at %d: error %v, want unexpected end at offset %d", n, err, n)
		}
	}
}

func BenchmarkWriter(b *testing.B) {
	data := text(8 << 20)
	for _, level := range []int{1, 6, 9} {
		b.Run("level"+string(rune('0'+level)), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				w, _ := NewWriter(io.Discard, Level(level))
				w.Write(data)
				w.Close()
			}
		})
	}
}

// TestWriterReadFrom: ReadFrom gives the bytes that Write gives, through
// odd-sized reads, and returns a read error as it is.
func TestWriterReadFrom(t *testing.T) {
	t.Parallel()
	data := append(text(1<<20), random(200<<10, 9)...)
	want := compress(t, data, BlockSize(MinBlockSize))
	for name, wrap := range map[string]func(io.Reader) io.Reader{
		"plain":         func(r io.Reader) io.Reader { return r },
		"OneByteReader": iotest.OneByteReader,
		"HalfReader":    iotest.HalfReader,
		"DataErrReader": iotest.DataErrReader,
	} {
		var out bytes.Buffer
		w, _ := NewWriter(&out, BlockSize(MinBlockSize))
		src := wrap(bytes.NewReader(data))
		if name == "OneByteReader" {
			src = io.MultiReader(iotest.OneByteReader(bytes.NewReader(data[:5000])), bytes.NewReader(data[5000:]))
		}
		n, err := w.ReadFrom(src)
		if err != nil || n != int64(len(data)) {
			t.Fatalf("%s: ReadFrom = %d, %v", name, n, err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out.Bytes(), want) {
			t.Errorf("%s: output differs from Write's", name)
		}
	}
	boom := errors.New("boom")
	w, _ := NewWriter(io.Discard)
	if _, err := w.ReadFrom(io.MultiReader(bytes.NewReader(data[:1000]), iotest.ErrReader(boom))); err != boom {
		t.Errorf("ReadFrom of a failing reader: %v, want %v", err, boom)
	}
	w.Close()
}

// TestWriterMatchesPgzip: with SingleMember(true) the Writer's blocks are
// pgzip's: with pgzip's header set to MTIME 0 and OS 3, the bytes are the
// same.
func TestWriterMatchesPgzip(t *testing.T) {
	t.Parallel()
	data := append(text(3<<20+12345), random(150<<10, 5)...)
	for _, tc := range []struct {
		level, size int
		bs          int
	}{
		{6, len(data), DefaultBlockSize},
		{1, len(data), MinBlockSize},
		{9, 1 << 20, 256 << 10},
		{0, 300 << 10, MinBlockSize},
		{6, 1, MinBlockSize},
		{6, MinBlockSize, MinBlockSize},
		{6, MinBlockSize + dictSize, MinBlockSize},
		{6, MinBlockSize*2 + dictSize - 1, MinBlockSize},
		{6, MinBlockSize*2 + dictSize + 1, MinBlockSize},
	} {
		in := data[:tc.size]
		var want bytes.Buffer
		pz, _ := pgzip.NewWriterLevel(&want, tc.level)
		pz.SetConcurrency(tc.bs, 3)
		pz.ModTime = time.Unix(0, 0)
		pz.OS = 3
		pz.Write(in)
		if err := pz.Close(); err != nil {
			t.Fatal(err)
		}
		got := compress(t, in, Level(tc.level), BlockSize(tc.bs), Threads(2), SingleMember(true))
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("level %d, %d bytes, blocks of %d: %d bytes, pgzip %d", tc.level, tc.size, tc.bs, len(got), want.Len())
		}
	}
}

// TestWriterCloseWithError: an aborted Writer writes nothing more and
// leaves no goroutine.
func TestWriterCloseWithError(t *testing.T) {
	before := runtime.NumGoroutine()
	boom := errors.New("upstream failed")
	var out bytes.Buffer
	w, _ := NewWriter(&out, BlockSize(MinBlockSize), Threads(3))
	w.Write(text(MinBlockSize*5 + 100))
	if err := w.CloseWithError(boom); err != nil {
		t.Fatal(err)
	}
	n := out.Len()
	if _, err := w.Write([]byte("x")); err != boom {
		t.Errorf("Write after CloseWithError = %v, want %v", err, boom)
	}
	if err := w.Close(); err != boom {
		t.Errorf("Close after CloseWithError = %v, want %v", err, boom)
	}
	if out.Len() != n {
		t.Errorf("%d bytes written after CloseWithError", out.Len()-n)
	}
	if _, err := gunzipErr(out.Bytes()); !errors.Is(err, ErrTruncated) {
		t.Errorf("aborted output decodes with %v, want a truncation", err)
	}
	// Other readers see a truncation too: the members written are
	// followed by the start of a header.
	if _, err := io.Copy(io.Discard, mustStdReader(t, out.Bytes())); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("aborted output: compress/gzip says %v, want unexpected EOF", err)
	}
	if out.Len() < 10 || !bytes.Equal(out.Bytes()[out.Len()-10:out.Len()-6], []byte{0x1f, 0x8b, 8, 4}) {
		t.Errorf("aborted output does not end with a member's first 10 bytes: % x", out.Bytes()[max(0, out.Len()-10):])
	}
	w, _ = NewWriter(&out)
	w.CloseWithError(nil)
	if err := w.Close(); err != ErrAborted {
		t.Errorf("CloseWithError(nil) then Close = %v", err)
	}
	waitGoroutines(t, before)
}
