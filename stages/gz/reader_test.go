package gz

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/fpipe/fpipe/internal/stagetest"
	"github.com/klauspost/compress/flate"
)

// gunzipErr decodes b with a Reader through Read (not WriteTo).
func gunzipErr(b []byte, opts ...ReaderOption) ([]byte, error) {
	r, err := NewReader(bytes.NewReader(b), opts...)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	_, err = io.Copy(&out, struct{ io.Reader }{r}) // hide WriteTo
	return out.Bytes(), err
}

// gunzipWT decodes b through WriteTo.
func gunzipWT(b []byte, opts ...ReaderOption) ([]byte, error) {
	r, err := NewReader(bytes.NewReader(b), opts...)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	_, err = r.WriteTo(&out)
	return out.Bytes(), err
}

// gunzip decodes b both ways and fails the test on an error or a
// difference.
func gunzip(t testing.TB, b []byte) []byte {
	t.Helper()
	a, err := gunzipErr(b)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	c, err := gunzipWT(b)
	if err != nil {
		t.Fatalf("WriteTo: %v", err)
	}
	if !bytes.Equal(a, c) {
		t.Fatalf("Read gave %d bytes, WriteTo %d", len(a), len(c))
	}
	return a
}

// header describes a member header to build.
type header struct {
	name, comment string
	extra         []byte
	hcrc          bool
	badHCRC       bool
	text          bool
}

// member builds one gzip member by hand (RFC 1952), with the header h.
func member(t testing.TB, h header, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	flg := byte(0)
	if h.text {
		flg |= flagText
	}
	if h.hcrc {
		flg |= flagHCRC
	}
	if h.extra != nil {
		flg |= flagExtra
	}
	if h.name != "" {
		flg |= flagName
	}
	if h.comment != "" {
		flg |= flagComment
	}
	b.Write([]byte{0x1f, 0x8b, 8, flg, 0x78, 0x56, 0x34, 0x12, 0, 255})
	if h.extra != nil {
		binary.Write(&b, binary.LittleEndian, uint16(len(h.extra)))
		b.Write(h.extra)
	}
	if h.name != "" {
		b.WriteString(h.name)
		b.WriteByte(0)
	}
	if h.comment != "" {
		b.WriteString(h.comment)
		b.WriteByte(0)
	}
	if h.hcrc {
		c := uint16(crc32.ChecksumIEEE(b.Bytes()))
		if h.badHCRC {
			c++
		}
		binary.Write(&b, binary.LittleEndian, c)
	}
	fw, err := flate.NewWriter(&b, 6)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	fw.Close()
	binary.Write(&b, binary.LittleEndian, crc32.ChecksumIEEE(data))
	binary.Write(&b, binary.LittleEndian, uint32(len(data)))
	return b.Bytes()
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReaderGood(t *testing.T) {
	t.Parallel()
	hello := []byte("Hello, gzip world.\nLine two.\n")
	long := text(200 << 10)
	a, b := member(t, header{}, hello), member(t, header{}, long)
	empty := compress(t, nil)
	for _, tc := range []struct {
		name string
		in   []byte
		want []byte
	}{
		{"one member", a, hello},
		{"empty member", empty, nil},
		{"two members", cat(a, b), cat(hello, long)},
		{"empty members around", cat(empty, a, empty, empty, b, empty), cat(hello, long)},
		{"zero padding", cat(a, make([]byte, 1000)), hello},
		{"zero padding longer than the buffer", cat(a, b, make([]byte, 3*DefaultInputBuffer+5)), cat(hello, long)},
		{"one zero byte of padding", cat(a, []byte{0}), hello},
		{"name", member(t, header{name: "hello.txt"}, hello), hello},
		{"comment", member(t, header{comment: "a comment"}, hello), hello},
		{"extra", member(t, header{extra: []byte("AB\x04\x00data")}, hello), hello},
		{"empty extra", member(t, header{extra: []byte{}}, hello), hello},
		{"all fields and header crc", member(t, header{name: "n", comment: "c", extra: []byte("xy"), hcrc: true, text: true}, hello), hello},
		{"name longer than the buffer", member(t, header{name: strings.Repeat("n", 2*DefaultInputBuffer+3), hcrc: true}, hello), hello},
		{"extra of 65535 bytes", member(t, header{extra: bytes.Repeat([]byte{7}, 65535), hcrc: true}, hello), hello},
		{"fgz output", compress(t, long, BlockSize(MinBlockSize)), long},
		{"gzip -9 with name", readFile(t, "hello-gzip9-name.gz"), hello},
		{"gzip -1", readFile(t, "hello-gzip1.gz"), hello},
		{"gzip empty", readFile(t, "empty.gz"), nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := gunzip(t, tc.in); !bytes.Equal(got, tc.want) {
				t.Fatalf("got %d bytes, want %d", len(got), len(tc.want))
			}
			if strings.Contains(tc.name, "padding") || strings.Contains(tc.name, "longer than") {
				return // compress/gzip rejects zero padding and names over 512 bytes; gzip accepts them
			}
			if got := stdGunzip(t, tc.in); !bytes.Equal(got, tc.want) {
				t.Fatalf("oracle: got %d bytes, want %d", len(got), len(tc.want))
			}
		})
	}
}

