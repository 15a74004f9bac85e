package meter

import (
	"fmt"
	"io"
	"time"
)

// Display is what a meter shows.
type Display int

const (
	Lines    Display = iota // a plain line every interval, then a summary line
	Terminal                // one line redrawn in place, then a summary line
	Numeric                 // pv -n numbers, one per line
	Quiet                   // nothing
)

// Default intervals between two updates.
const (
	DefaultTerminalInterval = 200 * time.Millisecond // also the shortest on a terminal
	DefaultLinesInterval    = 10 * time.Second
	DefaultNumericInterval  = time.Second
)

// DefaultBufferSize is the buffer Writer.ReadFrom reads into.
const DefaultBufferSize = 128 << 10

// Option configures a Writer or Reader. An invalid option makes the
// constructor fail; Check tells beforehand.
type Option func(*config) error

type config struct {
	out      io.Writer
	display  Display
	interval time.Duration
	size     int64 // -1: unknown
	name     string
	width    func() int
	numBytes bool
	numTimer bool
	describe func(error) string
	bufSize  int
	fields   Field  // 0: every field
	wait     bool   // start at the first byte
	layout   string // Lines: time layout that starts each line; "" none
}

// Field is a part of the Terminal and Lines displays, as pv's display
// switches name them; Fields combines them with |.
type Field uint

const (
	Progress Field = 1 << iota // the bar and the percentage (pv -p)
	Timer                      // the elapsed time (pv -t)
	ETA                        // the time left, when the size is known (pv -e)
	Rate                       // the current rate (pv -r)
	Average                    // the average rate (pv -a)
	Bytes                      // the byte count (pv -b)

	AllFields = Progress | Timer | ETA | Rate | Average | Bytes
)

// Fields sets the parts of the Terminal and Lines updates: only those in f
// are shown, as with pv's display switches (default AllFields). The last
// line, which says what happened, is the same whatever the fields.
func Fields(f Field) Option {
	return func(c *config) error {
		if f == 0 || f&^AllFields != 0 {
			return fmt.Errorf("invalid fields %#x", uint(f))
		}
		c.fields = f
		return nil
	}
}

// WaitFirstByte makes the meter show nothing and count no time until the
// first byte has gone by (pv -W): the elapsed time, the rates and the time
// left start then. The last line is written either way. Default off.
func WaitFirstByte() Option {
	return func(c *config) error { c.wait = true; return nil }
}

// TimeFormat sets the layout (package time) of the local time that starts
// every Lines line, so that a log says when (default time.RFC3339, as in
// 2026-11-30T12:00:00+01:00; "" for none). The other displays have none.
func TimeFormat(layout string) Option {
	return func(c *config) error { c.layout = layout; return nil }
}

// Output sets where the meter writes (default: nowhere, as Quiet).
func Output(w io.Writer) Option {
	return func(c *config) error { c.out = w; return nil }
}

// Show sets the display (default Lines).
func Show(d Display) Option {
	return func(c *config) error {
		if d < Lines || d > Quiet {
			return fmt.Errorf("unknown display %d", d)
		}
		c.display = d
		return nil
	}
}

// Interval sets the time between two updates (default: 200 ms on a
// Terminal, 10 s for Lines, 1 s for Numeric). A Terminal is never redrawn
// more often than every DefaultTerminalInterval.
func Interval(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("interval must be positive, not %v", d)
		}
		c.interval = d
		return nil
	}
}

// Size sets the number of bytes expected, for the bar, the percentage and
// the time left (default: unknown).
func Size(n int64) Option {
	return func(c *config) error {
		if n < 0 {
			return fmt.Errorf("negative size %d", n)
		}
		c.size = n
		return nil
	}
}

// Name sets a prefix for every line, followed by ": " (default none).
func Name(s string) Option {
	return func(c *config) error { c.name = s; return nil }
}

// Width sets how the Terminal display learns the number of columns; it is
// asked before every redraw (default: 80 columns). Values below 20 count
// as 20.
func Width(f func() int) Option {
	return func(c *config) error { c.width = f; return nil }
}

// NumericBytes makes the Numeric display print the byte count instead of
// the percentage (pv -n -b).
func NumericBytes() Option {
	return func(c *config) error { c.numBytes = true; return nil }
}

// NumericTimer makes the Numeric display print the elapsed seconds first
// (pv -n -t).
func NumericTimer() Option {
	return func(c *config) error { c.numTimer = true; return nil }
}

// Describe sets how the last line words an error (default: err.Error()).
func Describe(f func(error) string) Option {
	return func(c *config) error { c.describe = f; return nil }
}

// BufferSize sets the size of the buffer that Writer.ReadFrom allocates on
// its first call (default DefaultBufferSize).
func BufferSize(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return fmt.Errorf("buffer size must be at least 1, not %d", n)
		}
		c.bufSize = n
		return nil
	}
}

// Check reports whether opts are valid: nil when NewWriter and NewReader
// would accept them, else the first problem, the error the constructors
// would return, so that a command-line tool can report it as a usage error
// in its own name.
func Check(opts ...Option) error {
	_, err := apply(opts)
	return err
}

// apply returns the configuration opts make from the defaults.
func apply(opts []Option) (config, error) {
	c := config{display: Lines, size: -1, bufSize: DefaultBufferSize, fields: AllFields, layout: time.RFC3339}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return config{}, err
		}
	}
	return c, nil
}
