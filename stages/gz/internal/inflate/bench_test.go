package inflate

import (
	"bufio"
	"bytes"
	"compress/flate"
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	kflate "github.com/klauspost/compress/flate"
)

// benchInput is the deflate data of the gzip file named by
// INFLATE_BENCH_GZ (one member, with no header field but a name), or of generated text.
func benchInput(b *testing.B) []byte {
	name := os.Getenv("INFLATE_BENCH_GZ")
	if name == "" {
		return deflate(b, inputs()["text"], 6)
	}
	z, err := os.ReadFile(name)
	if err != nil {
		b.Fatal(err)
	}
	if len(z) < 18 || z[0] != 0x1f || z[1] != 0x8b || z[3]&^8 != 0 {
		b.Fatalf("%s: want a gzip member with no header fields but a name", name)
	}
	start := 10
	if z[3] == 8 {
		start += bytes.IndexByte(z[10:], 0) + 1
	}
	return z[start : len(z)-8]
}

func benchDecode(b *testing.B, mk func(io.Reader) io.Reader) {
	z := benchInput(b)
	var n int64
	defer cpuMetric(b)()
	for b.Loop() {
		r := mk(bufio.NewReaderSize(bytes.NewReader(z), 128<<10))
		k, err := io.Copy(io.Discard, r)
		if err != nil {
			b.Fatal(err)
		}
		n = k
	}
	b.SetBytes(n)
}

// BenchmarkDecoder: this package, through WriteTo as the gzip Reader uses it.
func BenchmarkDecoder(b *testing.B) {
	d := NewDecoder()
	benchDecode(b, func(r io.Reader) io.Reader {
		d.Reset(r.(*bufio.Reader))
		return d
	})
}

// BenchmarkKlauspost: github.com/klauspost/compress/flate, the decoder
// the gzip Reader used before.
func BenchmarkKlauspost(b *testing.B) {
	var f io.ReadCloser
	benchDecode(b, func(r io.Reader) io.Reader {
		if f == nil {
			f = kflate.NewReader(r)
		} else {
			f.(kflate.Resetter).Reset(r, nil)
		}
		return f
	})
}

// BenchmarkStdlib: compress/flate.
func BenchmarkStdlib(b *testing.B) {
	var f io.ReadCloser
	benchDecode(b, func(r io.Reader) io.Reader {
		if f == nil {
			f = flate.NewReader(r)
		} else {
			f.(flate.Resetter).Reset(r, nil)
		}
		return f
	})
}

// BenchmarkDecodeAll: a whole stream into a buffer, as the parallel path
// decodes members.
func BenchmarkDecodeAll(b *testing.B) {
	z := benchInput(b)
	d := NewDecoder()
	br := bufio.NewReaderSize(bytes.NewReader(z), 128<<10)
	d.Reset(br)
	want, err := io.ReadAll(d)
	if err != nil {
		b.Fatal(err)
	}
	dst := make([]byte, len(want))
	defer cpuMetric(b)()
	for b.Loop() {
		if _, _, err := d.DecodeAll(dst, z); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(len(dst)))
}

// cpuMetric reports the process's CPU time (user+system) per op, steadier
// than the wall time on a loaded machine; call its result at the end.
func cpuMetric(b *testing.B) func() {
	start := cpuNow()
	return func() {
		b.ReportMetric(float64((cpuNow()-start).Milliseconds())/float64(b.N), "cpu-ms/op")
	}
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
