package inflate

import (
	"bufio"
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// deflate compresses data at level with compress/flate.
func deflate(t testing.TB, data []byte, level int) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := flate.NewWriter(&b, level)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// oracleMax bounds the data compared, so that a bomb does not stall the
// fuzzer.
const oracleMax = 1 << 20

// oracle decodes in with compress/flate: the data, up to oracleMax bytes,
// and the error.
func oracle(in []byte) ([]byte, error) {
	r := flate.NewReader(bytes.NewReader(in))
	out, err := io.ReadAll(io.LimitReader(r, oracleMax))
	return out, err
}

// viaRead decodes in through a bufio.Reader of size bufSize with Read and
// p of pSize, and returns the data, the bytes left in the source and the
// error.
func viaRead(in []byte, bufSize, pSize int, wrap func(io.Reader) io.Reader) ([]byte, int, error) {
	var src io.Reader = bytes.NewReader(in)
	if wrap != nil {
		src = wrap(src)
	}
	br := bufio.NewReaderSize(src, bufSize)
	d := NewDecoder()
	d.Reset(br)
	var out []byte
	p := make([]byte, pSize)
	for {
		n, err := d.Read(p)
		out = append(out, p[:n]...)
		if err == io.EOF {
			rest, _ := io.ReadAll(br)
			return out, len(rest), nil
		}
		if err != nil {
			return out, -1, err
		}
		if len(out) > 64<<20 {
			return out, -1, errors.New("too much")
		}
	}
}

func viaWriteTo(in []byte) ([]byte, int, error) {
	br := bufio.NewReaderSize(bytes.NewReader(in), 4096)
	d := NewDecoder()
	d.Reset(br)
	var b bytes.Buffer
	_, err := d.WriteTo(&b)
	rest, _ := io.ReadAll(br)
	return b.Bytes(), len(rest), err
}

// inputs returns data of many shapes.
func inputs() map[string][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	rnd := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	text := func(n int) []byte {
		words := []string{"alpha ", "beta ", "gamma\n", "delta, ", "INSERT INTO t VALUES (", "1, 2, 3);\n", "x"}
		var b []byte
		for len(b) < n {
			b = append(b, words[r.IntN(len(words))]...)
		}
		return b[:n]
	}
	m := map[string][]byte{
		"empty":   nil,
		"one":     {'a'},
		"zeros":   make([]byte, 1<<20),
		"random":  rnd(200 << 10),
		"text":    text(3 << 20),
		"abab":    bytes.Repeat([]byte("ab"), 100000),
		"period7": bytes.Repeat([]byte("abcdefg"), 50000),
	}
	// A 32 KiB random block repeated: matches at distance 32768.
	blk := rnd(32768)
	m["far"] = bytes.Join([][]byte{blk, blk, blk, rnd(1000), blk}, nil)
	// Mixed: random then text then runs, around the window's wrap.
	m["mixed"] = bytes.Join([][]byte{rnd(300 << 10), text(700 << 10), make([]byte, 5000), rnd(10), text(10 << 10)}, nil)
	return m
}

func check(t *testing.T, name string, in, want []byte) {
	t.Helper()
	for _, bs := range []int{16, 4096, 1 << 20} {
		for _, ps := range []int{1, 1000, 1 << 20} {
			if bs == 16 && ps == 1 && len(want) > 1<<20 {
				continue
			}
			got, rest, err := viaRead(in, bs, ps, nil)
			if err != nil || !bytes.Equal(got, want) || rest != 0 {
				t.Fatalf("%s: Read buf %d p %d: %d bytes, %d left, %v; want %d bytes", name, bs, ps, len(got), rest, err, len(want))
			}
		}
	}
	got, rest, err := viaRead(in, 4096, 4096, iotest.OneByteReader)
	if err != nil || !bytes.Equal(got, want) || rest != 0 {
		t.Fatalf("%s: one byte reads: %d bytes, %d left, %v", name, len(got), rest, err)
	}
	got, rest, err = viaWriteTo(in)
	if err != nil || !bytes.Equal(got, want) || rest != 0 {
		t.Fatalf("%s: WriteTo: %d bytes, %d left, %v", name, len(got), rest, err)
	}
	dst := make([]byte, len(want))
	n, used, err := NewDecoder().DecodeAll(dst, in)
	if err != nil || n != len(want) || used != len(in) || !bytes.Equal(dst, want) {
		t.Fatalf("%s: DecodeAll = %d, %d, %v; want %d, %d", name, n, used, err, len(want), len(in))
	}
	if len(want) > 0 {
		_, _, err = NewDecoder().DecodeAll(dst[:len(want)-1], in)
		if err != ErrTooLong {
			t.Fatalf("%s: DecodeAll into one byte less: %v, want ErrTooLong", name, err)
		}
	}
}

// TestLevels: the data of every shape at every level, and stored (level
// 0), fixed (HuffmanOnly is dynamic; the 1-byte and empty inputs make
// fixed blocks) decode as compress/flate made them, with the stream's
// bytes consumed exactly: a trailer after it stays in the source.
func TestLevels(t *testing.T) {
	for name, data := range inputs() {
		for _, level := range []int{0, 1, 2, 5, 6, 9, flate.HuffmanOnly} {
			z := deflate(t, data, level)
			check(t, fmt.Sprintf("%s level %d", name, level), z, data)
			// Followed by a trailer: it must stay unread.
			tail := append(bytes.Clone(z), 1, 2, 3, 4, 5, 6, 7, 8)
			got, rest, err := viaRead(tail, 4096, 4096, nil)
			if err != nil || rest != 8 || !bytes.Equal(got, data) {
				t.Fatalf("%s level %d with trailer: %d bytes, %d left, %v", name, level, len(got), rest, err)
			}
		}
	}
}

// TestFixed: hand-made fixed-Huffman streams, including length 258 and
// distance 1, and an empty fixed block before a stored one.
func TestFixed(t *testing.T) {
	var w bitWriter
	// Block 1: fixed, not final: 'a', then match length 258 dist 1, EOB.
	w.put(0, 1)
	w.put(1, 2)
	w.code(0x30+'a', 8)
	w.code(0xc5, 8) // 285: length 258
	w.code(0, 5)    // distance code 0: 1
	w.code(0, 7)    // 256
	// Block 2: fixed, empty.
	w.put(0, 1)
	w.put(1, 2)
	w.code(0, 7)
	// Block 3: stored, final, 3 bytes.
	w.put(1, 1)
	w.put(0, 2)
	w.align()
	w.bytes(3, 0, 0xfc, 0xff, 'x', 'y', 'z')
	want := append(bytes.Repeat([]byte{'a'}, 259), "xyz"...)
	if got, err := oracle(w.b); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("the oracle: %q, %v", got, err)
	}
	check(t, "hand-made", w.b, want)
}

