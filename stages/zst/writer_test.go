package zst

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"testing"
	"testing/iotest"

	"github.com/fpipe/fpipe/internal/stagetest"
	"github.com/klauspost/compress/zstd"
)

// TestWriterRoundTrip: at every level, with and without a checksum, the
// output decodes to the input, with the Reader and with zstd -d if it is
// installed.
func TestWriterRoundTrip(t *testing.T) {
	t.Parallel()
	data := cat(text(100000), make([]byte, 50000), text(1000))
	_, zstdErr := exec.LookPath("zstd")
	for level := MinLevel; level <= MaxLevel; level++ {
		if raceEnabled && level != 2 && level != 3 && level != 7 && level != 13 {
			continue // one level per encoder
		}
		for _, check := range []bool{true, false} {
			if !check && level%6 != 1 {
				continue
			}
			z := compress(t, data, Level(level), Checksum(check))
			got, err := unzst(z)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("level %d, checksum %v: %d bytes, %v", level, check, len(got), err)
			}
			if fhd := z[4]; (fhd&4 != 0) != check {
				t.Errorf("level %d, checksum %v: frame header descriptor %#x", level, check, fhd)
			}
			if zstdErr == nil && (level%4 == 1 || raceEnabled) {
				c := exec.Command("zstd", "-d", "-c")
				c.Stdin = bytes.NewReader(z)
				out, err := c.Output()
				if err != nil || !bytes.Equal(out, data) {
					t.Errorf("level %d: zstd -d: %d bytes, %v", level, len(out), err)
				}
			}
		}
	}
}

// TestWriterEmpty: an empty input gives a frame of empty content, which
// the Reader (and zstd) read as empty, not as ErrEmpty.
func TestWriterEmpty(t *testing.T) {
	t.Parallel()
	z := compress(t, nil)
	if len(z) == 0 {
		t.Fatal("no frame for an empty input")
	}
	if got, err := unzst(z); err != nil || len(got) != 0 {
		t.Errorf("empty frame: %q, %v", got, err)
	}
	if _, err := exec.LookPath("zstd"); err == nil {
		c := exec.Command("zstd", "-t")
		c.Stdin = bytes.NewReader(z)
		if out, err := c.CombinedOutput(); err != nil {
			t.Errorf("zstd -t: %v: %s", err, out)
		}
	}
}

// TestWriterDeterministic: the output does not depend on the number of
// threads nor on how the input is cut into writes or reads, in both modes:
// several frames (level 3) and one frame (level 7).
func TestWriterDeterministic(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		level int
		data  []byte
		bufs  []int
	}{
		{3, text(2*FrameSize + 12345), []int{777, 65536, 200000}},
		{6, text(FrameSize + 12345), []int{65536}},
		{7, text(400000), []int{1, 777, 4096, 200000}},
	} {
		level, data := tc.level, tc.data
		want := compress(t, data, Level(level), Threads(1))
		for _, threads := range []int{2, 4} {
			if got := compress(t, data, Level(level), Threads(threads)); !bytes.Equal(got, want) {
				t.Errorf("level %d: Threads(%d) output differs from Threads(1)", level, threads)
			}
		}
		for _, bufSize := range tc.bufs {
			var b bytes.Buffer
			w, _ := NewWriter(&b, Level(level))
			if _, err := io.CopyBuffer(struct{ io.Writer }{w}, struct{ io.Reader }{bytes.NewReader(data)}, make([]byte, bufSize)); err != nil {
				t.Fatal(err)
			}
			w.Close()
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("level %d: writes of %d bytes: output differs", level, bufSize)
			}
		}
		readers := map[string]func(io.Reader) io.Reader{"ReadFrom": func(r io.Reader) io.Reader { return r }, "ReadFrom HalfReader": iotest.HalfReader}
		if len(data) < 1<<20 {
			readers["ReadFrom OneByteReader"] = iotest.OneByteReader
		}
		for name, wrap := range readers {
			var b bytes.Buffer
			w, _ := NewWriter(&b, Level(level))
			if n, err := w.ReadFrom(wrap(bytes.NewReader(data))); err != nil || n != int64(len(data)) {
				t.Fatalf("%s = %d, %v", name, n, err)
			}
			w.Close()
			if !bytes.Equal(b.Bytes(), want) {
				t.Errorf("level %d: %s: output differs", level, name)
			}
			if w.Written() != int64(len(data)) {
				t.Errorf("level %d: %s: Written = %d, want %d", level, name, w.Written(), len(data))
			}
		}
	}
}