// TestReaderPigz: pigz's formats (plain, -i, --rsyncable) and a
// multi-member file decode like the standard library decodes them.
func TestReaderPigz(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"src-pigz.gz", "src-pigz-i.gz", "src-pigz-rsyncable.gz", "multi.gz"} {
		in := readFile(t, name)
		if got, want := gunzip(t, in), stdGunzip(t, in); !bytes.Equal(got, want) {
			t.Errorf("%s: got %d bytes, want %d", name, len(got), len(want))
		}
	}
}

// TestReaderIotest: the Reader meets testing/iotest's readers and
// iotest.TestReader.
func TestReaderIotest(t *testing.T) {
	t.Parallel()
	data := text(300 << 10)
	z := cat(compress(t, data[:100<<10], BlockSize(MinBlockSize)), member(t, header{name: "x", hcrc: true}, data[100<<10:]))
	for name, wrap := range map[string]func(io.Reader) io.Reader{
		"OneByteReader": iotest.OneByteReader,
		"HalfReader":    iotest.HalfReader,
		"DataErrReader": iotest.DataErrReader,
	} {
		t.Run(name, func(t *testing.T) {
			r, err := NewReader(wrap(bytes.NewReader(z)), InputBuffer(4096))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("got %d bytes, %v; want %d bytes", len(got), err, len(data))
			}
		})
	}
	r, _ := NewReader(bytes.NewReader(z))
	if err := iotest.TestReader(r, data); err != nil {
		t.Fatal(err)
	}
}

// TestReaderChunking: the same output through odd-sized reads.
func TestReaderChunking(t *testing.T) {
	t.Parallel()
	data := text(500 << 10)
	z := cat(compress(t, data[:1000]), compress(t, data[1000:], BlockSize(MinBlockSize)))
	for _, size := range []int{1, 3, 511, 4096, 32 << 10, 1 << 20} {
		r, _ := NewReader(bytes.NewReader(z))
		var out bytes.Buffer
		buf := make([]byte, size)
		if _, err := io.CopyBuffer(&out, struct{ io.Reader }{r}, buf); err != nil {
			t.Fatalf("reads of %d: %v", size, err)
		}
		if !bytes.Equal(out.Bytes(), data) {
			t.Fatalf("reads of %d: output differs", size)
		}
	}
}

