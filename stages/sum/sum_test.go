package sum

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/fpipe/fpipe/internal/stagetest"
	"github.com/fpipe/fpipe/stages"
)

// Digests of "abc" from sha256sum, sha512sum, sha1sum, md5sum and b3sum;
// CRC32C's check value is that of "123456789".
var abc = map[Algorithm]string{
	SHA256: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
	SHA512: "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
	SHA1:   "a9993e364706816aba3e25717850c26c9cd0d89d",
	MD5:    "900150983cd24fb0d6963f7d28e17f72",
	BLAKE3: "6437b3ac38465133ffb63b75273a8db548c558465d79db03fd359c6cd5bd9d85",
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestAlgorithms(t *testing.T) {
	t.Parallel()
	for a, want := range abc {
		h := a.New()
		h.Write([]byte("abc"))
		if got := hex.EncodeToString(h.Sum(nil)); got != want {
			t.Errorf("%v(abc) = %s, want %s", a, got, want)
		}
		if a.Size()*2 != len(want) {
			t.Errorf("%v.Size() = %d, want %d", a, a.Size(), len(want)/2)
		}
	}
	h := CRC32C.New()
	h.Write([]byte("123456789"))
	if got := hex.EncodeToString(h.Sum(nil)); got != "e3069283" {
		t.Errorf("crc32c(123456789) = %s, want e3069283", got)
	}
	for _, a := range All {
		b, err := ParseAlgorithm(strings.ToUpper(a.String()))
		if err != nil || b != a {
			t.Errorf("ParseAlgorithm(%q) = %v, %v", strings.ToUpper(a.String()), b, err)
		}
	}
	if _, err := ParseAlgorithm("sha384"); err == nil {
		t.Error("ParseAlgorithm(sha384) = nil error")
	}
}

func TestAppendLine(t *testing.T) {
	t.Parallel()
	d := mustHex(abc[SHA256])
	b3 := mustHex(abc[BLAKE3])
	h, h3 := abc[SHA256], abc[BLAKE3]
	for _, c := range []struct {
		f    Format
		a    Algorithm
		d    []byte
		name string
		want string
	}{
		{Format{}, SHA256, d, "-", h + "  -\n"},
		{Format{}, SHA256, d, "a b", h + "  a b\n"},
		{Format{Binary: true}, SHA256, d, "x", h + " *x\n"},
		{Format{Tag: true}, SHA256, d, "x", "SHA256 (x) = " + h + "\n"},
		{Format{Tag: true, Binary: true}, SHA256, d, "x", "SHA256 (x) = " + h + "\n"},
		{Format{}, SHA256, d, "n\nl", `\` + h + `  n\nl` + "\n"},
		{Format{}, SHA256, d, "c\rr", `\` + h + `  c\rr` + "\n"},
		{Format{}, SHA256, d, `b\s`, `\` + h + `  b\\s` + "\n"},
		{Format{Tag: true}, SHA256, d, "n\nl", `\SHA256 (n\nl) = ` + h + "\n"},
		{Format{Zero: true}, SHA256, d, "n\nl", h + "  n\nl\x00"},
		{Format{Zero: true, Tag: true}, SHA256, d, `b\s`, "SHA256 (b\\s) = " + h + "\x00"},
		{Format{}, SHA256, d, "esc\x1bx", h + "  esc\x1bx\n"},
		// b3sum: backslash and newline only.
		{Format{}, BLAKE3, b3, "c\rr", h3 + "  c\rr\n"},
		{Format{}, BLAKE3, b3, "n\nl", `\` + h3 + `  n\nl` + "\n"},
		{Format{}, BLAKE3, b3, "n\nl\r", `\` + h3 + `  n\nl` + "\r\n"},
		{Format{Tag: true}, BLAKE3, b3, "c\rr", `\BLAKE3 (c\rr) = ` + h3 + "\n"},
		{Format{Tag: true}, CRC32C, mustHex("e3069283"), "x", "CRC32C (x) = e3069283\n"},
		{Format{}, MD5, mustHex(abc[MD5]), "x", abc[MD5] + "  x\n"},
	} {
		if got := string(c.f.AppendLine(nil, c.a, c.d, c.name)); got != c.want {
			t.Errorf("%+v.AppendLine(%v, %q) = %q, want %q", c.f, c.a, c.name, got, c.want)
		}
	}
}

func TestUnescape(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{`plain`, "plain", true},
		{`a\\b`, `a\b`, true},
		{`a\nb\rc`, "a\nb\rc", true},
		{`a\tb`, "", false},
		{`trailing\`, "", false},
		{"nul\x00", "", false},
	} {
		got, err := Unescape(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("Unescape(%q) = %q, %v; want %q, ok %v", c.in, got, err, c.want, c.ok)
		}
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	h := abc[SHA256]
	d := mustHex(h)
	for _, c := range []struct {
		line string
		want *Line // nil: malformed
		skip bool
	}{
		{h + "  x\n", &Line{SHA256, d, "x", false, false}, false},
		{h + "  x", &Line{SHA256, d, "x", false, false}, false},
		{h + "  x\r\n", &Line{SHA256, d, "x", false, false}, false},
		{strings.ToUpper(h) + "  x\n", &Line{SHA256, d, "x", false, false}, false},
		{h + " *x\n", &Line{SHA256, d, "x", false, true}, false},
		{h + "\t x\n", &Line{SHA256, d, "x", false, false}, false},
		{"  \t" + h + "  x\n", &Line{SHA256, d, "x", false, false}, false},
		{h + "  a  b \n", &Line{SHA256, d, "a  b ", false, false}, false},
		{`\` + h + `  n\nl\\\r` + "\n", &Line{SHA256, d, "n\nl\\\r", false, false}, false},
		{"SHA256 (x) = " + h + "\n", &Line{SHA256, d, "x", true, false}, false},
		{"SHA256(x)= " + h + "\n", &Line{SHA256, d, "x", true, false}, false},
		{"SHA256 (a) b (c)) = " + h, &Line{SHA256, d, "a) b (c)", true, false}, false},
		{`\SHA256 (n\nl) = ` + h, &Line{SHA256, d, "n\nl", true, false}, false},
		{"MD5 (x) = " + abc[MD5], &Line{MD5, mustHex(abc[MD5]), "x", true, false}, false},
		{"BLAKE3 (x) = " + abc[BLAKE3], &Line{BLAKE3, mustHex(abc[BLAKE3]), "x", true, false}, false},
		{"CRC32C (x) = E3069283", &Line{CRC32C, mustHex("e3069283"), "x", true, false}, false},
		{h + " x", &Line{SHA256, d, "x", false, false}, false}, // BSD reversed
		{"", nil, true},
		{"\n", nil, true},
		{"\r\n", nil, true},
		{"# comment\n", nil, true},
		{"garbage\n", nil, false},
		{h[:62] + "  x\n", nil, false},
		{h + "0  x\n", nil, false},
		{h + "  \n", &Line{SHA256, d, " ", false, false}, false}, // coreutils: the file " "
		{h + "\n", nil, false},
		{"g" + h[1:] + "  x\n", nil, false},
		{`\` + h + `  bad\tescape`, nil, false},
		{`\` + h + `  trailing\`, nil, false},
		{"SHA256 (x) = " + h[:63], nil, false},
		{"SHA256 (x) = " + h + " ", nil, false},
		{"SHA256 (x) " + h, nil, false},
		{"SHA256 x) = " + h, nil, false},
		{"SHA384 (x) = " + h, nil, false},
		{"SHA256 (x = " + h, nil, false},
		{h + "  nul\x00", nil, false},
	} {
		p := NewParser(SHA256, false)
		got, ok, err := p.Parse([]byte(c.line))
		switch {
		case c.skip:
			if ok || err != nil {
				t.Errorf("Parse(%q) = %+v, %v, %v; want a skipped line", c.line, got, ok, err)
			}
		case c.want == nil:
			if !errors.Is(err, ErrMalformed) {
				t.Errorf("Parse(%q) = %+v, %v, %v; want ErrMalformed", c.line, got, ok, err)
			}
		default:
			if err != nil || !ok || fmt.Sprint(got) != fmt.Sprint(*c.want) {
				t.Errorf("Parse(%q) = %+v, %v, %v; want %+v", c.line, got, ok, err, *c.want)
			}
		}
	}
}

func TestParseAlgorithmChoice(t *testing.T) {
	t.Parallel()
	md5line := []byte("MD5 (x) = " + abc[MD5])
	if _, _, err := NewParser(SHA256, true).Parse(md5line); !errors.Is(err, ErrMalformed) {
		t.Errorf("Parse(MD5 line) with only SHA256 = %v, want ErrMalformed", err)
	}
	if l, _, err := NewParser(MD5, true).Parse(md5line); err != nil || l.Algorithm != MD5 {
		t.Errorf("Parse(MD5 line) with only MD5 = %+v, %v", l, err)
	}
	// Untagged lines: with only, the parser's algorithm and its length;
	// without, the length names the algorithm where it names one.
	for _, c := range []struct {
		def  Algorithm
		only bool
		line string
		want Algorithm // 0: malformed
	}{
		{BLAKE3, false, abc[BLAKE3] + "  x", BLAKE3},
		{SHA256, false, abc[BLAKE3] + "  x", SHA256}, // 64 digits: def's
		{SHA1, false, abc[SHA256] + "  x", SHA256},   // def is not 64 digits long
		{SHA256, false, abc[MD5] + "  x", MD5},
		{SHA256, false, abc[SHA1] + " *x", SHA1},
		{SHA256, false, abc[SHA512] + "\tx", SHA512},
		{SHA256, false, "e3069283  x", CRC32C}, // CRC-32C check value
		{SHA256, false, abc[MD5] + " x", MD5},  // BSD reversed
		{SHA256, false, "\\" + abc[SHA1] + "  a\\nb", SHA1},
		{SHA256, false, abc[SHA256][:48] + "  x", 0}, // 48 digits: no algorithm
		{SHA256, false, abc[SHA256][:63] + "  x", 0},
		{SHA256, false, abc[MD5][:31] + "g  x", 0},
		{SHA256, false, abc[MD5], 0},
		{SHA1, true, abc[SHA256] + "  x", 0},
		{SHA256, true, abc[MD5] + "  x", 0},
		{SHA256, true, abc[SHA512] + "  x", 0},
		{MD5, true, abc[MD5] + "  x", MD5},
		{BLAKE3, true, abc[BLAKE3] + "  x", BLAKE3},
	} {
		l, _, err := NewParser(c.def, c.only).Parse([]byte(c.line))
		switch {
		case c.want == 0 && !errors.Is(err, ErrMalformed):
			t.Errorf("NewParser(%v, %v).Parse(%q) = %+v, %v; want ErrMalformed", c.def, c.only, c.line, l, err)
		case c.want != 0 && (err != nil || l.Algorithm != c.want || l.Name == ""):
			t.Errorf("NewParser(%v, %v).Parse(%q) = %+v, %v; want %v", c.def, c.only, c.line, l, err, c.want)
		}
	}
}

// The first untagged line of a file decides between the standard and the
// BSD reversed form, as in coreutils.
func TestParseReversedState(t *testing.T) {
	t.Parallel()
	h := abc[SHA256]
	p := NewParser(SHA256, false)
	for i, c := range []struct {
		line, name string
		ok         bool
	}{
		{h + " a", "a", true},
		{h + " *b", "*b", true},
		{h + "  c", " c", true},
		{"SHA256 (d) = " + h, "d", true},
	} {
		l, _, err := p.Parse([]byte(c.line))
		if (err == nil) != c.ok || l.Name != c.name {
			t.Errorf("reversed %d: Parse(%q) = %q, %v", i, c.line, l.Name, err)
		}
	}
	p = NewParser(SHA256, false)
	if _, _, err := p.Parse([]byte(h + "  a")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.Parse([]byte(h + " b")); !errors.Is(err, ErrMalformed) {
		t.Errorf("a reversed line after a standard one = %v, want ErrMalformed", err)
	}
}

// TestScannerNextRawAllocs: reading a sum file through NextRaw allocates
// nothing per line, so a long sum file costs no memory and no GC work.
func TestScannerNextRawAllocs(t *testing.T) {
	var b strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&b, "%s  name%d\n\\%s  esc\\\\%d\nSHA256 (t%d) = %s\n", abc[SHA256], i, abc[SHA256], i, i, abc[SHA256])
	}
	in := b.String()
	n := 0
	allocs := testing.AllocsPerRun(3, func() {
		sc := NewScanner(strings.NewReader(in), NewParser(SHA256, false))
		for {
			l, err := sc.NextRaw()
			if err == io.EOF {
				break
			}
			if err != nil || len(l.Digest) != 32 {
				t.Fatalf("NextRaw = %+v, %v", l, err)
			}
			n++
		}
	})
	// Per run: the Scanner, its buffer and the Parser's two buffers, whatever
	// the number of lines.
	if n != 4*3000 || allocs > 10 {
		t.Errorf("%d lines, %v allocations per 3000 lines; want none per line", n, allocs)
	}
}

func TestScanner(t *testing.T) {
	t.Parallel()
	h := abc[SHA256]
	in := "# sums\n" + h + "  a\n\nbad\n" + strings.Repeat("x", MaxLineLength+10) + "\n" + h + "  b"
	sc := NewScanner(iotest.OneByteReader(strings.NewReader(in)), NewParser(SHA256, false))
	var got []string
	for {
		l, err := sc.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			got = append(got, fmt.Sprintf("%d:%v", sc.Line(), err))
			continue
		}
		got = append(got, fmt.Sprintf("%d:%s", sc.Line(), l.Name))
	}
	want := "2:a 4:improperly formatted checksum line 5:improperly formatted checksum line: longer than 16384 bytes 6:b"
	if strings.Join(got, " ") != want {
		t.Errorf("Scanner lines = %q, want %q", strings.Join(got, " "), want)
	}
	// A read error sticks.
	sc = NewScanner(iotest.ErrReader(errors.New("boom")), NewParser(SHA256, false))
	for range 2 {
		if _, err := sc.Next(); err == nil || err.Error() != "boom" {
			t.Errorf("Next() after a read error = %v, want boom", err)
		}
	}
}

func TestWriter(t *testing.T) {
	t.Parallel()
	data := bytes.Repeat([]byte("abcdefghij"), 100_003)
	want := map[Algorithm][]byte{}
	for _, a := range All {
		h := a.New()
		h.Write(data)
		want[a] = h.Sum(nil)
	}
	readers := map[string]func(io.Reader) io.Reader{
		"plain":   func(r io.Reader) io.Reader { return r },
		"onebyte": func(r io.Reader) io.Reader { return iotest.OneByteReader(io.LimitReader(r, 70_001)) },
		"half":    iotest.HalfReader,
		"dataerr": iotest.DataErrReader,
	}
	for name, wrap := range readers {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			in := data
			if name == "onebyte" {
				in = data[:70_001]
			}
			var out bytes.Buffer
			out.Grow(len(in))
			sink := &stagetest.MemSink{}
			w, err := NewWriter(&out, Algorithms(All...), Name("f"), Output(sink), BufferSize(4096+7))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := io.Copy(w, wrap(bytes.NewReader(in))); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Bytes(), in) {
				t.Fatal("the bytes passed through changed")
			}
			var lines []byte
			for _, a := range All {
				h := a.New()
				h.Write(in)
				lines = Format{}.AppendLine(lines, a, h.Sum(nil), "f")
			}
			if err := w.Commit(); err != nil {
				t.Fatal(err)
			}
			if !sink.Committed() || string(sink.Taken()) != string(lines) {
				t.Errorf("committed %v, lines %q, want %q", sink.Committed(), string(sink.Taken()), lines)
			}
		})
	}
	// The same digests through odd-sized writes.
	for _, size := range []int{1, 7, 4096, 65537} {
		w, _ := NewWriter(io.Discard, Algorithms(All...))
		for p := data; len(p) > 0; {
			n := min(size, len(p))
			w.Write(p[:n])
			p = p[n:]
		}
		w.Close()
		for _, s := range w.Sums() {
			if !bytes.Equal(s.Digest, want[s.Algorithm]) {
				t.Errorf("writes of %d: %v = %x, want %x", size, s.Algorithm, s.Digest, want[s.Algorithm])
			}
		}
	}
}

func TestWriterErrorSticks(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk full")
	sink := &stagetest.MemSink{}
	w, _ := NewWriter(&stagetest.FailWriter{N: 10, Err: boom}, Output(sink))
	if n, err := w.Write(make([]byte, 25)); n != 10 || err != boom {
		t.Fatalf("Write = %d, %v; want 10, %v", n, err, boom)
	}
	if n, err := w.Write([]byte("x")); n != 0 || err != boom {
		t.Errorf("Write after an error = %d, %v; want 0, %v", n, err, boom)
	}
	if _, err := w.ReadFrom(strings.NewReader("x")); err != boom {
		t.Errorf("ReadFrom after an error = %v; want %v", err, boom)
	}
	if err := w.Close(); err != boom {
		t.Errorf("Close after an error = %v; want %v", err, boom)
	}
	if err := w.Commit(); err == nil || sink.Committed() || !sink.Aborted() {
		t.Errorf("Commit after an error = %v, committed %v, aborted %v", err, sink.Committed(), sink.Aborted())
	}
	// A short write without an error is io.ErrShortWrite.
	w, _ = NewWriter(stagetest.ShortWriter{})
	if _, err := w.Write([]byte("abc")); err != io.ErrShortWrite {
		t.Errorf("short Write = %v, want io.ErrShortWrite", err)
	}
}

func TestExpect(t *testing.T) {
	t.Parallel()
	good := Sum{SHA256, mustHex(abc[SHA256])}
	bad := Sum{SHA256, mustHex(abc[SHA256])}
	bad.Digest[0] ^= 1
	for _, c := range []struct {
		name   string
		expect Sum
		ok     bool
	}{{"good", good, true}, {"bad", bad, false}} {
		// Writer: Close reports the mismatch.
		sink := &stagetest.MemSink{}
		w, _ := NewWriter(io.Discard, Name("b.gz"), Expect(c.expect), Algorithms(MD5), Output(sink))
		io.WriteString(w, "abc")
		err := w.Close()
		var me *MismatchError
		if c.ok != (err == nil) || (!c.ok && !errors.As(err, &me)) {
			t.Errorf("%s: Close = %v", c.name, err)
		}
		if !c.ok {
			want := "b.gz: sha256 mismatch: want " + hex.EncodeToString(bad.Digest) + ", got " + abc[SHA256]
			if err.Error() != want {
				t.Errorf("error = %q, want %q", err, want)
			}
		}
		cerr := w.Commit()
		if c.ok != (cerr == nil) || sink.Committed() != c.ok {
			t.Errorf("%s: Commit = %v, committed %v", c.name, cerr, sink.Committed())
		}
		// Only the lines of Algorithms are written.
		if c.ok && string(sink.Taken()) != abc[MD5]+"  b.gz\n" {
			t.Errorf("lines = %q", string(sink.Taken()))
		}
		// Reader: the mismatch comes in place of io.EOF.
		r, _ := NewReader(strings.NewReader("abc"), Name("b.gz"), Expect(c.expect))
		got, err := io.ReadAll(r)
		if string(got) != "abc" || c.ok != (err == nil) || (!c.ok && !errors.As(err, &me)) {
			t.Errorf("%s: ReadAll = %q, %v", c.name, got, err)
		}
		if _, err2 := r.Read(make([]byte, 1)); !c.ok && err2 != err {
			t.Errorf("%s: Read after the mismatch = %v, want it again", c.name, err2)
		}
	}
}

func TestReader(t *testing.T) {
	t.Parallel()
	data := bytes.Repeat([]byte("0123456789"), 50_000)
	r, err := NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := iotest.TestReader(r, data); err != nil {
		t.Error(err)
	}
	// A read error is passed on, and Commit refuses.
	boom := errors.New("boom")
	sink := &stagetest.MemSink{}
	r, _ = NewReader(io.MultiReader(strings.NewReader("ab"), iotest.ErrReader(boom)), Output(sink))
	if _, err := io.ReadAll(r); err != boom {
		t.Errorf("ReadAll = %v, want %v", err, boom)
	}
	if err := r.Commit(); err == nil || sink.Committed() {
		t.Errorf("Commit after a read error = %v, committed %v", err, sink.Committed())
	}
	// Closed before the end: no commit.
	r, _ = NewReader(strings.NewReader("abc"), Output(sink))
	r.Read(make([]byte, 1))
	r.Close()
	if err := r.Commit(); err == nil {
		t.Error("Commit after an early Close = nil")
	}
}

func TestCommitOutputFails(t *testing.T) {
	t.Parallel()
	sink := &stagetest.MemSink{WriteErr: errors.New("no space")}
	w, _ := NewWriter(io.Discard, Output(sink))
	w.Close()
	if err := w.Commit(); err == nil || sink.Committed() || !sink.Aborted() {
		t.Errorf("Commit = %v, committed %v, aborted %v", err, sink.Committed(), sink.Aborted())
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	for name, o := range map[string]Option{
		"no algorithm":     Algorithms(),
		"bad algorithm":    Algorithms(Algorithm(99)),
		"short expect":     Expect(Sum{SHA256, []byte{1}}),
		"small buffer":     BufferSize(100),
		"invalid expected": Expect(Sum{0, nil}),
	} {
		if _, err := NewWriter(io.Discard, o); err == nil {
			t.Errorf("%s: NewWriter = nil error", name)
		}
	}
}

// In a chain, a mismatch fails the run before the sink commits: the sink
// and the sum file are aborted.
func TestRunMismatchAbortsSink(t *testing.T) {
	t.Parallel()
	bad := mustHex(abc[SHA256])
	bad[31] ^= 0xff
	for _, dir := range []string{"writer", "reader"} {
		out, sums := &stagetest.MemSink{}, &stagetest.MemSink{}
		opts := []Option{Name("b.gz"), Expect(Sum{SHA256, bad}), Output(sums)}
		f := stages.Filter{Writer: Filter(opts...).Writer}
		if dir == "reader" {
			f = stages.Filter{Reader: func(r io.Reader) (io.ReadCloser, error) { return NewReader(r, opts...) }}
		}
		_, err := stages.Run(context.Background(), stages.Chain{
			Source:  strings.NewReader("abc"),
			Filters: []stages.Filter{f},
			Sink:    out,
		})
		var me *MismatchError
		if !errors.As(err, &me) {
			t.Errorf("%s: Run = %v, want a *MismatchError", dir, err)
		}
		if out.Committed() || !out.Aborted() || sums.Committed() || !sums.Aborted() {
			t.Errorf("%s: sink committed %v aborted %v; sums committed %v aborted %v", dir, out.Committed(), out.Aborted(), sums.Committed(), sums.Aborted())
		}
	}
}
