package zst

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/fpipe/fpipe/internal/stagetest"
)

// text is n bytes of compressible, not trivially repetitive text.
func text(n int) []byte {
	var b bytes.Buffer
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "INSERT INTO t VALUES (%d, 'row %d', %d);\n", i, i*7919%1000, i*i%977)
	}
	return b.Bytes()[:n]
}

// compress returns data compressed by a Writer with opts.
func compress(t testing.TB, data []byte, opts ...Option) []byte {
	t.Helper()
	var b bytes.Buffer
	w, err := NewWriter(&b, opts...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// unzst decodes in through Read (io.ReadAll's small reads).
func unzst(in []byte, opts ...ReaderOption) ([]byte, error) {
	r, err := NewReader(bytes.NewReader(in), opts...)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(struct{ io.Reader }{r})
}

// unzstWT decodes in through WriteTo.
func unzstWT(in []byte, opts ...ReaderOption) ([]byte, error) {
	r, err := NewReader(bytes.NewReader(in), opts...)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var b bytes.Buffer
	_, err = r.WriteTo(&b)
	return b.Bytes(), err
}

// block is a zstd block header and its content.
func block(last bool, typ int, content []byte, size int) []byte {
	h := uint32(size)<<3 | uint32(typ)<<1
	if last {
		h |= 1
	}
	return append([]byte{byte(h), byte(h >> 8), byte(h >> 16)}, content...)
}

// rawFrame is a frame without checksum whose window descriptor is wd,
// holding data in raw blocks of at most 128 KiB.
func rawFrame(wd byte, data []byte) []byte {
	b := []byte{0x28, 0xb5, 0x2f, 0xfd, 0, wd}
	for {
		n := min(len(data), maxBlockSize)
		b = append(b, block(n == len(data), 0, data[:n], n)...)
		data = data[n:]
		if len(data) == 0 {
			return b
		}
	}
}

func skippable(nibble byte, content []byte) []byte {
	b := []byte{0x50 | nibble, 0x2a, 0x4d, 0x18, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(b[4:], uint32(len(content)))
	return append(b, content...)
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

func TestTestdata(t *testing.T) {
	t.Parallel()
	hello := []byte("Hello, zstd world.\n")
	var seq bytes.Buffer
	for i := 1; i <= 3000; i++ {
		fmt.Fprintln(&seq, i)
	}
	for _, tc := range []struct {
		file string
		want []byte
	}{
		{"empty.zst", nil},
		{"hello-zstd1.zst", hello},
		{"hello-zstd19-nocheck.zst", hello},
		{"multi.zst", cat(hello, seq.Bytes())},
		{"seq-rsyncable.zst", seq.Bytes()},
		{"skippable.zst", hello},
	} {
		in, err := os.ReadFile(filepath.Join("testdata", tc.file))
		if err != nil {
			t.Fatal(err)
		}
		for way, decode := range map[string]func([]byte, ...ReaderOption) ([]byte, error){"Read": unzst, "WriteTo": unzstWT} {
			got, err := decode(in)
			if err != nil || !bytes.Equal(got, tc.want) {
				t.Errorf("%s %s = %d bytes, %v; want %d bytes", way, tc.file, len(got), err, len(tc.want))
			}
		}
	}
}

func TestReaderFrames(t *testing.T) {
	t.Parallel()
	a, b := text(300000), []byte("second\n")
	za, zb := compress(t, a), compress(t, b, Level(19))
	big := text(400000)
	for _, tc := range []struct {
		name string
		in   []byte
		want []byte
	}{
		{"one", za, a},
		{"two", cat(za, zb), cat(a, b)},
		{"empty frame between", cat(za, compress(t, nil), zb), cat(a, b)},
		{"skippable first", cat(skippable(0, []byte("meta")), za), a},
		{"skippable between and last", cat(za, skippable(15, nil), zb, skippable(7, make([]byte, 200000))), cat(a, b)},
		{"only skippable", skippable(3, []byte("x")), nil},
		{"raw blocks", rawFrame(0x58, big), big},
		{"no checksum", compress(t, a, Checksum(false)), a},
		{"single segment", cat([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x20, 2}, block(true, 0, []byte("hi"), 2)), []byte("hi")},
		{"rle", cat([]byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0x58}, block(false, 1, []byte("z"), 1000), block(true, 1, []byte("y"), 3)), cat(bytes.Repeat([]byte("z"), 1000), []byte("yyy"))},
	} {
		for way, decode := range map[string]func([]byte, ...ReaderOption) ([]byte, error){"Read": unzst, "WriteTo": unzstWT} {
			for _, conc := range []int{1, 2, 4} {
				got, err := decode(tc.in, Concurrency(conc))
				if err != nil || !bytes.Equal(got, tc.want) {
					t.Errorf("%s: %s, concurrency %d = %d bytes, %v; want %d bytes", tc.name, way, conc, len(got), err, len(tc.want))
				}
			}
		}
	}
}

// TestReaderErrors: each kind of bad input is told apart, at its offset.
func TestReaderErrors(t *testing.T) {
	t.Parallel()
	data := text(500000)
	z := compress(t, data)
	n := int64(len(z))
	badSum := bytes.Clone(z)
	badSum[n-1] ^= 0x10
	badData := bytes.Clone(z)
	badData[n/2] ^= 0xff
	win := func(wd byte) []byte { return rawFrame(wd, []byte("hi")) }
	for _, tc := range []struct {
		name string
		in   []byte
		kind error
		msg  string // the whole message, or a prefix ending in "..."
		opts []ReaderOption
	}{
		{"empty", nil, ErrEmpty, "empty input, not zstd data", nil},
		{"not zstd", []byte("plain text, long enough"), ErrNotZstd, "not in zstd format", nil},
		{"not zstd, short", []byte("ab"), ErrNotZstd, "not in zstd format", nil},
		{"magic cut", z[:3], ErrTruncated, "unexpected end of zstd data at offset 3", nil},
		{"header cut", z[:5], ErrTruncated, "unexpected end of zstd data at offset 5", nil},
		{"body cut", z[:n/2], ErrTruncated, fmt.Sprintf("unexpected end of zstd data at offset %d", n/2), nil},
		{"checksum cut", z[:n-2], ErrTruncated, fmt.Sprintf("unexpected end of zstd data at offset %d", n-2), nil},
		{"skippable cut", cat(z, skippable(0, []byte("meta"))[:10]), ErrTruncated, fmt.Sprintf("unexpected end of zstd data at offset %d", n+10), nil},
		{"second frame's magic cut", cat(z, z[:2]), ErrTruncated, fmt.Sprintf("unexpected end of zstd data at offset %d", n+2), nil},
		{"trailing text", cat(z, []byte("junk\n")), ErrTrailing, fmt.Sprintf("trailing garbage after zstd data at offset %d", n), nil},
		{"trailing byte", cat(z, []byte("j")), ErrTrailing, fmt.Sprintf("trailing garbage after zstd data at offset %d", n), nil},
		{"trailing zeros", cat(z, make([]byte, 512)), ErrTrailing, fmt.Sprintf("trailing garbage after zstd data at offset %d", n), nil},
		{"checksum", badSum, ErrChecksum, fmt.Sprintf("content checksum mismatch at offset %d", n-4), nil},
		{"corrupt", badData, nil, "", nil}, // ErrCorrupt or ErrChecksum, depending on the byte
		{"reserved bit", []byte{0x28, 0xb5, 0x2f, 0xfd, 0x08, 0x58, 1, 0, 0}, ErrCorrupt, "corrupt zstd data in the frame at offset 0: reserved bit set in the frame header", nil},
		{"reserved block", cat([]byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0x58}, block(true, 3, nil, 0)), ErrCorrupt, "corrupt zstd data in the frame at offset 0: reserved block type at offset 6", nil},
		{"block too big", cat([]byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0x58}, block(true, 0, nil, 200000)), ErrCorrupt, "corrupt zstd data in the frame at offset 0: block of 200000 bytes at offset 6, more than the 131072 allowed", nil},
		{"block above window", cat([]byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0x00}, block(true, 0, make([]byte, 2000), 2000)), ErrCorrupt, "corrupt zstd data in the frame at offset 0: block of 2000 bytes at offset 6, more than the 1024 allowed", nil},
		{"dictionary", []byte{0x28, 0xb5, 0x2f, 0xfd, 0x01, 0x58, 7, 1, 0, 0}, ErrDictionary, "frame needs a dictionary in the frame at offset 0: dictionary ID 7; dictionaries are not supported", nil},
		{"window 256 MiB", win(18 << 3), ErrWindow, "window too large in the frame at offset 0: it needs 256 MiB, more than the limit of 128 MiB", nil},
		{"window 160 MiB", win(17<<3 | 2), ErrWindow, "window too large in the frame at offset 0: it needs 160 MiB, more than the limit of 128 MiB", nil},
		{"window 8 MiB, limit 4 MiB", win(13 << 3), ErrWindow, "window too large in the frame at offset 0: it needs 8 MiB, more than the limit of 4 MiB", []ReaderOption{MaxWindow(4 << 20)}},
		{"single segment of 5 MiB, limit 4 MiB", []byte{0x28, 0xb5, 0x2f, 0xfd, 0xa0, 0, 0, 0x50, 0}, ErrWindow, "window too large in the frame at offset 0: it needs 5 MiB, more than the limit of 4 MiB", []ReaderOption{MaxWindow(4 << 20)}},
		{"window in the second frame", cat(z, win(18<<3)), ErrWindow, fmt.Sprintf("window too large in the frame at offset %d: ...", n), nil},
		{"content size mismatch", cat([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x20, 3}, block(true, 0, []byte("hi"), 2)), ErrCorrupt, "corrupt zstd data in the frame at offset 0: ...", nil},
	} {
		for way, decode := range map[string]func([]byte, ...ReaderOption) ([]byte, error){"Read": unzst, "WriteTo": unzstWT} {
			_, err := decode(tc.in, tc.opts...)
			if tc.kind == nil {
				if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrChecksum) {
					t.Errorf("%s: %s error = %v, want corrupt data or a checksum mismatch", tc.name, way, err)
				}
				continue
			}
			msg := ""
			if err != nil {
				msg = err.Error()
			}
			ok := msg == tc.msg
			if p, cut := strings.CutSuffix(tc.msg, "..."); cut {
				ok = strings.HasPrefix(msg, p)
			}
			if !errors.Is(err, tc.kind) || !ok {
				t.Errorf("%s: %s error = %q, want %q", tc.name, way, msg, tc.msg)
			}
		}
	}
	// The windows refused above are accepted when the limit allows them.
	for _, in := range [][]byte{win(18 << 3), win(17<<3 | 2)} {
		if got, err := unzst(in, MaxWindow(256<<20)); err != nil || string(got) != "hi" {
			t.Errorf("window within MaxWindow(256 MiB): %q, %v", got, err)
		}
	}
	// A truncated stream also reads as io.ErrUnexpectedEOF.
	if _, err := unzst(z[:100]); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated: %v does not match io.ErrUnexpectedEOF", err)
	}
	// IgnoreChecksum lets the bad checksum pass.
	if got, err := unzst(badSum, IgnoreChecksum(true)); err != nil || !bytes.Equal(got, data) {
		t.Errorf("IgnoreChecksum: %d bytes, %v", len(got), err)
	}
}