// bitWriter writes DEFLATE bits.
type bitWriter struct {
	b  []byte
	nb uint
}

func (w *bitWriter) put(v uint32, n uint) {
	for i := range n {
		if w.nb%8 == 0 {
			w.b = append(w.b, 0)
		}
		w.b[len(w.b)-1] |= byte(v>>i&1) << (w.nb % 8)
		w.nb++
	}
}

// code writes a Huffman code, first bit its highest.
func (w *bitWriter) code(c uint32, n uint) {
	for i := int(n) - 1; i >= 0; i-- {
		w.put(c>>uint(i)&1, 1)
	}
}

func (w *bitWriter) align() { w.nb = (w.nb + 7) &^ 7 }

func (w *bitWriter) bytes(b ...byte) {
	w.b = append(w.b, b...)
	w.nb += uint(8 * len(b))
}

// TestCorrupt: every damaged or cut stream gives an error or the oracle's
// data; never other bytes, never a panic; and errors agree with the
// oracle's in kind.
func TestCorrupt(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for name, data := range inputs() {
		if len(data) > 300<<10 {
			data = data[:300<<10]
		}
		for _, level := range []int{0, 1, 6, 9, flate.HuffmanOnly} {
			z := deflate(t, data, level)
			for i := range 40 {
				bad := bytes.Clone(z)
				switch {
				case i < 10 && len(bad) > 0:
					bad = bad[:r.IntN(len(bad))]
				case len(bad) > 0:
					for range 1 + r.IntN(3) {
						bad[r.IntN(min(len(bad), 64+r.IntN(len(bad))))] ^= byte(1 << r.IntN(8))
					}
				}
				differ(t, fmt.Sprintf("%s level %d case %d", name, level, i), bad)
			}
		}
	}
}

