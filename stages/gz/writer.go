package gz

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/klauspost/pgzip"
)

// Defaults of the Writer's options.
const (
	DefaultLevel     = 6
	DefaultBlockSize = 1 << 20
	// MinBlockSize and MaxBlockSize bound BlockSize.
	MinBlockSize = 64 << 10
	MaxBlockSize = 256 << 20
)

// Option configures a Writer.
type Option func(*writerConfig) error

type writerConfig struct {
	level     int
	threads   int
	blockSize int
}

// Level sets the compression level, 0 (stored, no compression) to 9 (best
// and slowest), as gzip and pigz count them. Default 6.
func Level(n int) Option {
	return func(c *writerConfig) error {
		if n < 0 || n > 9 {
			return fmt.Errorf("gz: compression level %d out of range 0-9", n)
		}
		c.level = n
		return nil
	}
}

// Threads sets how many blocks are compressed at once. Default: the number
// of CPUs Go may use (runtime.GOMAXPROCS). It changes the speed and the
// memory used, never the output.
func Threads(n int) Option {
	return func(c *writerConfig) error {
		if n < 1 {
			return fmt.Errorf("gz: threads %d: need at least 1", n)
		}
		if n > 1024 {
			return fmt.Errorf("gz: threads %d: at most 1024", n)
		}
		c.threads = n
		return nil
	}
}

// BlockSize sets how many bytes of input each thread compresses as one
// piece, between MinBlockSize and MaxBlockSize. Default DefaultBlockSize
// (1 MiB). Each block starts with the last 16 KiB of the one before as its
// dictionary, so larger blocks compress a little better; memory grows with
// BlockSize × Threads. The output depends on the block size.
func BlockSize(n int) Option {
	return func(c *writerConfig) error {
		if n < MinBlockSize || n > MaxBlockSize {
			return fmt.Errorf("gz: block size %d out of range %d-%d", n, MinBlockSize, MaxBlockSize)
		}
		c.blockSize = n
		return nil
	}
}

// Writer compresses what is written to it as one gzip member (RFC 1952)
// and writes that to the io.Writer it wraps. Blocks of input are compressed
// in parallel (github.com/klauspost/pgzip) and written in order.
//
// The output is reproducible: the header has no name and MTIME 0, OS 3
// (Unix) and XFL as gzip sets it (2 at level 9, 4 at level 1, else 0), so
// the same input, level and block size give the same bytes whatever the
// number of threads, the machine or the way the input was cut into writes.
// An empty input gives the 20-byte empty member that gzip writes.
//
// A Writer is for one goroutine. Its errors are sticky: once a write to the
// wrapped writer failed, every later call returns that error.
type Writer struct {
	w     io.Writer
	cfg   writerConfig
	z     *pgzip.Writer // nil until the first byte
	n     int64         // bytes of input
	err   error
	close bool
}

var _ io.WriteCloser = (*Writer)(nil)

// ErrClosed is returned by a Write after Close.
var ErrClosed = errors.New("gz: write after close")

// NewWriter returns a Writer that writes gzip data to w. It fails only on
// an invalid option. Close must be called to finish the stream; it does not
// close w.
func NewWriter(w io.Writer, opts ...Option) (*Writer, error) {
	c := writerConfig{level: DefaultLevel, threads: runtime.GOMAXPROCS(0), blockSize: DefaultBlockSize}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return nil, err
		}
	}
	return &Writer{w: w, cfg: c}, nil
}

// xfl is the XFL header byte gzip writes for a level.
func xfl(level int) byte {
	switch level {
	case 1:
		return 4
	case 9:
		return 2
	}
	return 0
}

// start creates the parallel compressor for the first bytes.
func (z *Writer) start() error {
	pz, err := pgzip.NewWriterLevel(z.w, z.cfg.level)
	if err != nil {
		return err
	}
	if err := pz.SetConcurrency(z.cfg.blockSize, z.cfg.threads); err != nil {
		return err
	}
	pz.ModTime = time.Unix(0, 0) // pgzip's zero time would write 2042
	pz.OS = 3                    // Unix, as gzip writes it
	z.z = pz
	return nil
}

// Write compresses p. It may return before p is compressed; a failure of
// the wrapped writer is reported by a later Write or by Close.
func (z *Writer) Write(p []byte) (int, error) {
	if z.err != nil {
		return 0, z.err
	}
	if z.close {
		return 0, ErrClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	if z.z == nil {
		if z.err = z.start(); z.err != nil {
			return 0, z.err
		}
	}
	n, err := z.z.Write(p)
	z.n += int64(n)
	if err != nil {
		z.fail(err)
	}
	return n, z.err
}

// fail records err and stops the compressor's goroutines.
func (z *Writer) fail(err error) {
	z.err = err
	if z.z != nil && !z.close {
		// Reset ends pgzip's goroutines, which a failed Close leaves waiting.
		z.z.Reset(io.Discard)
	}
}

// Close compresses what is left, writes the gzip trailer and waits until
// everything was written. It does not close the wrapped writer. Calling
// Close again returns the first Close's result.
func (z *Writer) Close() error {
	if z.close {
		return z.err
	}
	defer func() { z.close = true }()
	switch {
	case z.err != nil:
	case z.z == nil:
		empty := [20]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl(z.cfg.level), 3, 3, 0}
		if _, err := z.w.Write(empty[:]); err != nil {
			z.err = err
		}
	default:
		if err := z.z.Close(); err != nil {
			z.fail(err)
		}
	}
	return z.err
}

// Written is the number of bytes of input compressed so far.
func (z *Writer) Written() int64 { return z.n }