// TestReaderEveryPrefix: no prefix of a stream decodes without an error,
// but those that end between frames; each error is ErrTruncated at the
// prefix's end (ErrEmpty for none).
func TestReaderEveryPrefix(t *testing.T) {
	t.Parallel()
	a, b := compress(t, text(3000)), skippable(1, []byte("abc"))
	z := cat(a, b, compress(t, text(100), Checksum(false)))
	for i := 0; i < len(z); i++ {
		_, err := unzst(z[:i])
		if i == len(a) || i == len(a)+len(b) {
			if err != nil {
				t.Errorf("prefix of %d bytes, between frames: %v", i, err)
			}
			continue
		}
		var ze *Error
		if !errors.As(err, &ze) {
			t.Fatalf("prefix of %d bytes: error %v", i, err)
		}
		if i == 0 {
			if ze.Err != ErrEmpty {
				t.Errorf("no bytes: %v", err)
			}
			continue
		}
		if ze.Err != ErrTruncated || ze.Offset != int64(i) {
			t.Errorf("prefix of %d bytes: %v", i, err)
		}
	}
}

// TestReaderIotest: the Reader meets testing/iotest, and reads its input
// correctly however it arrives.
func TestReaderIotest(t *testing.T) {
	t.Parallel()
	data := text(700000)
	z := cat(compress(t, data[:300000]), skippable(0, []byte("x")), compress(t, data[300000:], Level(1)))
	r, _ := NewReader(bytes.NewReader(z))
	if err := iotest.TestReader(r, data); err != nil {
		t.Error(err)
	}
	r.Close()
	for name, wrap := range map[string]func(io.Reader) io.Reader{
		"OneByteReader": iotest.OneByteReader,
		"HalfReader":    iotest.HalfReader,
		"DataErrReader": iotest.DataErrReader,
	} {
		r, _ := NewReader(wrap(bytes.NewReader(z)), InputBuffer(4096))
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: %d bytes, %v", name, len(got), err)
		}
		r.Close()
	}
	boom := errors.New("boom")
	r, _ = NewReader(io.MultiReader(bytes.NewReader(z[:1000]), iotest.ErrReader(boom)))
	if _, err := io.ReadAll(r); err != boom {
		t.Errorf("input error: %v, want %v as it is", err, boom)
	}
	if _, err := r.Read(make([]byte, 10)); err != boom {
		t.Errorf("input error did not stick: %v", err)
	}
	r.Close()
	if _, err := r.Read(make([]byte, 10)); err != ErrReadClosed {
		t.Errorf("Read after Close: %v", err)
	}
}

