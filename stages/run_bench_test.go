package stages_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/read"
	"github.com/fpipe/fpipe/stages/sink"
	"github.com/fpipe/fpipe/stages/sum"
)

// benchSize is the stream each benchmark run copies.
const benchSize = 256 << 20

// BenchmarkRun measures Run with a context that can end (as the tools run
// it), on the kernel's fast path (a file into a file sink) and through
// filters, so that a change to the copy shows in the throughput.
func BenchmarkRun(b *testing.B) {
	dir := b.TempDir()
	in := filepath.Join(dir, "in")
	if err := os.WriteFile(in, bytes.Repeat([]byte("0123456789abcdef"), benchSize/16), 0o600); err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	b.Run("file to file sink", func(b *testing.B) {
		b.SetBytes(benchSize)
		b.ReportAllocs()
		for b.Loop() {
			src, err := read.NewReader([]string{in})
			if err != nil {
				b.Fatal(err)
			}
			dst, err := sink.Create(filepath.Join(dir, "out"))
			if err != nil {
				b.Fatal(err)
			}
			if _, err := stages.Run(ctx, stages.Chain{Source: src, Sink: dst}); err != nil {
				b.Fatal(err)
			}
			src.Close()
		}
	})
	b.Run("file through sum and a reader filter", func(b *testing.B) {
		b.SetBytes(benchSize)
		b.ReportAllocs()
		pass := stages.Filter{Reader: func(r io.Reader) (io.ReadCloser, error) { return io.NopCloser(r), nil }}
		for b.Loop() {
			src, err := read.NewReader([]string{in})
			if err != nil {
				b.Fatal(err)
			}
			_, err = stages.Run(ctx, stages.Chain{
				Source:  src,
				Filters: []stages.Filter{sum.Filter(), pass},
				Sink:    stages.StdoutSink(io.Discard),
			})
			if err != nil {
				b.Fatal(err)
			}
			src.Close()
		}
	})
}
