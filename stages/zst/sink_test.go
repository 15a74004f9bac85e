package zst_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"testing"

	"github.com/fpipe/fpipe/internal/stagetest"
	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/sink"
	"github.com/fpipe/fpipe/stages/zst"
	"github.com/fpipe/fpipe/tests/gendump/dump"
)

// TestCorruptIntoSink runs, in one process through stages.Run, a
// frame with a bad checksum (then a truncated one, then one with trailing
// garbage) through the zstd reader into the sink: the decoder hands over
// nearly all the data before it checks the checksum, yet the destination
// is left untouched.
func TestCorruptIntoSink(t *testing.T) {
	t.Parallel()
	data, _ := io.ReadAll(dump.NewReader(1, 3<<20))
	var z bytes.Buffer
	w, _ := zst.NewWriter(&z)
	w.Write(data)
	w.Close()
	good := z.Bytes()
	n := len(good)
	badSum := bytes.Clone(good)
	badSum[n-4] ^= 0x40
	stagetest.IntoSink(t, int64(len(data)), 90, []stagetest.Corrupt{
		{Name: "checksum", In: badSum, Kind: zst.ErrChecksum, Late: true,
			Msg: fmt.Sprintf("fzst -d: content checksum mismatch at offset %d", n-4)},
		{Name: "truncated", In: good[:n-5], Kind: zst.ErrTruncated, Late: true,
			Msg: fmt.Sprintf("fzst -d: unexpected end of zstd data at offset %d", n-5)},
		{Name: "trailing", In: append(bytes.Clone(good), "x"...), Kind: zst.ErrTrailing,
			Msg: fmt.Sprintf("fzst -d: trailing garbage after zstd data at offset %d", n)},
	}, func(p string) (stagetest.Sink, error) { return sink.Create(p) },
		func(src *os.File, dst *stagetest.CountingSink) error {
			_, err := stages.Run(context.Background(), stages.Chain{
				Source: src, SourceName: "in.zst",
				Filters: []stages.Filter{{Name: "fzst -d", Reader: func(src io.Reader) (io.ReadCloser, error) {
					return zst.NewReader(src)
				}}},
				Sink: dst, SinkName: "restored.sql",
			})
			return err
		})
}
