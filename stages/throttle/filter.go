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
// When the context of stages.Run ends, Run interrupts the stage, which ends
// its wait at once: Context is not needed in a chain.
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

var (
	_ stages.Interrupter = (*Writer)(nil)
	_ stages.Interrupter = (*Reader)(nil)
)

// Interrupt ends any wait with ErrClosed and makes later writes fail, as
// Close does; stages.Run calls it from another goroutine when its context
// ends.
func (w *Writer) Interrupt() { w.l.close() }

// Interrupt ends any wait with ErrClosed and makes later reads fail, as
// Close does; stages.Run calls it from another goroutine when its context
// ends.
func (r *Reader) Interrupt() { r.l.close() }
