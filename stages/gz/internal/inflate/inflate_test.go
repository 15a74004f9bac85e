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
	"time"
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
		// A block with no end-of-block code fails at its header, as in
		// zlib; compress/flate decodes on to an error later.
		noEnd := errors.As(err, &ce) && ce.What == noEndOfBlock && werr != nil
		if errors.As(err, &ce) != errors.As(werr, &fe) && !noEnd {
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
	for _, c := range dynamicCases() {
		f.Add(c.in)
	}
	in, _ := mixedBlocks(f)
	f.Add(in)
	f.Add(farStream([]byte("abc")))
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

// canonical returns the canonical Huffman codes of the code lengths
// (RFC 1951 section 3.2.2).
func canonical(lengths []uint8) []uint32 {
	var count [17]uint32
	for _, l := range lengths {
		count[l]++
	}
	count[0] = 0
	var next [17]uint32
	code := uint32(0)
	for l := 1; l <= 16; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	codes := make([]uint32, len(lengths))
	for s, l := range lengths {
		if l != 0 {
			codes[s] = next[l]
			next[l]++
		}
	}
	return codes
}

// clsym is a symbol of the code-length code with its extra bits.
type clsym struct{ sym, extra uint32 }

// clens is a complete code-length code with every symbol: 0-15 of 5
// bits, 16 of 2, 17 and 18 of 3.
var clens = [19]uint8{5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 5, 2, 3, 3}

// dynHeader writes a dynamic block's header: the field counts as given
// (hlit is HLIT, the count less 257, and so on; out of range on purpose
// when a test wants it), the code-length code cl and the code lengths seq.
func (w *bitWriter) dynHeader(final bool, hlit, hdist uint32, cl [19]uint8, seq []clsym) {
	w.put(b2u(final), 1)
	w.put(2, 2)
	w.put(hlit, 5)
	w.put(hdist, 5)
	w.put(15, 4) // all 19 lengths
	for _, s := range clenOrder {
		w.put(uint32(cl[s]), 3)
	}
	codes := canonical(cl[:])
	for _, c := range seq {
		w.code(codes[c.sym], uint(cl[c.sym]))
		switch c.sym {
		case 16:
			w.put(c.extra, 2)
		case 17:
			w.put(c.extra, 3)
		case 18:
			w.put(c.extra, 7)
		}
	}
}

func b2u(b bool) uint32 {
	if b {
		return 1
	}
	return 0
}

// plain is the code-length sequence of lit and dist, one symbol a length.
func plain(lit, dist []uint8) []clsym {
	var seq []clsym
	for _, l := range append(append([]uint8(nil), lit...), dist...) {
		seq = append(seq, clsym{sym: uint32(l)})
	}
	return seq
}

// dynBlock writes a dynamic block with the code lengths lit and dist and
// the symbols syms: a literal/length symbol, or for a length symbol the
// length's extra bits, the distance symbol and its extra bits as the next
// three entries (each an {value, bits} pair).
type dsym struct {
	lit     uint32 // literal/length symbol
	lx, lxn uint32 // length extra bits and their count
	dist    uint32 // distance symbol, when lit > 256
	dx, dxn uint32
}

func (w *bitWriter) dynBlock(final bool, lit, dist []uint8, syms []dsym) {
	w.dynHeader(final, uint32(len(lit)-257), uint32(len(dist)-1), clens, plain(lit, dist))
	lc, dc := canonical(lit), canonical(dist)
	for _, s := range syms {
		w.code(lc[s.lit], uint(lit[s.lit]))
		if s.lit > 256 {
			w.put(s.lx, uint(s.lxn))
			w.code(dc[s.dist], uint(dist[s.dist]))
			w.put(s.dx, uint(s.dxn))
		}
	}
}

// lengths returns n code lengths of zero but for the given symbols.
func lengths(n int, set map[int]uint8) []uint8 {
	l := make([]uint8, n)
	for s, v := range set {
		l[s] = v
	}
	return l
}

// TestDynamic: hand-made dynamic blocks, valid and not, against the RFC's
// limits: each decodes as compress/flate does, and the malformed ones
// fail with a CorruptError at the byte where the problem shows.
func TestDynamic(t *testing.T) {
	for _, c := range dynamicCases() {
		t.Run(c.name, func(t *testing.T) {
			differ(t, c.name, c.in)
			got, rest, err := viaRead(c.in, 16, 4096, nil)
			if !c.corrupt {
				if err != nil || string(got) != c.want || rest != 8 {
					t.Fatalf("%q, %d bytes left, %v; want %q, 8", got, rest, err, c.want)
				}
				check(t, c.name, c.in[:len(c.in)-8], []byte(c.want))
				return
			}
			var ce *CorruptError
			if !errors.As(err, &ce) || ce.Offset != c.offset {
				t.Fatalf("error %v, want a CorruptError at offset %d", err, c.offset)
			}
		})
	}
}

// dynCase is a hand-made stream with a dynamic block, followed by 8 bytes.
type dynCase struct {
	name    string
	in      []byte
	want    string // the data of a valid stream
	corrupt bool
	offset  int64 // where a malformed one fails; -1 in add: the last byte built
}

func dynamicCases() []dynCase {
	a3 := lengths(258, map[int]uint8{'a': 1, 256: 2, 257: 2}) // 'a', end, length 3
	d1 := lengths(1, map[int]uint8{0: 1})                     // distance 1 only, one bit
	var cases []dynCase
	add := func(name string, corrupt bool, offset int64, want string, build func(w *bitWriter)) {
		var w bitWriter
		build(&w)
		if offset == -1 {
			offset = int64(len(w.b) - 1)
		}
		// Bytes after the block: a stream that does not stop where it
		// should reads them.
		w.bytes(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0)
		cases = append(cases, dynCase{name, w.b, want, corrupt, offset})
	}
	add("valid", false, 0, "aaaa", func(w *bitWriter) {
		w.dynBlock(true, a3, d1, []dsym{{lit: 'a'}, {lit: 257}, {lit: 256}})
	})
	add("repeat 16 across into the distances", false, 0, "a\xffa", func(w *bitWriter) {
		lit := lengths(257, map[int]uint8{'a': 1, 255: 2, 256: 2})
		seq := append(plain(lit, nil), clsym{16, 0}, clsym{sym: 2})
		w.dynHeader(true, 0, 3, clens, seq)
		c := canonical(lit)
		for _, s := range []int{'a', 255, 'a', 256} {
			w.code(c[s], uint(lit[s]))
		}
	})
	add("repeats 17 and 18", false, 0, "ab", func(w *bitWriter) {
		// 'a' and 'b' of 2 bits, 256 of 1: 97 zeros as 18, then 'a',
		// 'b', 157 zeros as 18+17+17, 256, and one distance length 0.
		seq := []clsym{{18, 97 - 11}, {sym: 2}, {sym: 2}, {18, 127}, {17, 7}, {17, 6}, {sym: 1}, {sym: 0}}
		w.dynHeader(true, 0, 0, clens, seq)
		w.code(2, 2)
		w.code(3, 2)
		w.code(0, 1)
	})
	add("an empty block of one code, then a stored one", false, 0, "x", func(w *bitWriter) {
		w.dynBlock(false, lengths(257, map[int]uint8{256: 1}), lengths(1, nil), []dsym{{lit: 256}})
		w.put(1, 1)
		w.put(0, 2)
		w.align()
		w.bytes(1, 0, 0xfe, 0xff, 'x')
	})
	add("no end-of-block code", true, -1, "", func(w *bitWriter) {
		w.dynHeader(true, 0, 0, clens, plain(lengths(257, map[int]uint8{'a': 1, 'b': 1}), lengths(1, nil)))
	})
	for _, h := range []struct {
		name        string
		hlit, hdist uint32
	}{{"287 literal/length codes", 30, 0}, {"288 literal/length codes", 31, 0}, {"31 distance codes", 0, 30}, {"32 distance codes", 0, 31}} {
		add(h.name, true, 2, "", func(w *bitWriter) {
			w.dynHeader(true, h.hlit, h.hdist, clens, nil)
		})
	}
	add("repeat 16 first", true, -1, "", func(w *bitWriter) {
		w.dynHeader(true, 0, 0, clens, []clsym{{16, 0}})
	})
	add("repeat 18 past the end", true, -1, "", func(w *bitWriter) {
		w.dynHeader(true, 0, 0, clens, []clsym{{18, 127}, {18, 127}})
	})
	add("repeat 16 past the end", true, -1, "", func(w *bitWriter) {
		seq := plain(lengths(257, map[int]uint8{'a': 1, 256: 1}), nil)
		w.dynHeader(true, 0, 0, clens, append(seq, clsym{16, 0}))
	})
	add("over-subscribed literal/length code", true, -1, "", func(w *bitWriter) {
		w.dynHeader(true, 0, 0, clens, plain(lengths(257, map[int]uint8{'a': 1, 'b': 1, 256: 1}), d1))
	})
	add("incomplete literal/length code", true, -1, "", func(w *bitWriter) {
		w.dynHeader(true, 0, 0, clens, plain(lengths(257, map[int]uint8{'a': 2, 256: 2}), d1))
	})
	add("incomplete distance code", true, -1, "", func(w *bitWriter) {
		w.dynHeader(true, 1, 1, clens, plain(a3, lengths(2, map[int]uint8{0: 2, 1: 2})))
	})
	add("incomplete code-length code", true, -1, "", func(w *bitWriter) {
		cl := clens
		cl[16], cl[17], cl[18] = 0, 0, 0
		w.dynHeader(true, 0, 0, cl, nil)
	})
	add("empty code-length code", true, -1, "", func(w *bitWriter) {
		w.dynHeader(true, 0, 0, [19]uint8{}, nil)
	})
	add("the unused pattern of a one-code distance code", true, -1, "", func(w *bitWriter) {
		w.dynHeader(true, 1, 0, clens, plain(a3, d1))
		c := canonical(a3)
		w.code(c['a'], 1)
		w.code(c[257], 2)
		w.put(1, 1) // distance 1 is code 0
	})
	add("a match with no distance code", true, -1, "", func(w *bitWriter) {
		w.dynHeader(true, 1, 0, clens, plain(a3, lengths(1, nil)))
		c := canonical(a3)
		w.code(c['a'], 1)
		w.code(c[257], 2)
		w.put(0, 1)
	})
	add("the unused pattern of a one-code literal/length code", true, -1, "", func(w *bitWriter) {
		w.dynHeader(true, 0, 0, clens, plain(lengths(257, map[int]uint8{256: 1}), lengths(1, nil)))
		w.put(1, 1)
	})
	return cases
}

// TestPausedSource: a stream whose bytes all arrived is decoded to its
// end while the source waits for more (a pipe or a socket whose writer
// pauses): the decoder asks for no read while buffered bytes wait.
func TestPausedSource(t *testing.T) {
	data := inputs()["text"][:100<<10]
	z := deflate(t, data, 6)
	pr, pw := io.Pipe()
	defer pw.Close()
	go pw.Write(z) // and then no more, and no end either
	d := NewDecoder()
	d.Reset(bufio.NewReaderSize(pr, len(z)+4096))
	type result struct {
		out []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		var out []byte
		p := make([]byte, 1000)
		for {
			n, err := d.Read(p)
			out = append(out, p[:n]...)
			if err != nil {
				done <- result{out, err}
				return
			}
		}
	}()
	select {
	case r := <-done:
		if r.err != io.EOF || !bytes.Equal(r.out, data) {
			t.Fatalf("%d bytes, %v; want %d bytes, io.EOF", len(r.out), r.err, len(data))
		}
	case <-time.After(10 * time.Second):
		pw.CloseWithError(errors.New("stalled"))
		<-done
		t.Fatal("the decoder waits for input with the whole stream buffered")
	}
}

// mixedBlocks is a stream of a stored block, an empty stored one, a fixed
// block, a dynamic one, an empty fixed one and a final dynamic one, with
// its data.
func mixedBlocks(t testing.TB) ([]byte, []byte) {
	var w bitWriter
	w.put(0, 1)
	w.put(0, 2)
	w.align()
	w.bytes(3, 0, 0xfc, 0xff, 'a', 'b', 'c')
	w.put(0, 1)
	w.put(0, 2)
	w.align()
	w.bytes(0, 0, 0xff, 0xff)
	w.put(0, 1)
	w.put(1, 2)
	w.code(0x30+'d', 8)
	w.code(2, 7) // 258: length 4
	w.code(2, 5) // distance 3
	w.code(0, 7)
	a3 := lengths(258, map[int]uint8{'a': 1, 256: 2, 257: 2})
	d1 := lengths(1, map[int]uint8{0: 1})
	w.dynBlock(false, a3, d1, []dsym{{lit: 'a'}, {lit: 257}, {lit: 256}})
	w.put(0, 1)
	w.put(1, 2)
	w.code(0, 7)
	w.dynBlock(true, a3, d1, []dsym{{lit: 'a'}, {lit: 'a'}, {lit: 257}, {lit: 256}})
	want := []byte("abcdbcdbaaaaaaaaa")
	if got, err := oracle(w.b); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("the oracle: %q, %v", got, err)
	}
	return w.b, want
}

