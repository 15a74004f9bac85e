package zst

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReader: no input makes the Reader panic, hang or allocate a window
// above its limit; Read (with Concurrency(2)) and WriteTo (with 1) agree
// on whether the input is good, and on its data when it is (on bad input
// the pipeline of Concurrency(2) may hand out a different amount, or find
// another of its errors first); every error is an *Error with an offset
// inside the input; what decodes, re-encodes with the Writer and decodes
// back to the same bytes. Seeds: the files in testdata (made by
// zstd(1)), the table tests' shapes and zstd's golden decompression errors
// (goldenErrors). Crashers stay in testdata/fuzz.
func FuzzReader(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.zst"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	hello := compress(f, []byte("Hello, zstd world.\n"))
	f.Add([]byte{})
	f.Add([]byte{0x28})
	f.Add([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x04})
	f.Add(hello)
	f.Add(cat(hello, hello))
	f.Add(cat(hello, []byte("junk")))
	f.Add(cat(skippable(2, []byte("meta")), hello))
	f.Add(compress(f, nil))
	f.Add(compress(f, text(70<<10), Level(1)))
	f.Add(rawFrame(0x58, []byte("raw block")))
	f.Add(rawFrame(18<<3, []byte("big window")))
	f.Add(cat([]byte{0x28, 0xb5, 0x2f, 0xfd, 0, 0x58}, block(true, 1, []byte("z"), 5000)))
	// zstd's golden decompression errors, and off0 after a good frame.
	for _, b := range goldenErrors(f) {
		f.Add(b)
	}
	f.Add(cat(hello, off0))
	f.Fuzz(func(t *testing.T, in []byte) {
		const limit = 1 << 20 // windows above are refused; keeps each run small
		got, err := unzstMax(in, 4<<20, MaxWindow(limit), InputBuffer(4096), Concurrency(2))
		got2, err2 := unzstWTMax(in, 4<<20, MaxWindow(limit), Concurrency(1))
		if err == errBomb || err2 == errBomb {
			return // a bomb: 4 MiB came out without an error; enough
		}
		if (err == nil) != (err2 == nil) || (err == nil && !bytes.Equal(got, got2)) {
			t.Fatalf("Read: %d bytes, %v; WriteTo: %d bytes, %v", len(got), err, len(got2), err2)
		}
		if err != nil {
			var ze *Error
			if !errors.As(err, &ze) {
				t.Fatalf("error %v is not an *Error", err)
			}
			if ze.Offset < 0 || ze.Offset > int64(len(in)) {
				t.Fatalf("offset %d outside the input of %d bytes: %v", ze.Offset, len(in), err)
			}
			return
		}
		level := 3
		if len(got) > 64<<10 {
			level = 1
		}
		again, err := unzst(compress(t, got, Level(level)))
		if err != nil || !bytes.Equal(again, got) {
			t.Fatalf("re-encoded data: %d bytes, %v; want %d bytes", len(again), err, len(got))
		}
	})
}

var errBomb = errors.New("more output than the fuzz test takes")

// unzstMax decodes through Read, stopping with errBomb after max bytes.
func unzstMax(in []byte, max int, opts ...ReaderOption) ([]byte, error) {
	r, err := NewReader(bytes.NewReader(in), opts...)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		out = append(out, buf[:n]...)
		if len(out) > max {
			return out, errBomb
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

// unzstWTMax decodes through WriteTo, stopping with errBomb after max
// bytes.
func unzstWTMax(in []byte, max int, opts ...ReaderOption) ([]byte, error) {
	r, err := NewReader(bytes.NewReader(in), opts...)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var b bytes.Buffer
	_, err = r.WriteTo(&limitWriter{w: &b, left: max})
	return b.Bytes(), err
}

type limitWriter struct {
	w    io.Writer
	left int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if len(p) > l.left {
		return 0, errBomb
	}
	l.left -= len(p)
	return l.w.Write(p)
}