// TestReaderErrors: each kind of bad input gives its error at its offset,
// through Read and through WriteTo alike.
func TestReaderErrors(t *testing.T) {
	t.Parallel()
	hello := []byte("Hello, gzip world.\nLine two.\n")
	a := member(t, header{}, hello)
	la := int64(len(a))
	badCRC := bytes.Clone(a)
	badCRC[la-8] ^= 1
	badLen := bytes.Clone(a)
	badLen[la-4] ^= 1
	badBoth := bytes.Clone(a)
	badBoth[la-1] ^= 1
	badBoth[la-5] ^= 1
	method := bytes.Clone(a)
	method[2] = 7
	flags := bytes.Clone(a)
	flags[3] = 0x20
	// A deflate block of the reserved type 3 right after the header.
	corrupt := cat(a[:10], []byte{0x07, 0, 0, 0, 0})
	// A stored block whose length and its complement disagree.
	stored := cat(a[:10], []byte{0x01, 0x05, 0x00, 0x00, 0x00, 'h', 'e', 'l', 'l', 'o'})
	for _, tc := range []struct {
		name   string
		in     []byte
		kind   error
		offset int64
		msg    string // the whole message, when given
	}{
		{"empty input", nil, ErrEmpty, 0, "empty input, not gzip data"},
		{"not gzip", []byte("hello world\n"), ErrNotGzip, 0, "not in gzip format"},
		{"one byte", []byte("h"), ErrNotGzip, 0, ""},
		{"zero byte first", []byte{0, 0, 0}, ErrNotGzip, 0, ""},
		{"only 1f", []byte{0x1f}, ErrTruncated, 1, "unexpected end of gzip data at offset 1"},
		{"magic only", []byte{0x1f, 0x8b}, ErrTruncated, 2, ""},
		{"half header", a[:6], ErrTruncated, 6, ""},
		{"header only", a[:10], ErrTruncated, 10, ""},
		{"half body", a[:15], ErrTruncated, 15, ""},
		{"no trailer", a[:la-8], ErrTruncated, la - 8, ""},
		{"half trailer", a[:la-3], ErrTruncated, la - 3, ""},
		{"crc", badCRC, ErrChecksum, la - 8, ""},
		{"length", badLen, ErrLength, la - 8, ""},
		{"crc and length", badBoth, ErrLength, la - 8, ""},
		{"method", method, ErrHeader, 2, "invalid gzip header at offset 2: unknown compression method 7"},
		{"reserved flags", flags, ErrHeader, 3, ""},
		{"header crc", member(t, header{name: "n", hcrc: true, badHCRC: true}, hello), ErrHeader, 12, ""},
		{"name without end", cat(member(t, header{name: "abc"}, hello)[:12]), ErrTruncated, 12, ""},
		{"extra cut", member(t, header{extra: []byte("abcdef")}, hello)[:14], ErrTruncated, 14, ""},
		{"reserved block type", corrupt, ErrCorrupt, 10, ""},
		{"stored length", stored, ErrCorrupt, 14, ""},
		{"trailing garbage", cat(a, []byte("garbage")), ErrTrailing, la, "trailing garbage after gzip data at offset " + itoa(la)},
		{"trailing 1f", cat(a, []byte{0x1f}), ErrTruncated, la + 1, ""},
		{"trailing 1f 8b", cat(a, []byte{0x1f, 0x8b}), ErrTruncated, la + 2, ""},
		{"trailing 1f 00", cat(a, []byte{0x1f, 0}), ErrTrailing, la, ""},
		{"garbage after padding", cat(a, make([]byte, 300), []byte("x")), ErrTrailing, la + 300, ""},
		{"member after padding", cat(a, make([]byte, 4), a), ErrTrailing, la + 4, ""},
		{"bad second member", cat(a, badCRC), ErrChecksum, 2*la - 8, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			for way, decode := range map[string]func([]byte, ...ReaderOption) ([]byte, error){"Read": gunzipErr, "WriteTo": gunzipWT} {
				_, err := decode(tc.in)
				var ge *Error
				if !errors.As(err, &ge) || !errors.Is(err, tc.kind) || ge.Offset != tc.offset {
					t.Fatalf("%s: error %v, want %v at offset %d", way, err, tc.kind, tc.offset)
				}
				if tc.msg != "" && err.Error() != tc.msg {
					t.Errorf("%s: message %q, want %q", way, err.Error(), tc.msg)
				}
			}
		})
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestReaderEveryPrefix: every proper prefix of a good stream is an
// unexpected end at its own length (the empty one is ErrEmpty), and the
// data handed out before the error is a prefix of the real data.
func TestReaderEveryPrefix(t *testing.T) {
	t.Parallel()
	data := text(3000)
	first := member(t, header{name: "n", comment: "c", extra: []byte("ab"), hcrc: true}, data)
	z := cat(first, compress(t, nil))
	for n := 0; n < len(z); n++ {
		if n == len(first) {
			continue // a whole member: good
		}
		got, err := gunzipErr(z[:n])
		if n == 0 {
			if !errors.Is(err, ErrEmpty) {
				t.Fatalf("empty: %v", err)
			}
			continue
		}
		var ge *Error
		if !errors.As(err, &ge) || !errors.Is(err, ErrTruncated) || ge.Offset != int64(n) {
			t.Fatalf("prefix %d: error %v, want unexpected end at offset %d", n, err, n)
		}
		if !bytes.HasPrefix(data, got) {
			t.Fatalf("prefix %d: output is not a prefix of the data", n)
		}
	}
}

// TestReaderTruncatedIsUnexpectedEOF: STYLE says a truncated stream is
// io.ErrUnexpectedEOF.
func TestReaderTruncatedIsUnexpectedEOF(t *testing.T) {
	t.Parallel()
	_, err := gunzipErr(compress(t, text(1000))[:20])
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("error %v is not io.ErrUnexpectedEOF", err)
	}
}