// TestEveryPrefix: a stream of every kind of block cut at every byte is
// io.ErrUnexpectedEOF, through Read, WriteTo and DecodeAll, with only the
// stream's own data before the error; whole, it decodes.
func TestEveryPrefix(t *testing.T) {
	in, want := mixedBlocks(t)
	check(t, "whole", in, want)
	for n := range len(in) {
		for _, bs := range []int{16, 4096} {
			got, _, err := viaRead(in[:n], bs, 3, iotest.OneByteReader)
			if err != io.ErrUnexpectedEOF || !bytes.HasPrefix(want, got) {
				t.Fatalf("%d bytes, buffer %d: %q, %v; want a prefix of the data, io.ErrUnexpectedEOF", n, bs, got, err)
			}
		}
		got, _, err := viaWriteTo(in[:n])
		if err != io.ErrUnexpectedEOF || !bytes.HasPrefix(want, got) {
			t.Fatalf("%d bytes, WriteTo: %q, %v", n, got, err)
		}
		dst := make([]byte, len(want))
		k, _, err := NewDecoder().DecodeAll(dst, in[:n])
		if err != io.ErrUnexpectedEOF || !bytes.Equal(dst[:k], want[:k]) {
			t.Fatalf("%d bytes, DecodeAll: %q, %v", n, dst[:k], err)
		}
	}
}

