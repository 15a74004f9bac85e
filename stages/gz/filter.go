package gz

import (
	"io"

	"github.com/fpipe/fpipe/stages"
)

// Filter returns the compressing stage as a stages.Filter named "gz", for
// a stages.Chain: each time the chain is built, a Writer with opts wraps
// the stage after it. An invalid option fails the chain's Run. Set the
// result's Name to name the stage otherwise in errors.
func Filter(opts ...Option) stages.Filter {
	return stages.Filter{Name: "gz", Writer: func(dst io.Writer) (io.WriteCloser, error) {
		return NewWriter(dst, opts...)
	}}
}

// DecompressFilter returns the decompressing stage as a stages.Filter named
// "gz": each time the chain is built, a Reader with opts reads the stage
// before it (stages.Run adapts a reader stage with stages.PipeWriter). An
// invalid option fails the chain's Run.
func DecompressFilter(opts ...ReaderOption) stages.Filter {
	return stages.Filter{Name: "gz", Reader: func(src io.Reader) (io.ReadCloser, error) {
		return NewReader(src, opts...)
	}}
}