func TestReaderMaxOutput(t *testing.T) {
	t.Parallel()
	data := text(200 << 10)
	z := cat(compress(t, data[:50000]), compress(t, data[50000:]))
	for _, max := range []int64{0, 1, 49999, 50000, 50001, int64(len(data)) - 1, int64(len(data)), int64(len(data)) + 1} {
		for way, decode := range map[string]func([]byte, ...ReaderOption) ([]byte, error){"Read": gunzipErr, "WriteTo": gunzipWT} {
			got, err := decode(z, MaxOutput(max))
			if max >= int64(len(data)) {
				if err != nil || !bytes.Equal(got, data) {
					t.Errorf("%s MaxOutput(%d): %d bytes, %v; want all %d", way, max, len(got), err, len(data))
				}
				continue
			}
			if !errors.Is(err, ErrTooLarge) || int64(len(got)) != max || !bytes.Equal(got, data[:max]) {
				t.Errorf("%s MaxOutput(%d): %d bytes, %v; want %d bytes and ErrTooLarge", way, max, len(got), err, max)
			}
		}
	}
	if _, err := NewReader(nil, MaxOutput(-1)); err == nil {
		t.Error("MaxOutput(-1) accepted")
	}
	for _, n := range []int{0, 4095, 17 << 20} {
		if _, err := NewReader(nil, InputBuffer(n)); err == nil {
			t.Errorf("InputBuffer(%d) accepted", n)
		}
	}
}

// TestReaderSourceError: a failure of the input is returned as it is, and
// sticks.
func TestReaderSourceError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	z := compress(t, text(100<<10))
	for _, n := range []int{0, 5, 100, len(z) - 3, len(z)} {
		src := io.MultiReader(bytes.NewReader(z[:n]), iotest.ErrReader(boom))
		r, _ := NewReader(src)
		_, err := io.Copy(io.Discard, struct{ io.Reader }{r})
		if err != boom {
			t.Errorf("input failing after %d bytes: %v, want %v", n, err, boom)
		}
		if _, err := r.Read(make([]byte, 10)); err != boom {
			t.Errorf("input failing after %d bytes: next Read: %v, want %v", n, err, boom)
		}
	}
}

// TestReaderWriteToError: a failing destination's error is returned and
// sticks.
func TestReaderWriteToError(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	r, _ := NewReader(bytes.NewReader(compress(t, text(300<<10))))
	n, err := r.WriteTo(&stagetest.FailWriter{N: 70000, Err: boom})
	if err != boom || n != 70000 {
		t.Fatalf("WriteTo = %d, %v; want 70000, %v", n, err, boom)
	}
	if _, err := r.WriteTo(io.Discard); err != boom {
		t.Fatalf("second WriteTo: %v, want %v", err, boom)
	}
	if _, err := r.Read(make([]byte, 1)); err != boom {
		t.Fatalf("Read after: %v, want %v", err, boom)
	}
}

func TestReaderClose(t *testing.T) {
	t.Parallel()
	r, _ := NewReader(bytes.NewReader(compress(t, text(1000))))
	r.Read(make([]byte, 10))
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Read(make([]byte, 10)); err != ErrReadClosed {
		t.Fatalf("Read after Close: %v", err)
	}
}

// TestReaderManyEmptyMembers: 100,000 empty members decode quickly and
// count as members.
func TestReaderManyEmptyMembers(t *testing.T) {
	t.Parallel()
	empty := compress(t, nil)
	z := bytes.Repeat(empty, 100000)
	r, _ := NewReader(bytes.NewReader(z))
	n, err := r.WriteTo(io.Discard)
	if err != nil || n != 0 || r.Members() != 100000 {
		t.Fatalf("WriteTo = %d, %v, %d members", n, err, r.Members())
	}
}

func BenchmarkReader(b *testing.B) {
	data := text(16 << 20)
	z := compress(b, data)
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		r, _ := NewReader(bytes.NewReader(z))
		r.WriteTo(io.Discard)
	}
}