// differ compares the decoder with compress/flate on in.
func differ(t *testing.T, name string, in []byte) {
	t.Helper()
	want, werr := oracle(in)
	if werr == nil && len(want) == oracleMax {
		return // a bomb: the oracle was cut
	}
	got, _, err := viaRead(in, 4096, 1<<16, nil)
	if (err == nil) != (werr == nil) {
		t.Fatalf("%s: error %v, oracle %v", name, err, werr)
	}
	if err == nil && !bytes.Equal(got, want) {
		t.Fatalf("%s: %d bytes, oracle %d, differ", name, len(got), len(want))
	}
	if err != nil {
		n := min(len(got), len(want))
		if !bytes.Equal(got[:n], want[:n]) {
			t.Fatalf("%s: data before the error differs from the oracle's", name)
		}
		var ce *CorruptError
		var fe flate.CorruptInputError
		if errors.As(err, &ce) != errors.As(werr, &fe) {
			t.Fatalf("%s: error %v, oracle %v", name, err, werr)
		}
		if ce != nil && (ce.Offset < 0 || ce.Offset >= int64(len(in))) {
			t.Fatalf("%s: offset %d outside the %d bytes", name, ce.Offset, len(in))
		}
	}
	dst := make([]byte, len(want)+1)
	n, used, derr := NewDecoder().DecodeAll(dst, in)
	if (derr == nil) != (err == nil) || !bytes.Equal(dst[:n], got[:min(n, len(got))]) || (derr == nil && used > len(in)) {
		t.Fatalf("%s: DecodeAll %d bytes, %v; Read %d bytes, %v", name, n, derr, len(got), err)
	}
}

// TestErrors: specific malformed streams.
func TestErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      []byte
		corrupt bool
		offset  int64
	}{
		{"empty input", nil, false, 0},
		{"reserved type", []byte{0x07, 0, 0}, true, 0},
		{"stored length", []byte{0x01, 5, 0, 0, 0, 'h', 'e', 'l', 'l', 'o'}, true, 4},
		{"stored cut", []byte{0x01, 5, 0, 0xfa, 0xff, 'h', 'e'}, false, 0},
		{"not final", []byte{0x00, 0, 0, 0xff, 0xff}, false, 0},
		{"distance too far", func() []byte {
			var w bitWriter
			w.put(1, 1)
			w.put(1, 2)
			w.code(0x30+'a', 8)
			w.code(1, 7) // 257: length 3
			w.code(1, 5) // distance 2: one byte of history only
			w.code(0, 7)
			return w.b
		}(), true, 2},
		{"distance code 30", func() []byte {
			var w bitWriter
			w.put(1, 1)
			w.put(1, 2)
			w.code(0x30+'a', 8)
			w.code(1, 7)
			w.code(30, 5)
			w.code(0, 7)
			return w.b
		}(), true, 2},
		{"length code 286", func() []byte {
			var w bitWriter
			w.put(1, 1)
			w.put(1, 2)
			w.code(0xc6, 8)
			w.code(0, 7)
			return w.b
		}(), true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			differ(t, tc.name, tc.in)
			_, _, err := viaRead(tc.in, 4096, 4096, nil)
			var ce *CorruptError
			if errors.As(err, &ce) != tc.corrupt || (!tc.corrupt && err != io.ErrUnexpectedEOF) {
				t.Fatalf("error %v, want corrupt %v", err, tc.corrupt)
			}
			if ce != nil && ce.Offset != tc.offset {
				t.Fatalf("offset %d, want %d", ce.Offset, tc.offset)
			}
		})
	}
}

// TestSourceError: a failure of the source is returned as it is.
func TestSourceError(t *testing.T) {
	z := deflate(t, inputs()["text"], 6)
	boom := errors.New("boom")
	src := io.MultiReader(bytes.NewReader(z[:len(z)/2]), iotest.ErrReader(boom))
	d := NewDecoder()
	d.Reset(bufio.NewReaderSize(src, 4096))
	_, err := io.Copy(io.Discard, d)
	if err != boom {
		t.Fatalf("error %v, want boom", err)
	}
}

