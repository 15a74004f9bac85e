package throttle

import (
	"io"

	"github.com/fpipe/fpipe/stages"
)

// Filter returns the stage as a stages.Filter named "throttle", for a
// stages.Chain: each time the chain is built, a Writer of rate bytes per
// second with opts wraps the stage after it (Reader is set too, for a
// caller that wants the stage as a reader). An invalid rate or option
// fails the chain's Run. Set the result's Name to name the stage otherwise
// in errors.
//
// stages.Run returns promptly when its context ends, even in the middle of
// a wait; Context(ctx) with the same context also ends the wait itself, so
// that nothing goes on after Run returned.
func Filter(rate int64, opts ...Option) stages.Filter {
	return stages.Filter{
		Name: "throttle",
		Writer: func(dst io.Writer) (io.WriteCloser, error) {
			return NewWriter(dst, rate, opts...)
		},
		Reader: func(src io.Reader) (io.ReadCloser, error) {
			return NewReader(src, rate, opts...)
		},
	}
}
