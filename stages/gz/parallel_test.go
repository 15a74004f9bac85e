package gz

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"
	"testing/iotest"

	"github.com/fpipe/fpipe/internal/stagetest"
)

// decodeWith decodes b with a Reader of threads threads (0: the
// sequential decoder only), through Read or WriteTo, and returns the output
// and the error's text ("" when none).
func decodeWith(b []byte, threads int, writeTo bool, opts ...ReaderOption) ([]byte, string) {
	r, err := NewReader(bytes.NewReader(b), opts...)
	if err != nil {
		panic(err)
	}
	r.threads = threads
	var out bytes.Buffer
	if writeTo {
		_, err = r.WriteTo(&out)
	} else {
		_, err = io.Copy(&out, struct{ io.Reader }{r})
	}
	r.Close()
	if err != nil {
		return out.Bytes(), err.Error()
	}
	return out.Bytes(), ""
}

// members splits the Writer's output into its members, using the
// lengths in their headers.
func members(t testing.TB, z []byte) [][]byte {
	t.Helper()
	var ms [][]byte
	for len(z) > 0 {
		if len(z) < memberHeaderLen || z[3] != flagExtra {
			t.Fatalf("not the Writer's member: % x", z[:min(len(z), 20)])
		}
		n := binary.LittleEndian.Uint32(z[16:])
		ms = append(ms, z[:n])
		z = z[n:]
	}
	return ms
}

// TestParallelRoundTrip: the Writer's output decodes in parallel to the
// input, at every thread count, both ways, at every level.
func TestParallelRoundTrip(t *testing.T) {
	t.Parallel()
	data := append(text(5<<20+12345), random(700<<10, 3)...)
	for level := 0; level <= 9; level++ {
		in := data
		if level != 1 && level != 6 {
			in = data[:1<<20+3] // the slow levels on less
		}
		z := compress(t, in, Level(level), BlockSize(MinBlockSize*3))
		if got := stdGunzip(t, z); !bytes.Equal(got, in) {
			t.Fatalf("level %d: compress/gzip decoded %d bytes, want %d", level, len(got), len(in))
		}
		for _, threads := range []int{1, 2, 3, 8} {
			for _, wt := range []bool{false, true} {
				got, err := decodeWith(z, threads, wt)
				if err != "" || !bytes.Equal(got, in) {
					t.Errorf("level %d, %d threads, WriteTo %v: %d bytes, %q; want %d bytes", level, threads, wt, len(got), err, len(in))
				}
			}
		}
	}
	for _, n := range []int{0, 1, MinBlockSize, 2 * MinBlockSize, 2*MinBlockSize + 1} {
		z := compress(t, data[:n], BlockSize(MinBlockSize))
		for _, wt := range []bool{false, true} {
			if got, err := decodeWith(z, 2, wt); err != "" || !bytes.Equal(got, data[:n]) {
				t.Errorf("%d bytes, WriteTo %v: %d bytes, %q", n, wt, len(got), err)
			}
		}
	}
}

