package iox

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/fpipe/fpipe/internal/stagetest"
)

// recorder is a writer with a ReadFrom that must not be called, recording
// the size of each write.
type recorder struct {
	bytes.Buffer
	sizes []int
}

func (r *recorder) Write(p []byte) (int, error) {
	r.sizes = append(r.sizes, len(p))
	return r.Buffer.Write(p)
}

func (r *recorder) ReadFrom(io.Reader) (int64, error) {
	return 0, errors.New("ReadFrom called")
}

// writerTo is a reader with a WriteTo that must not be called.
type writerTo struct{ io.Reader }

func (writerTo) WriteTo(io.Writer) (int64, error) { return 0, errors.New("WriteTo called") }

func TestReadFromUsesBuf(t *testing.T) {
	t.Parallel()
	data := strings.Repeat("0123456789", 1000)
	var w recorder
	n, err := ReadFrom(&w, writerTo{strings.NewReader(data)}, make([]byte, 300))
	if n != int64(len(data)) || err != nil {
		t.Fatalf("ReadFrom = %d, %v, want %d, nil", n, err, len(data))
	}
	if w.String() != data {
		t.Errorf("ReadFrom copied %d different bytes", w.Len())
	}
	for i, s := range w.sizes {
		if s > 300 {
			t.Fatalf("write %d is %d bytes, more than the 300-byte buffer", i, s)
		}
	}
}

func TestReadFromErrors(t *testing.T) {
	t.Parallel()
	boom := errors.New("boom")
	data := strings.Repeat("x", 1000)
	for _, c := range []struct {
		name  string
		w     io.Writer
		r     io.Reader
		n     int64
		err   error
		wrote string
	}{
		{"read error after data", &bytes.Buffer{}, iotest.DataErrReader(io.MultiReader(strings.NewReader("abc"), iotest.ErrReader(boom))), 3, boom, "abc"},
		{"read error", &bytes.Buffer{}, iotest.ErrReader(boom), 0, boom, ""},
		{"write error", &stagetest.FailWriter{N: 150, Err: boom}, strings.NewReader(data), 150, boom, ""},
		{"short write", stagetest.ShortWriter{}, strings.NewReader(data), 50, io.ErrShortWrite, ""},
		{"EOF is success", &bytes.Buffer{}, iotest.HalfReader(strings.NewReader(data)), 1000, nil, data},
	} {
		t.Run(c.name, func(t *testing.T) {
			n, err := ReadFrom(c.w, c.r, make([]byte, 100))
			if n != c.n || err != c.err {
				t.Errorf("ReadFrom = %d, %v, want %d, %v", n, err, c.n, c.err)
			}
			if b, ok := c.w.(*bytes.Buffer); ok && b.String() != c.wrote {
				t.Errorf("wrote %q, want %q", b.String(), c.wrote)
			}
		})
	}
}