// TestReaderWriteToError: a failing destination's error comes back as it
// is, and sticks.
func TestReaderWriteToError(t *testing.T) {
	t.Parallel()
	z := compress(t, text(1<<20))
	r, _ := NewReader(bytes.NewReader(z))
	defer r.Close()
	boom := errors.New("disk full")
	_, err := r.WriteTo(&stagetest.FailWriter{N: 300000, Err: boom})
	if err != boom {
		t.Fatalf("WriteTo = %v, want %v", err, boom)
	}
	if _, err := r.Read(make([]byte, 10)); err != boom {
		t.Errorf("Read after a failed WriteTo = %v", err)
	}
}

func TestReaderOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opt  ReaderOption
		ok   bool
	}{
		{"MaxWindow(1KiB)", MaxWindow(1 << 10), true},
		{"MaxWindow(1023)", MaxWindow(1023), false},
		{"MaxWindow(limit)", MaxWindow(MaxWindowLimit), true},
		{"MaxWindow(limit+1)", MaxWindow(MaxWindowLimit + 1), false},
		{"Concurrency(0)", Concurrency(0), false},
		{"Concurrency(16)", Concurrency(16), true},
		{"Concurrency(17)", Concurrency(17), false},
		{"InputBuffer(4K)", InputBuffer(4 << 10), true},
		{"InputBuffer(100)", InputBuffer(100), false},
	} {
		_, err := NewReader(nil, tc.opt)
		if (err == nil) != tc.ok {
			t.Errorf("NewReader(%s) = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

func BenchmarkReader(b *testing.B) {
	data := text(8 << 20)
	z := compress(b, data)
	for _, conc := range []int{1, 2, 4} {
		b.Run(fmt.Sprint(conc), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				r, _ := NewReader(bytes.NewReader(z), Concurrency(conc))
				r.WriteTo(io.Discard)
				r.Close()
			}
		})
	}
}
