package throttle

import (
	"context"
	"errors"
	"fmt"
)

// MaxDefaultBurst is the largest burst chosen when none is given.
const MaxDefaultBurst = 64 << 10

// DefaultBufferSize is the buffer Writer.ReadFrom reads into.
const DefaultBufferSize = 128 << 10

// DefaultBurst is the burst used for rate when none is given: a tenth of a
// second of the rate, at most MaxDefaultBurst, at least one byte.
func DefaultBurst(rate int64) int64 {
	return max(1, min(rate/10, MaxDefaultBurst))
}

// Option configures a Writer or Reader. An invalid option makes the
// constructor fail; Check tells beforehand.
type Option func(*config) error

type config struct {
	burst   int64 // 0: DefaultBurst of the rate, following SetRate
	ctx     context.Context
	bufSize int
}

// Burst sets the most bytes that may leave at once, and so the most the
// bucket holds. It must be at least 1. Default: DefaultBurst(rate),
// recomputed when the rate changes. A burst given here stays as it is.
func Burst(n int64) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("burst must be at least 1 byte, not %d", n)
		}
		c.burst = n
		return nil
	}
}

// Context makes a wait end with ctx.Err() when ctx is done. Default:
// context.Background(), so only Close ends a wait early.
func Context(ctx context.Context) Option {
	return func(c *config) error {
		if ctx == nil {
			return errors.New("nil context")
		}
		c.ctx = ctx
		return nil
	}
}

// BufferSize sets the size of the buffer that Writer.ReadFrom allocates on
// its first call (default DefaultBufferSize). It must be at least 1.
func BufferSize(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("buffer size must be at least 1, not %d", n)
		}
		c.bufSize = n
		return nil
	}
}

// Check reports whether rate (bytes per second) and opts are valid: nil
// when NewWriter and NewReader would accept them, else the first problem,
// the error the constructors would return, so that a command-line tool can
// report it as a usage error in its own name. The rate and the burst must be at least 1, and a burst must last
// less than a century at the rate.
func Check(rate int64, opts ...Option) error {
	_, err := apply(rate, opts)
	return err
}

// apply returns the configuration opts make from the defaults, checked
// against rate.
func apply(rate int64, opts []Option) (*config, error) {
	c := &config{ctx: context.Background(), bufSize: DefaultBufferSize}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	if err := checkRate(rate, c.burst); err != nil {
		return nil, err
	}
	return c, nil
}

// newConfig is apply for the constructors, which also get the limiter.
func newConfig(rate int64, opts []Option) (*config, *limiter, error) {
	c, err := apply(rate, opts)
	if err != nil {
		return nil, nil, err
	}
	return c, newLimiter(rate, c.burst), nil
}
