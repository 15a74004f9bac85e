package stages_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/gz"
	"github.com/fpipe/fpipe/stages/meter"
	"github.com/fpipe/fpipe/stages/sum"
	"github.com/fpipe/fpipe/stages/throttle"
	"github.com/fpipe/fpipe/stages/zst"
)

// An error carries one prefix: the stage's name in the chain, which the
// one-call Filters set to their family's name; the stage packages do not
// add theirs.
func TestFilterErrorsNamedOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		filter stages.Filter
		want   string
	}{
		{"gz level", gz.Filter(gz.Level(99)), "gz: compression level 99 out of range 0-9"},
		{"gz block size", gz.Filter(gz.BlockSize(1)), "gz: block size 1 out of range "},
		{"gz -d input buffer", gz.DecompressFilter(gz.InputBuffer(1)), "gz: input buffer 1 out of range "},
		{"zst level", zst.Filter(zst.Level(99)), "zst: compression level 99 out of range 1-19"},
		{"zst -d window", zst.DecompressFilter(zst.MaxWindow(1)), "zst: window limit 1 out of range "},
		{"sum buffer", sum.Filter(sum.BufferSize(1)), "sum: buffer size 1 is below 4KiB"},
		{"throttle rate", throttle.Filter(0), "throttle: rate must be at least 1 byte per second, not 0"},
		{"meter size", meter.Filter(meter.Size(-1)), "meter: negative size -1"},
		{"renamed", func() stages.Filter { f := gz.Filter(gz.Level(99)); f.Name = "gzip"; return f }(),
			"gzip: compression level 99 out of range 0-9"},
		{"unnamed", func() stages.Filter { f := zst.Filter(zst.Level(99)); f.Name = ""; return f }(),
			"compression level 99 out of range 1-19"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := stages.Run(context.Background(), stages.Chain{
				Source:  strings.NewReader("data"),
				Filters: []stages.Filter{tt.filter},
				Sink:    stages.StdoutSink(io.Discard),
			})
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Run(%s) = %v, want %q...", tt.name, err, tt.want)
			}
		})
	}
}