// TestParallelLikeSequential: whatever is wrong with a stream that starts
// as the Writer's, the parallel decoder gives the sequential decoder's
// output and error, to the byte and the offset.
func TestParallelLikeSequential(t *testing.T) {
	t.Parallel()
	data := append(text(5*MinBlockSize), random(MinBlockSize+100, 4)...)
	z := compress(t, data, BlockSize(MinBlockSize))
	ms := members(t, z)
	if len(ms) != 8 { // 6 with data + the end member... and the last 100 bytes
		t.Fatalf("%d members, want 8", len(ms))
	}
	off := func(k int) int { // offset of member k
		n := 0
		for _, m := range ms[:k] {
			n += len(m)
		}
		return n
	}
	flip := func(i int) func([]byte) []byte {
		return func(b []byte) []byte { b = bytes.Clone(b); b[i] ^= 0x10; return b }
	}
	cut := func(n int) func([]byte) []byte { return func(b []byte) []byte { return bytes.Clone(b[:n]) } }
	plain := member(t, header{}, []byte("plain member\n"))
	big := compress(t, text(MaxParallelBlock+5000), BlockSize(2*MaxParallelBlock))
	cases := map[string]func([]byte) []byte{
		"good":                        func(b []byte) []byte { return b },
		"deflate data of member 2":    flip(off(2) + 40),
		"first byte of member 3 data": flip(off(3) + memberHeaderLen),
		"crc of member 1":             flip(off(2) - 8),
		"isize of member 4":           flip(off(5) - 3),
		"isize of member 4 large":     func(b []byte) []byte { b = bytes.Clone(b); b[off(5)-2] = 0x40; return b },
		"length of member 2 short":    func(b []byte) []byte { b = bytes.Clone(b); b[off(2)+16]--; return b },
		"length of member 2 long":     func(b []byte) []byte { b = bytes.Clone(b); b[off(2)+16]++; return b },
		"length of member 0 tiny":     func(b []byte) []byte { b = bytes.Clone(b); copy(b[16:20], []byte{29, 0, 0, 0}); return b },
		"length of member 1 huge":     func(b []byte) []byte { b = bytes.Clone(b); b[off(1)+19] = 0x7f; return b },
		"magic of member 3":           flip(off(3)),
		"flags of member 3":           func(b []byte) []byte { b = bytes.Clone(b); b[off(3)+3] = flagExtra | flagName; return b },
		"subfield of member 3":        flip(off(3) + 12),
		"cut in header of 2":          cut(off(2) + 15),
		"cut in data of 2":            cut(off(2) + 100),
		"cut in trailer of 5":         cut(off(6) - 3),
		"cut after member 4":          cut(off(5)),
		"cut before end member":       cut(off(7)),
		"cut in end member":           cut(len(z) - 1),
		"trailing garbage":            func(b []byte) []byte { return cat(b, []byte("junk")) },
		"trailing zeros":              func(b []byte) []byte { return cat(b, make([]byte, 100)) },
		"zeros then garbage":          func(b []byte) []byte { return cat(b, make([]byte, 100), []byte{1}) },
		"plain member after":          func(b []byte) []byte { return cat(b, plain) },
		"plain member before":         func(b []byte) []byte { return cat(plain, b) },
		"plain member in between":     func(b []byte) []byte { return cat(b[:off(3)], plain, b[off(3):]) },
		"twice":                       func(b []byte) []byte { return cat(b, b) },
		"large member in between":     func(b []byte) []byte { return cat(b[:off(3)], big[:len(big)-memberMin], b[off(3):]) },
		"empty member in between":     func(b []byte) []byte { return cat(b[:off(3)], b[off(7):], b[off(3):]) },
		"garbage instead of 5":        func(b []byte) []byte { return cat(b[:off(5)], []byte("garbage")) },
	}
	valid := map[string]bool{"good": true, "twice": true, "trailing zeros": true, "plain member before": true,
		"plain member after": true, "plain member in between": true, "large member in between": true,
		"empty member in between": true, "length of member 2 short": true, "length of member 2 long": true,
		"length of member 0 tiny": true, "length of member 1 huge": true, "subfield of member 3": true}
	for name, mangle := range cases {
		in := mangle(z)
		for _, wt := range []bool{false, true} {
			want, wantErr := decodeWith(in, 0, wt)
			// A wrong length in a header, or another member among ours,
			// is still good gzip: the parallel path must give way.
			if valid[name] {
				if wantErr != "" {
					t.Errorf("%s: sequential decoder: %s", name, wantErr)
				}
			} else if wantErr == "" {
				t.Errorf("%s: sequential decoder: no error", name)
			}
			for _, threads := range []int{1, 2, 5} {
				got, gotErr := decodeWith(in, threads, wt)
				if gotErr != wantErr || !bytes.Equal(got, want) {
					t.Errorf("%s, %d threads, WriteTo %v: %d bytes, %q; sequential: %d bytes, %q", name, threads, wt, len(got), gotErr, len(want), wantErr)
				}
			}
		}
	}
}

