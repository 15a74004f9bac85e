package gz_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/fpipe/fpipe/internal/stagetest"
	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/gz"
	"github.com/fpipe/fpipe/stages/sink"
	"github.com/fpipe/fpipe/tests/gendump/dump"
)

// TestCorruptIntoSink runs, in one process through stages.Run, a stream
// with a bad CRC (then a bad length, a truncated one, one with trailing
// garbage) through the gzip reader into the sink: the decoder hands over
// nearly all the data before it checks the trailer, yet the destination is
// left untouched. Each damage is made in one member (decoded as a stream)
// and in independent members of 256 KiB (decoded in parallel), in the last
// member with data, which the end member follows in the second case.
func TestCorruptIntoSink(t *testing.T) {
	t.Parallel()
	data, err := io.ReadAll(dump.NewReader(1, 3<<20))
	if err != nil {
		t.Fatal(err)
	}
	var cases []stagetest.Corrupt
	for _, f := range []struct {
		name string
		opts []gz.Option
		end  int // the length of the end member
	}{{"single", []gz.Option{gz.SingleMember(true)}, 0}, {"members", []gz.Option{gz.BlockSize(256 << 10)}, 30}} {
		var z bytes.Buffer
		w, err := gz.NewWriter(&z, f.opts...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		good := z.Bytes()
		n := len(good)
		e := n - f.end // the end of the last member with data
		badCRC := bytes.Clone(good)
		badCRC[e-8] ^= 0x40
		badLen := bytes.Clone(good)
		badLen[e-2] ^= 1
		cases = append(cases,
			stagetest.Corrupt{Name: f.name + "/crc", In: badCRC, Kind: gz.ErrChecksum, Late: true,
				Msg: fmt.Sprintf("gz: crc32 mismatch at offset %d: ", e-8)},
			stagetest.Corrupt{Name: f.name + "/length", In: badLen, Kind: gz.ErrLength, Late: true,
				Msg: fmt.Sprintf("gz: length mismatch at offset %d: ", e-8)},
			stagetest.Corrupt{Name: f.name + "/truncated", In: good[:e-5], Kind: gz.ErrTruncated, Late: true,
				Msg: fmt.Sprintf("gz: unexpected end of gzip data at offset %d", e-5)},
			stagetest.Corrupt{Name: f.name + "/trailing", In: append(bytes.Clone(good), "x"...), Kind: gz.ErrTrailing,
				Msg: fmt.Sprintf("gz: trailing garbage after gzip data at offset %d", n)},
		)
		if f.end != 0 {
			cases = append(cases, stagetest.Corrupt{Name: f.name + "/no end member", In: good[:e], Kind: gz.ErrTruncated, Late: true,
				Msg: fmt.Sprintf("gz: unexpected end of gzip data at offset %d: the stream's end member is missing", e)})
		}
	}
	stagetest.IntoSink(t, int64(len(data)), 85, cases,
		func(p string) (stagetest.Sink, error) { return sink.Create(p) },
		func(src *os.File, dst *stagetest.CountingSink) error {
			_, err := stages.Run(context.Background(), stages.Chain{
				Source: src, SourceName: "in.gz",
				Filters: []stages.Filter{gz.DecompressFilter(gz.ReadThreads(3))},
				Sink:    dst, SinkName: "restored.sql",
			})
			return err
		})
}
