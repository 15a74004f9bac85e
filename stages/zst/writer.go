package zst

import (
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/fpipe/fpipe/internal/option"
	"github.com/fpipe/fpipe/stages"
	"github.com/klauspost/compress/zstd"
)

// Levels, as the zstd command numbers them.
const (
	MinLevel     = 1
	MaxLevel     = 19
	DefaultLevel = 3
)

// Window sizes of the Writer, as base-2 logarithms (zstd --long=N).
const (
	MinWindowLog = 10 // 1 KiB
	MaxWindowLog = 29 // 512 MiB, the largest the encoder supports
	// LongWindowLog is the window zstd --long uses without a number (128 MiB).
	LongWindowLog = 27
)

// Option configures a Writer.
type Option func(*writerConfig) error

type writerConfig struct {
	level     int
	threads   int
	windowLog int // 0: the level's own
	checksum  bool
}

// Level sets the compression level, MinLevel (fastest) to MaxLevel
// (smallest), numbered as the zstd command numbers them. Default
// DefaultLevel (3). The library has four encoders; the package doc says
// which one each level uses.
func Level(n int) Option {
	return func(c *writerConfig) error {
		if n < MinLevel || n > MaxLevel {
			return &option.Error{
				Msg: fmt.Sprintf("compression level %d out of range %d-%d", n, MinLevel, MaxLevel),
				Why: fmt.Sprintf("out of range %d-%d", MinLevel, MaxLevel),
			}
		}
		c.level = n
		return nil
	}
}

// Threads sets how many frames are compressed at once at levels 1 to 6
// (at least 1), and whether the single-frame encoder of the other levels
// runs as a pipeline of two goroutines (more than 1) or on the caller's.
// Default: the number of CPUs Go may use (runtime.GOMAXPROCS). It changes
// the speed and the memory used, never the output.
func Threads(n int) Option {
	return func(c *writerConfig) error {
		if n < 1 {
			return option.Errorf("at least 1", "threads %d", n)
		}
		c.threads = n
		return nil
	}
}

// WindowLog sets the window, the longest distance a match may reach back,
// to 2^n bytes, MinWindowLog to MaxWindowLog (zstd --long=N). A decoder
// needs about that much memory: zstd(1) refuses windows above 2^27 unless
// told --memory or --long. Default: the level's window (4 MiB at levels 1
// to 6, 8 MiB above).
func WindowLog(n int) Option {
	return func(c *writerConfig) error {
		if n < MinWindowLog || n > MaxWindowLog {
			return &option.Error{
				Msg: fmt.Sprintf("window log %d out of range %d-%d", n, MinWindowLog, MaxWindowLog),
				Why: fmt.Sprintf("the window log must be %d to %d", MinWindowLog, MaxWindowLog),
			}
		}
		c.windowLog = n
		return nil
	}
}

// Checksum sets whether each frame ends with a content checksum (the low
// 32 bits of XXH64), which zstd -d and Reader check. Default true.
func Checksum(on bool) Option {
	return func(c *writerConfig) error {
		c.checksum = on
		return nil
	}
}

// levelParams is how the Writer compresses at a level of the zstd
// command: with which of the library's encoders, whether in independent
// frames of FrameSize (compressed Threads at a time) or in one frame, and
// with which window. Level must be valid:
//
//	level   encoder                 frames          window
//	1-2     SpeedFastest            FrameSize each  4 MiB
//	3-5     SpeedDefault            FrameSize each  4 MiB
//	6       SpeedBetterCompression  FrameSize each  4 MiB
//	7-9     SpeedBetterCompression  one             8 MiB
//	10-19   SpeedBestCompression    one             8 MiB
//
// The library has four encoders, not nineteen, so levels that share a row
// give the same output. Measured against zstd -T2 on two CPUs on a 256 MiB
// database dump and a tar of GOROOT (tests/bench/rows/35-fzst.sh,
// BENCHMARKS.md): SpeedFastest is 3% smaller than zstd -1 on the tar but
// 3% larger on the dump; SpeedDefault is within 1.6% of zstd -3's size and
// takes about 1.2 times its CPU. At level 6 the frames let both CPUs find
// matches: on the dump it is smaller than zstd -7 and faster than zstd -6.
// The tar repeats itself at distances above 4 MiB, which only the 8 MiB
// window of levels 7 to 9 reaches (10% smaller than level 6 there, and
// smaller than zstd -9, on one CPU). SpeedBestCompression is about 7%
// smaller than zstd -11.
func levelParams(level int) (enc zstd.EncoderLevel, framed bool, window int) {
	switch {
	case level <= 2:
		return zstd.SpeedFastest, true, FrameSize
	case level <= 5:
		return zstd.SpeedDefault, true, FrameSize
	case level == 6:
		return zstd.SpeedBetterCompression, true, FrameSize
	case level <= 9:
		return zstd.SpeedBetterCompression, false, 8 << 20
	}
	return zstd.SpeedBestCompression, false, 8 << 20
}