// TestParallelErrorOffsets: the errors a damaged stream of the Writer gives
// name the right place.
func TestParallelErrorOffsets(t *testing.T) {
	t.Parallel()
	z := compress(t, text(4*MinBlockSize), BlockSize(MinBlockSize))
	ms := members(t, z)
	m0, m1 := len(ms[0]), len(ms[1])
	for _, tc := range []struct {
		name  string
		in    []byte
		kind  error
		off   int
		bytes int // output before the error
	}{
		{"crc of member 1", func() []byte { b := bytes.Clone(z); b[m0+m1-8] ^= 1; return b }(), ErrChecksum, m0 + m1 - 8, 2 * MinBlockSize},
		{"isize of member 1", func() []byte { b := bytes.Clone(z); b[m0+m1-4] ^= 1; return b }(), ErrLength, m0 + m1 - 8, 2 * MinBlockSize},
		{"cut in member 1", z[:m0+100], ErrTruncated, m0 + 100, -1},
		{"cut after member 1", z[:m0+m1], ErrTruncated, m0 + m1, 2 * MinBlockSize},
		{"garbage after", cat(z, []byte("x")), ErrTrailing, len(z), 4 * MinBlockSize},
	} {
		for _, wt := range []bool{false, true} {
			got, err := func() ([]byte, error) {
				r, _ := NewReader(bytes.NewReader(tc.in), ReadThreads(3))
				defer r.Close()
				var out bytes.Buffer
				var err error
				if wt {
					_, err = r.WriteTo(&out)
				} else {
					_, err = io.Copy(&out, struct{ io.Reader }{r})
				}
				return out.Bytes(), err
			}()
			var ge *Error
			if !errors.As(err, &ge) || ge.Err != tc.kind || ge.Offset != int64(tc.off) {
				t.Errorf("%s (WriteTo %v): %v, want %v at offset %d", tc.name, wt, err, tc.kind, tc.off)
			}
			if tc.bytes >= 0 && len(got) != tc.bytes {
				t.Errorf("%s (WriteTo %v): %d bytes out, want %d", tc.name, wt, len(got), tc.bytes)
			}
		}
	}
}

// TestParallelReadThenWriteTo: a Read that takes part of a member, then
// WriteTo, give the data once.
func TestParallelReadThenWriteTo(t *testing.T) {
	t.Parallel()
	data := text(3 * MinBlockSize)
	z := compress(t, data, BlockSize(MinBlockSize))
	for _, n := range []int{1, 1000, MinBlockSize, MinBlockSize + 3} {
		r, _ := NewReader(bytes.NewReader(z), ReadThreads(2))
		head := make([]byte, n)
		if _, err := io.ReadFull(r, head); err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		_, err := r.WriteTo(&out)
		r.Close()
		if got := append(head, out.Bytes()...); err != nil || !bytes.Equal(got, data) {
			t.Errorf("Read %d then WriteTo: %d bytes, %v; want %d", n, len(got), err, len(data))
		}
	}
}

// TestParallelMaxOutput: the limit stops the parallel decoder where it
// stops the sequential one.
func TestParallelMaxOutput(t *testing.T) {
	t.Parallel()
	data := text(5 * MinBlockSize)
	z := compress(t, data, BlockSize(MinBlockSize))
	for _, limit := range []int64{0, 1, MinBlockSize - 1, MinBlockSize, 3*MinBlockSize + 7, int64(len(data)) - 1, int64(len(data))} {
		for _, wt := range []bool{false, true} {
			want, wantErr := decodeWith(z, 0, wt, MaxOutput(limit))
			got, gotErr := decodeWith(z, 4, wt, MaxOutput(limit))
			if gotErr != wantErr || !bytes.Equal(got, want) {
				t.Errorf("limit %d, WriteTo %v: %d bytes, %q; sequential %d bytes, %q", limit, wt, len(got), gotErr, len(want), wantErr)
			}
			if limit < int64(len(data)) && !bytes.Contains([]byte(gotErr), []byte(ErrTooLarge.Error())) {
				t.Errorf("limit %d: %q, want %v", limit, gotErr, ErrTooLarge)
			}
		}
	}
}