// TestReuse: a Decoder reset mid-stream decodes the next stream right.
func TestReuse(t *testing.T) {
	data := inputs()["mixed"]
	z := deflate(t, data, 6)
	d := NewDecoder()
	d.Reset(bufio.NewReader(bytes.NewReader(z)))
	io.CopyN(io.Discard, d, 100000)
	d.Reset(bufio.NewReader(bytes.NewReader(z)))
	got, err := io.ReadAll(d)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("after reset: %d bytes, %v", len(got), err)
	}
	small := deflate(t, []byte("hello"), 6)
	dst := make([]byte, 5)
	if n, used, err := d.DecodeAll(dst, small); n != 5 || used != len(small) || err != nil || string(dst) != "hello" {
		t.Fatalf("DecodeAll after streaming: %d, %d, %v, %q", n, used, err, dst)
	}
	d.Reset(bufio.NewReader(bytes.NewReader(z)))
	got, err = io.ReadAll(d)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("streaming after DecodeAll: %d bytes, %v", len(got), err)
	}
}

// FuzzDecoder compares the decoder with compress/flate on any input.
func FuzzDecoder(f *testing.F) {
	for _, data := range []string{"", "a", "hello hello hello hello", "abababababababababababababab"} {
		for _, level := range []int{0, 1, 6, 9, flate.HuffmanOnly} {
			f.Add(deflate(f, []byte(data), level))
		}
	}
	f.Add(deflate(f, inputs()["far"][:40000], 6))
	f.Add([]byte{0x07})
	f.Fuzz(func(t *testing.T, in []byte) {
		differ(t, "fuzz", in)
	})
}

// farStream is a fixed block of the literals lit, then a match of length
// 258 at distance 32768 (code 29, extra 8191), then end of block.
func farStream(lit []byte) []byte {
	var w bitWriter
	w.put(1, 1)
	w.put(1, 2)
	for _, c := range lit {
		if c < 144 {
			w.code(0x30+uint32(c), 8)
		} else {
			w.code(0x190+uint32(c)-144, 9)
		}
	}
	w.code(0xc5, 8) // 285: length 258
	w.code(29, 5)
	w.put(8191, 13)
	w.code(0, 7)
	return w.b
}

// TestFarthest: a match at distance 32768, the largest, after exactly
// that much data, across the window's slide; one byte less of data is an
// error.
func TestFarthest(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	lit := make([]byte, 32768)
	for i := range lit {
		lit[i] = byte(r.Uint32())
	}
	want := append(bytes.Clone(lit), lit[:258]...)
	in := farStream(lit)
	if got, err := oracle(in); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("the oracle: %d bytes, %v", len(got), err)
	}
	check(t, "distance 32768", in, want)
	differ(t, "distance 32769", farStream(lit[1:]))
	if _, _, err := viaRead(farStream(lit[1:]), 4096, 4096, nil); !errors.As(err, new(*CorruptError)) {
		t.Fatalf("distance past the data: %v, want a CorruptError", err)
	}
	// After 300 KiB of data the window has slid: the distance still works.
	long := make([]byte, 300<<10)
	for i := range long {
		long[i] = byte(r.Uint32())
	}
	want = append(bytes.Clone(long), long[len(long)-32768:][:258]...)
	check(t, "distance 32768 after a slide", farStream(long), want)
}

// TestStreams: streams one after the other in one source, as gzip members
// are, each decoded by a Reset: each takes exactly its own bytes.
func TestStreams(t *testing.T) {
	var all []byte
	var wants [][]byte
	for i, data := range [][]byte{[]byte("first"), nil, inputs()["mixed"], []byte("last")} {
		z := deflate(t, data, []int{0, 6, 1, 9}[i])
		all = append(all, z...)
		wants = append(wants, data)
	}
	br := bufio.NewReaderSize(bytes.NewReader(all), 4096)
	d := NewDecoder()
	for i, want := range wants {
		d.Reset(br)
		got, err := io.ReadAll(d)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("stream %d: %d bytes, %v; want %d bytes", i, len(got), err, len(want))
		}
	}
	if rest, _ := io.ReadAll(br); len(rest) != 0 {
		t.Fatalf("%d bytes left", len(rest))
	}
}