// gcEvery is how much input the Writer compresses between two calls of
// runtime.GC. The library's encoder starts two goroutines per 128 KiB
// block (about 1.3 KB of garbage per MiB of input); with a live heap of
// 10 MiB the collector would run only every 8 GiB or so, and the heap (so
// the RSS) would creep up to twice its live size over a long stream. A
// collection of that small heap every 256 MiB costs well under 0.1% and
// keeps the RSS flat from the first GiB on.
const gcEvery = 256 << 20

// ErrClosed is returned by a Write after Close.
var ErrClosed = errors.New("write after close")

// ErrAborted is the error CloseWithError(nil) leaves behind: the one
// stages.ErrAborted, which errors.Is finds in every stage.
var ErrAborted = stages.ErrAborted

// Writer compresses what is written to it as zstd and writes that to the
// io.Writer it wraps, with klauspost/compress's encoder. At levels 1 to 6
// (without WindowLog) it cuts the input into FrameSize pieces and
// compresses up to Threads of them at once, each as an independent frame;
// above, or with WindowLog, it writes one frame, one goroutine finding the
// matches of a block while another entropy-codes and writes the one
// before (see the package documentation for sizes and memory). Memory is
// fixed, whatever the length of the stream.
//
// Every frame has a content checksum unless Checksum(false), and is read
// by zstd -d and by Reader. An empty input gives a valid frame of empty
// content. The output depends only on the input, the level and the window,
// not on Threads nor on how the input is cut into writes.
//
// A Writer is for one goroutine. Its errors are sticky: once a write to
// the wrapped writer failed, every later call returns that error.
type Writer struct {
	enc     *zstd.Encoder
	fr      *frames // set when the input is cut into independent frames
	gate    gateWriter
	cfg     writerConfig
	n       int64
	sinceGC int64 // input since the last runtime.GC
	err     error
	closed  bool
}

var (
	_ io.WriteCloser = (*Writer)(nil)
	_ io.ReaderFrom  = (*Writer)(nil)
)

// NewWriter returns a Writer that writes zstd data to w. It fails only on
// an invalid option. Close must be called to finish the frame; it does
// not close w.
func NewWriter(w io.Writer, opts ...Option) (*Writer, error) {
	c, err := applyWriter(opts)
	if err != nil {
		return nil, err
	}
	level, framed, window := levelParams(c.level)
	if c.windowLog != 0 {
		window = 1 << c.windowLog
	}
	z := &Writer{cfg: c}
	z.gate.w = w
	if c.windowLog == 0 && framed {
		enc, err := zstd.NewWriter(nil,
			zstd.WithEncoderLevel(level),
			zstd.WithWindowSize(FrameSize),
			zstd.WithEncoderConcurrency(c.threads),
			zstd.WithEncoderCRC(c.checksum),
			zstd.WithZeroFrames(true),
		)
		if err != nil {
			return nil, err
		}
		z.enc = enc
		z.fr = newFrames(enc, &z.gate, c.threads)
		return z, nil
	}
	enc, err := zstd.NewWriter(&z.gate,
		zstd.WithEncoderLevel(level),
		zstd.WithWindowSize(window),
		zstd.WithEncoderConcurrency(c.threads),
		zstd.WithEncoderCRC(c.checksum),
		zstd.WithZeroFrames(true),
	)
	if err != nil {
		return nil, err
	}
	z.enc = enc
	return z, nil
}

// Check reports whether opts are valid: nil when NewWriter would accept
// them, else the first problem, the error NewWriter would return, so that
// a command-line tool can report it as a usage error in its own name. It
// builds no encoder.
func Check(opts ...Option) error {
	_, err := applyWriter(opts)
	return err
}

// applyWriter returns the configuration opts make from the defaults.
func applyWriter(opts []Option) (writerConfig, error) {
	c := writerConfig{level: DefaultLevel, threads: runtime.GOMAXPROCS(0), checksum: true}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return writerConfig{}, err
		}
	}
	return c, nil
}