// TestParallelIotest: odd reads of the input, a source that fails, and a
// destination that fails; no goroutine is left behind.
func TestParallelIotest(t *testing.T) {
	before := runtime.NumGoroutine()
	data := append(text(3*MinBlockSize), random(MinBlockSize/2, 9)...)
	z := compress(t, data, BlockSize(MinBlockSize))
	for name, wrap := range map[string]func(io.Reader) io.Reader{
		"OneByteReader": iotest.OneByteReader,
		"HalfReader":    iotest.HalfReader,
		"DataErrReader": iotest.DataErrReader,
	} {
		r, _ := NewReader(wrap(bytes.NewReader(z)), ReadThreads(2))
		if err := iotest.TestReader(r, data); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		r.Close()
	}
	boom := errors.New("boom")
	for _, at := range []int{5, memberHeaderLen + 3, 3000, len(z) / 2, len(z) - 10} {
		for _, wt := range []bool{false, true} {
			src := io.MultiReader(bytes.NewReader(z[:at]), iotest.ErrReader(boom))
			r, _ := NewReader(src, ReadThreads(2))
			var err error
			if wt {
				_, err = r.WriteTo(io.Discard)
			} else {
				_, err = io.Copy(io.Discard, struct{ io.Reader }{r})
			}
			r.Close()
			if err != boom {
				t.Errorf("source failing at %d (WriteTo %v): %v, want %v", at, wt, err, boom)
			}
		}
	}
	for _, after := range []int{0, 100, MinBlockSize + 5} {
		r, _ := NewReader(bytes.NewReader(z), ReadThreads(3))
		_, err := r.WriteTo(&stagetest.FailWriter{N: after, Err: boom})
		r.Close()
		if !errors.Is(err, boom) {
			t.Errorf("destination failing after %d: %v, want %v", after, err, boom)
		}
	}
	waitGoroutines(t, before)
}

// TestParallelOptions: ReadThreads checks its range.
func TestParallelOptions(t *testing.T) {
	t.Parallel()
	for _, n := range []int{-1, 0, 1025} {
		if _, err := NewReader(nil, ReadThreads(n)); err == nil {
			t.Errorf("ReadThreads(%d): no error", n)
		}
	}
	if _, err := NewReader(nil, ReadThreads(1024)); err != nil {
		t.Errorf("ReadThreads(1024): %v", err)
	}
}

func BenchmarkParallelReader(b *testing.B) {
	z := compress(b, text(32<<20))
	for _, threads := range []int{1, 2} {
		b.Run(fmt.Sprint(threads), func(b *testing.B) {
			b.SetBytes(32 << 20)
			b.ReportAllocs()
			for b.Loop() {
				r, _ := NewReader(bytes.NewReader(z), ReadThreads(threads))
				r.WriteTo(io.Discard)
				r.Close()
			}
		})
	}
}