// endless repeats b without end and counts the bytes read.
type endless struct {
	b    []byte
	n    int64
	stop int64 // fail after this many
}

var errEnough = errors.New("enough")

func (e *endless) Read(p []byte) (int, error) {
	if e.n >= e.stop {
		return 0, errEnough
	}
	k := 0
	for k < len(p) {
		k += copy(p[k:], e.b[int(e.n+int64(k))%len(e.b):])
	}
	e.n += int64(k)
	return k, nil
}

// TestEmptyBlocks: an endless stream of empty blocks, stored or fixed,
// yields no data and reads on (it does not spin in place) until the
// source fails, whose error is returned.
func TestEmptyBlocks(t *testing.T) {
	var fixed bitWriter
	for range 4 { // 4 blocks of 10 bits: 5 bytes
		fixed.put(0, 1)
		fixed.put(1, 2)
		fixed.code(0, 7)
	}
	for name, b := range map[string][]byte{
		"stored": {0, 0, 0, 0xff, 0xff},
		"fixed":  fixed.b,
	} {
		src := &endless{b: b, stop: 4 << 20}
		d := NewDecoder()
		d.Reset(bufio.NewReaderSize(src, 4096))
		n, err := io.Copy(io.Discard, d)
		if n != 0 || err != errEnough || src.n < src.stop {
			t.Fatalf("%s: %d bytes, %v after %d bytes of input; want 0, errEnough after %d", name, n, err, src.n, src.stop)
		}
	}
}