// gateWriter passes writes on to w until it is shut, and remembers the
// first error.
type gateWriter struct {
	w    io.Writer
	mu   sync.Mutex
	shut error
	err  error
}

func (g *gateWriter) Write(p []byte) (int, error) {
	g.mu.Lock()
	shut := g.shut
	g.mu.Unlock()
	if shut != nil {
		return 0, shut
	}
	n, err := g.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		g.mu.Lock()
		if g.err == nil {
			g.err = err
		}
		g.mu.Unlock()
	}
	return n, err
}

func (g *gateWriter) close(err error) {
	g.mu.Lock()
	g.shut = err
	g.mu.Unlock()
}

// fail records err: the wrapped writer's error if it had one, which is
// what the encoder's error is then about.
func (z *Writer) fail(err error) error {
	if z.err == nil {
		z.gate.mu.Lock()
		werr := z.gate.err
		z.gate.mu.Unlock()
		if werr != nil {
			err = werr
		}
		z.err = err
	}
	return z.err
}

// Write compresses p. It returns an error only if an earlier write to the
// wrapped writer failed (or the Writer is closed).
func (z *Writer) Write(p []byte) (int, error) {
	if z.err != nil {
		return 0, z.err
	}
	if z.closed {
		return 0, ErrClosed
	}
	var n int
	var err error
	if z.fr != nil {
		n, err = z.fr.Write(p)
	} else {
		n, err = z.enc.Write(p)
	}
	z.count(n)
	if err != nil {
		return n, z.fail(err)
	}
	return n, nil
}

// ReadFrom compresses what it reads from r until io.EOF, reading straight
// into the encoder's blocks. It returns the number of bytes read; an error
// reading r is returned as it is.
func (z *Writer) ReadFrom(r io.Reader) (int64, error) {
	if z.err != nil {
		return 0, z.err
	}
	if z.closed {
		return 0, ErrClosed
	}
	if z.fr != nil {
		n, err := z.fr.readFrom(r, z.count)
		if err != nil && z.fr.getErr() == nil {
			z.err = err // a failure of r
			return n, err
		}
		if err != nil {
			return n, z.fail(err)
		}
		return n, nil
	}
	rr := &readSide{r: r, z: z}
	n, err := z.enc.ReadFrom(rr)
	if err != nil {
		if rr.err != nil && err == rr.err {
			// A failure of r: the encoder keeps it, so must we.
			z.err = err
			return n, err
		}
		return n, z.fail(err)
	}
	return n, nil
}

// count adds n bytes of input, and collects garbage every gcEvery bytes.
func (z *Writer) count(n int) {
	z.n += int64(n)
	z.sinceGC += int64(n)
	if z.sinceGC >= gcEvery {
		z.sinceGC = 0
		runtime.GC()
	}
}

// readSide counts what ReadFrom reads, and remembers the reader's error.
type readSide struct {
	r   io.Reader
	z   *Writer
	err error
}

func (s *readSide) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	s.z.count(n)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// Close compresses what is left, ends the frame (with its checksum) and
// waits until everything was written. It does not close the wrapped
// writer. Calling Close again returns the first Close's result.
func (z *Writer) Close() error {
	if z.closed {
		return z.err
	}
	z.closed = true
	if z.fr != nil {
		if z.err != nil {
			z.gate.close(z.err)
			z.fr.stop()
			return z.err
		}
		if err := z.fr.Close(); err != nil {
			return z.fail(err)
		}
		return nil
	}
	if z.err != nil {
		z.enc.Close() // let its goroutines end
		return z.err
	}
	if err := z.enc.Close(); err != nil {
		return z.fail(err)
	}
	return nil
}

// CloseWithError stops the Writer without finishing the frame, because of
// err elsewhere (nil: ErrAborted): nothing more is written to the wrapped
// writer, and the goroutines have ended when it returns. Later calls
// return err. It returns nil.
func (z *Writer) CloseWithError(err error) error {
	if err == nil {
		err = ErrAborted
	}
	if z.err == nil {
		z.err = err
	}
	if z.closed {
		return nil
	}
	z.closed = true
	z.gate.close(err)
	if z.fr != nil {
		z.fr.stop()
		return nil
	}
	z.enc.Close()
	return nil
}

// Written is the number of bytes of input compressed so far.
func (z *Writer) Written() int64 { return z.n }