// TestSkip: Skip(n) then the rest gives data[n:], at every kind of place,
// on the Writer's members (skipped without inflating) and on other gzip
// (decoded and discarded); past the end it stops with io.EOF.
func TestSkip(t *testing.T) {
	t.Parallel()
	data := append(text(5*MinBlockSize+777), random(MinBlockSize, 8)...)
	ours := compress(t, data, BlockSize(MinBlockSize))
	single := compress(t, data, SingleMember(true))
	for _, in := range []struct {
		name string
		z    []byte
	}{{"members", ours}, {"single", single}, {"plain then members", cat(member(t, header{}, data[:1000]), ours)}} {
		want := data
		if in.name == "plain then members" {
			want = append(bytes.Clone(data[:1000]), data...)
		}
		for _, n := range []int64{0, 1, 1000, MinBlockSize - 1, MinBlockSize, MinBlockSize + 1, 3*MinBlockSize + 5, int64(len(want)) - 1, int64(len(want))} {
			for _, threads := range []int{0, 1, 3} {
				r, _ := NewReader(bytes.NewReader(in.z))
				r.threads = threads
				k, err := r.Skip(n)
				if k != n || err != nil {
					t.Fatalf("%s: Skip(%d) = %d, %v", in.name, n, k, err)
				}
				var out bytes.Buffer
				_, err = r.WriteTo(&out)
				r.Close()
				if err != nil || !bytes.Equal(out.Bytes(), want[n:]) {
					t.Errorf("%s, %d threads: after Skip(%d): %d bytes, %v; want %d bytes", in.name, threads, n, out.Len(), err, len(want)-int(n))
				}
			}
		}
		r, _ := NewReader(bytes.NewReader(in.z), ReadThreads(2))
		if k, err := r.Skip(int64(len(want)) + 5); k != int64(len(want)) || err != io.EOF {
			t.Errorf("%s: Skip past the end = %d, %v; want %d, EOF", in.name, k, err, len(want))
		}
		r.Close()
	}
	// A damaged member wholly skipped is not inflated; one partly skipped is
	// decoded, and its error comes.
	ms := members(t, ours)
	bad := bytes.Clone(ours)
	bad[len(ms[0])+len(ms[1])-8] ^= 1 // member 1's CRC
	r, _ := NewReader(bytes.NewReader(bad), ReadThreads(2))
	if _, err := r.Skip(2 * MinBlockSize); err != nil {
		t.Errorf("skipping a member with a bad CRC: %v", err)
	}
	r.Close()
	r, _ = NewReader(bytes.NewReader(bad), ReadThreads(2))
	if _, err := r.Skip(2*MinBlockSize - 1); err != nil {
		t.Errorf("skipping into a member with a bad CRC: %v", err)
	}
	if _, err := r.WriteTo(io.Discard); !errors.Is(err, ErrChecksum) {
		t.Errorf("reading on from inside a member with a bad CRC: %v, want %v", err, ErrChecksum)
	}
	r.Close()
}

// TestDiscardRest: after part of the data, the rest of the input is read
// to its end, damaged or not, and the Reader then gives io.EOF.
func TestDiscardRest(t *testing.T) {
	t.Parallel()
	z := compress(t, text(4*MinBlockSize), BlockSize(MinBlockSize))
	z = cat(z, []byte("trailing garbage, never looked at"))
	for _, threads := range []int{1, 3} {
		src := bytes.NewReader(z)
		r, _ := NewReader(src, ReadThreads(threads))
		if _, err := io.ReadFull(r, make([]byte, MinBlockSize+10)); err != nil {
			t.Fatal(err)
		}
		if err := r.DiscardRest(); err != nil {
			t.Errorf("DiscardRest: %v", err)
		}
		if src.Len() != 0 {
			t.Errorf("%d bytes of input left unread", src.Len())
		}
		if n, err := r.Read(make([]byte, 10)); n != 0 || err != io.EOF {
			t.Errorf("Read after DiscardRest = %d, %v", n, err)
		}
		r.Close()
	}
	boom := errors.New("boom")
	r, _ := NewReader(io.MultiReader(bytes.NewReader(z[:len(z)/2]), iotest.ErrReader(boom)))
	r.Read(make([]byte, 10))
	if err := r.DiscardRest(); err != boom {
		t.Errorf("DiscardRest of a failing source: %v, want %v", err, boom)
	}
	r.Close()
}
