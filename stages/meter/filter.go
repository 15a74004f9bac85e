package meter

import (
	"io"

	"github.com/fpipe/fpipe/stages"
)

// Filter returns the stage as a stages.Filter named "meter", for a
// stages.Chain: each time the chain is built, a Writer with opts wraps the
// stage after it (Reader is set too, for a caller that wants the stage as
// a reader). An invalid option fails the chain's Run. Set the result's
// Name to name the stage otherwise in errors.
func Filter(opts ...Option) stages.Filter {
	return stages.Filter{
		Name: "meter",
		Writer: func(dst io.Writer) (io.WriteCloser, error) {
			return NewWriter(dst, opts...)
		},
		Reader: func(src io.Reader) (io.ReadCloser, error) {
			return NewReader(src, opts...)
		},
	}
}