// TestWriterLevels: levels that share a row of the level table (encoder
// and frames) give the same bytes, and the five rows five outputs. (Sizes are not compared: on this small
// synthetic text a slower encoder is not always smaller; on real data it
// is, see the bench rows.)
func TestWriterLevels(t *testing.T) {
	t.Parallel()
	data := text(256 << 10)
	type row struct {
		enc    zstd.EncoderLevel
		framed bool
	}
	byRow := map[row][]byte{}
	for level := MinLevel; level <= MaxLevel; level++ {
		if raceEnabled && level > 10 {
			break
		}
		z := compress(t, data, Level(level))
		enc, framed, _ := levelParams(level)
		r := row{enc, framed}
		if prev, ok := byRow[r]; ok && !bytes.Equal(prev, z) {
			t.Errorf("level %d: output differs from another level on %v (framed %v)", level, enc, framed)
		}
		byRow[r] = z
	}
	if len(byRow) != 5 {
		t.Errorf("%d ways of compressing used, want 5", len(byRow))
	}
	for a, za := range byRow {
		for b, zb := range byRow {
			if a != b && bytes.Equal(za, zb) {
				t.Errorf("%v and %v give the same output", a, b)
			}
		}
	}
}

// TestWriterWindow: WindowLog sets the window the frame header declares.
func TestWriterWindow(t *testing.T) {
	t.Parallel()
	data := text(300000)
	for _, tc := range []struct {
		opts []Option
		log  int
	}{
		{[]Option{Level(7)}, 23},
		{[]Option{Level(19)}, 23},
		{[]Option{WindowLog(20)}, 20},
		{[]Option{WindowLog(25)}, 25},
	} {
		z := compress(t, data, tc.opts...)
		if z[4]&0x20 != 0 {
			t.Errorf("%d: single-segment frame", tc.log)
			continue
		}
		if got := 10 + int(z[5]>>3); got != tc.log || z[5]&7 != 0 {
			t.Errorf("window descriptor %#x, want window log %d", z[5], tc.log)
		}
		r, _ := NewReader(bytes.NewReader(z), MaxWindow(1<<tc.log))
		if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, data) {
			t.Errorf("window log %d: %v", tc.log, err)
		}
		if tc.log > 20 {
			if _, err := unzst(z, MaxWindow(1<<(tc.log-1))); !errors.Is(err, ErrWindow) {
				t.Errorf("window log %d, limit half of it: %v", tc.log, err)
			}
		}
	}
}

// TestWriterFrames: at levels 1 to 6 the input is cut into independent
// frames of FrameSize, each with its content size and so no more window
// than that; the Reader reads them all.
func TestWriterFrames(t *testing.T) {
	t.Parallel()
	data := text(FrameSize + 12345)
	for _, level := range []int{1, 3, 6} {
		z := compress(t, data, Level(level))
		if z[4]&0x20 == 0 || z[4]>>6 != 2 {
			t.Errorf("level %d: frame header descriptor %#x, want single segment with a 4-byte content size", level, z[4])
		}
		if fcs := int(z[5]) | int(z[6])<<8 | int(z[7])<<16 | int(z[8])<<24; fcs != FrameSize {
			t.Errorf("level %d: first frame's content size %d, want %d", level, fcs, FrameSize)
		}
		r, _ := NewReader(bytes.NewReader(z), MaxWindow(FrameSize))
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, data) || r.Frames() != 2 {
			t.Errorf("level %d: %d bytes in %d frames, %v", level, len(got), r.Frames(), err)
		}
		if _, err := unzst(z, MaxWindow(FrameSize/2)); !errors.Is(err, ErrWindow) {
			t.Errorf("level %d, limit half a frame: %v", level, err)
		}
	}
}

