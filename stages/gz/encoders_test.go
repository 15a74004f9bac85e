package gz

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os/exec"
	"testing"

	kgzip "github.com/klauspost/compress/gzip"
)

// encoderInputs are data of the shapes that make encoders choose
// differently: stored, fixed and dynamic blocks, long and short matches,
// runs, distances up to the window's size.
func encoderInputs() map[string][]byte {
	far := random(32<<10, 9)
	return map[string][]byte{
		"empty":  nil,
		"one":    {'a'},
		"text":   text(600 << 10),
		"random": random(200<<10, 7),
		"zeros":  make([]byte, 300<<10),
		"mixed":  cat(random(40<<10, 8), text(100<<10), make([]byte, 70<<10), far, far, text(50<<10)),
		"runs": func() []byte {
			var b []byte
			for i := range 5000 {
				b = append(b, bytes.Repeat([]byte{byte(i % 251)}, i%300+1)...)
			}
			return b
		}(),
	}
}

// flushing writes data to w in pieces of size n, flushing after each
// (a sync flush: an empty stored block, mid-stream), then closes it.
func flushing(w interface {
	io.WriteCloser
	Flush() error
}, data []byte, n int) error {
	for len(data) > 0 {
		k := min(n, len(data))
		if _, err := w.Write(data[:k]); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
		data = data[k:]
	}
	return w.Close()
}

// TestEncoders: the gzip data of many encoders and settings decodes to
// the input, on one thread and on several, through Read and WriteTo:
// compress/gzip and klauspost's gzip at every level with HuffmanOnly,
// klauspost's stateless level, sync flushes at odd points, and, where
// they are installed, gzip, pigz (zopfli with -11, -i, --rsyncable),
// igzip and zstd --format=gzip.
func TestEncoders(t *testing.T) {
	type enc struct {
		name string
		// z compresses data, or the start of it that it returns.
		z func(data []byte) (z, used []byte, err error)
	}
	var encs []enc
	for _, l := range []int{gzip.HuffmanOnly, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9} {
		encs = append(encs, enc{fmt.Sprintf("compress/gzip %d", l), func(data []byte) ([]byte, []byte, error) {
			var b bytes.Buffer
			w, _ := gzip.NewWriterLevel(&b, l)
			w.Write(data)
			err := w.Close()
			return b.Bytes(), data, err
		}})
	}
	for _, l := range []int{kgzip.StatelessCompression, kgzip.HuffmanOnly, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9} {
		encs = append(encs, enc{fmt.Sprintf("klauspost %d", l), func(data []byte) ([]byte, []byte, error) {
			var b bytes.Buffer
			w, err := kgzip.NewWriterLevel(&b, l)
			if err != nil {
				return nil, nil, err
			}
			w.Write(data)
			err = w.Close()
			return b.Bytes(), data, err
		}})
	}
	for _, n := range []int{1, 777, 40000} {
		encs = append(encs, enc{fmt.Sprintf("compress/gzip flushed every %d", n), func(data []byte) ([]byte, []byte, error) {
			if n == 1 {
				data = data[:min(len(data), 20000)] // a block a byte
			}
			var b bytes.Buffer
			w, _ := gzip.NewWriterLevel(&b, 6)
			err := flushing(w, data, n)
			return b.Bytes(), data, err
		}})
		encs = append(encs, enc{fmt.Sprintf("klauspost flushed every %d", n), func(data []byte) ([]byte, []byte, error) {
			if n == 1 {
				data = data[:min(len(data), 20000)] // a block a byte
			}
			var b bytes.Buffer
			w, _ := kgzip.NewWriterLevel(&b, 1)
			err := flushing(w, data, n)
			return b.Bytes(), data, err
		}})
	}
	for _, args := range [][]string{
		{"gzip", "-1"}, {"gzip", "-9"},
		{"pigz", "-1"}, {"pigz", "-9"}, {"pigz", "-11"}, {"pigz", "-0"}, {"pigz", "-i"}, {"pigz", "--rsyncable"},
		{"igzip", "-0"}, {"igzip", "-1"}, {"igzip", "-2"}, {"igzip", "-3"},
		{"zstd", "-q", "--format=gzip"},
	} {
		if _, err := exec.LookPath(args[0]); err != nil {
			t.Logf("%s is not installed: not compared", args[0])
			continue
		}
		encs = append(encs, enc{fmt.Sprint(args), func(data []byte) ([]byte, []byte, error) {
			if args[1] == "-11" {
				data = data[:min(len(data), 50<<10)] // zopfli is slow
			}
			cmd := exec.Command(args[0], append(args[1:], "-c")...)
			cmd.Stdin = bytes.NewReader(data)
			z, err := cmd.Output()
			return z, data, err
		}})
	}
	for name, data := range encoderInputs() {
		for _, e := range encs {
			z, want, err := e.z(data)
			if err != nil {
				t.Fatalf("%s on %s: %v", e.name, name, err)
			}
			for _, threads := range []int{0, 2} {
				for _, wt := range []bool{false, true} {
					got, errText := decodeWith(z, threads, wt)
					if errText != "" || !bytes.Equal(got, want) {
						t.Fatalf("%s on %s, threads %d, WriteTo %v: %d bytes, %q; want %d bytes", e.name, name, threads, wt, len(got), errText, len(want))
					}
				}
			}
		}
	}
}