// TestResetForgets: after a stream, a Reset or DecodeAll starts with no
// history: a match at the new stream's start is corrupt, not a copy of
// the old data (or of what dst held).
func TestResetForgets(t *testing.T) {
	var w bitWriter
	w.put(1, 1)
	w.put(1, 2)
	w.code(1, 7) // 257: length 3
	w.code(0, 5) // distance 1, with no data before
	w.code(0, 7)
	bad := w.b
	d := NewDecoder()
	d.Reset(bufio.NewReader(bytes.NewReader(deflate(t, inputs()["text"][:100<<10], 6))))
	if _, err := io.Copy(io.Discard, d); err != nil {
		t.Fatal(err)
	}
	d.Reset(bufio.NewReader(bytes.NewReader(bad)))
	n, err := io.Copy(io.Discard, d)
	var ce *CorruptError
	if n != 0 || !errors.As(err, &ce) || ce.Offset != 1 {
		t.Fatalf("after Reset: %d bytes, %v; want 0, a CorruptError at offset 1", n, err)
	}
	dst := bytes.Repeat([]byte{'x'}, 100)
	k, _, err := d.DecodeAll(dst, bad)
	if k != 0 || !errors.As(err, &ce) || ce.Offset != 1 {
		t.Fatalf("DecodeAll: %d bytes, %v; want 0, a CorruptError at offset 1", k, err)
	}
}