// TestWriterErrorSticks: once the destination failed, every call returns
// its error, and nothing more is written.
func TestWriterErrorSticks(t *testing.T) {
	t.Parallel()
	data := text(3 << 20)
	boom := errors.New("disk full")
	for _, threads := range []int{1, 2} {
		for _, way := range []string{"Write", "ReadFrom"} {
			fw := &stagetest.FailWriter{N: 100000, Err: boom}
			w, _ := NewWriter(fw, Threads(threads))
			var err error
			if way == "Write" {
				for i := 0; i < len(data) && err == nil; i += 65536 {
					_, err = w.Write(data[i:min(i+65536, len(data))])
				}
			} else {
				_, err = w.ReadFrom(bytes.NewReader(data))
			}
			if err == nil {
				err = w.Close()
			}
			if err != boom {
				t.Errorf("threads %d, %s: error %v, want %v", threads, way, err, boom)
			}
			if _, err := w.Write([]byte("more")); err != boom {
				t.Errorf("threads %d, %s: Write after the error = %v", threads, way, err)
			}
			if err := w.Close(); err != boom {
				t.Errorf("threads %d, %s: Close after the error = %v", threads, way, err)
			}
			if fw.Taken() != fw.N {
				t.Errorf("threads %d, %s: %d bytes reached the writer", threads, way, fw.Taken())
			}
		}
	}
	// TruncateWriter swallows silently: the Writer cannot tell, and says
	// nothing.
	w, _ := NewWriter(iotest.TruncateWriter(io.Discard, 10))
	w.Write(data)
	if err := w.Close(); err != nil {
		t.Errorf("TruncateWriter: %v", err)
	}
	// An error of the reader ReadFrom reads comes back as it is.
	w, _ = NewWriter(io.Discard)
	if _, err := w.ReadFrom(io.MultiReader(bytes.NewReader(data[:1000]), iotest.ErrReader(boom))); err != boom {
		t.Errorf("ReadFrom of a failing reader = %v", err)
	}
}

func TestWriterClose(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	w, _ := NewWriter(&b)
	w.Write([]byte("data"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	n := b.Len()
	if _, err := w.Write([]byte("x")); err != ErrClosed {
		t.Errorf("Write after Close = %v", err)
	}
	if _, err := w.ReadFrom(bytes.NewReader([]byte("x"))); err != ErrClosed {
		t.Errorf("ReadFrom after Close = %v", err)
	}
	if err := w.Close(); err != nil || b.Len() != n {
		t.Errorf("second Close = %v, %d more bytes", err, b.Len()-n)
	}
}

// TestWriterCloseWithError: an aborted Writer writes nothing more.
func TestWriterCloseWithError(t *testing.T) {
	t.Parallel()
	boom := errors.New("upstream failed")
	for _, threads := range []int{1, 2} {
		var b bytes.Buffer
		w, _ := NewWriter(&b, Threads(threads))
		w.Write(text(1 << 20))
		n := b.Len()
		if err := w.CloseWithError(boom); err != nil {
			t.Errorf("CloseWithError = %v", err)
		}
		if _, err := w.Write([]byte("x")); err != boom {
			t.Errorf("Write after CloseWithError = %v", err)
		}
		if err := w.Close(); err != boom {
			t.Errorf("Close after CloseWithError = %v", err)
		}
		if _, err := unzst(b.Bytes()); err == nil {
			t.Errorf("threads %d: an aborted stream decodes (%d bytes, %d before the abort)", threads, b.Len(), n)
		}
	}
	w, _ := NewWriter(io.Discard)
	w.CloseWithError(nil)
	if err := w.Close(); err != ErrAborted {
		t.Errorf("CloseWithError(nil) then Close = %v", err)
	}
}

func TestWriterOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opt  Option
		ok   bool
	}{
		{"Level(0)", Level(0), false},
		{"Level(1)", Level(1), true},
		{"Level(19)", Level(19), true},
		{"Level(20)", Level(20), false},
		{"Threads(0)", Threads(0), false},
		{"Threads(1)", Threads(1), true},
		{"WindowLog(9)", WindowLog(9), false},
		{"WindowLog(10)", WindowLog(10), true},
		{"WindowLog(29)", WindowLog(29), true},
		{"WindowLog(30)", WindowLog(30), false},
	} {
		_, err := NewWriter(io.Discard, tc.opt)
		if (err == nil) != tc.ok {
			t.Errorf("NewWriter(%s) = %v, want ok %v", tc.name, err, tc.ok)
		}
	}
}

func BenchmarkWriter(b *testing.B) {
	data := text(8 << 20)
	for _, level := range []int{1, 3, 7} {
		for _, threads := range []int{1, 2} {
			b.Run(fmt.Sprintf("level%d/threads%d", level, threads), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				for b.Loop() {
					w, _ := NewWriter(io.Discard, Level(level), Threads(threads))
					w.ReadFrom(bytes.NewReader(data))
					w.Close()
				}
			})
		}
	}
}
