package sum

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"slices"
	"sync"

	"github.com/fpipe/fpipe/internal/iox"
	"github.com/fpipe/fpipe/internal/option"
	"github.com/fpipe/fpipe/stages"
)

// Option configures a Writer or a Reader.
type Option func(*config) error

type config struct {
	algos   []Algorithm
	name    string
	format  Format
	expect  []Sum
	out     stages.Sink
	bufSize int
}

// Algorithms sets the algorithms whose lines are written, one line each, in
// the order given. Default: SHA256 alone.
func Algorithms(a ...Algorithm) Option {
	return func(c *config) error {
		if len(a) == 0 {
			return &option.Error{Msg: "no algorithm", Why: "no algorithm"}
		}
		for _, x := range a {
			if !x.Valid() {
				return &option.Error{Msg: fmt.Sprintf("invalid algorithm %v", x), Why: "invalid algorithm"}
			}
		}
		c.algos = slices.Compact(slices.Clone(a))
		return nil
	}
}

// Name sets the file name recorded in the lines and in a mismatch error.
// Default "-", as sha256sum writes for standard input.
func Name(name string) Option {
	return func(c *config) error { c.name = name; return nil }
}

// WithFormat sets how lines are written. Default: the zero Format.
func WithFormat(f Format) Option {
	return func(c *config) error { c.format = f; return nil }
}

// Expect makes the stream's end fail with a *MismatchError unless its
// digests equal these. Their algorithms are computed whether or not they
// are among those whose lines are written. Default: nothing expected.
func Expect(sums ...Sum) Option {
	return func(c *config) error {
		for _, s := range sums {
			if !s.Algorithm.Valid() || len(s.Digest) != s.Algorithm.Size() {
				return &option.Error{
					Msg: fmt.Sprintf("expected %v digest has %d bytes", s.Algorithm, len(s.Digest)),
					Why: fmt.Sprintf("%v digest of %d bytes", s.Algorithm, len(s.Digest)),
				}
			}
		}
		c.expect = append(c.expect, sums...)
		return nil
	}
}

// Output sets where Commit writes the lines: Commit writes them into s and
// then commits s; Abort aborts s. The stage owns s from then on. Default:
// none (read the digests with Sums).
func Output(s stages.Sink) Option {
	return func(c *config) error { c.out = s; return nil }
}

// BufferSize sets the buffer that Writer.ReadFrom reads into, the one copy
// a pass-through copy needs. Default 1 MiB (the size fpipe gives its pipes:
// one read empties a full pipe); at least 4 KiB.
func BufferSize(n int) Option {
	return func(c *config) error {
		if n < 4<<10 {
			return &option.Error{Msg: fmt.Sprintf("buffer size %d is below 4KiB", n), Why: "below 4KiB"}
		}
		c.bufSize = n
		return nil
	}
}

// Sum is one digest of a stream.
type Sum struct {
	Algorithm Algorithm
	Digest    []byte
}

func (s Sum) String() string { return s.Algorithm.String() + ":" + hex.EncodeToString(s.Digest) }

// MismatchError is the error of a stream whose digest is not the expected one.
type MismatchError struct {
	Name      string
	Algorithm Algorithm
	Want, Got []byte
}

func (e *MismatchError) Error() string {
	return fmt.Sprintf("%s: %v mismatch: want %x, got %x", e.Name, e.Algorithm, e.Want, e.Got)
}

// ErrNotFinished is Commit's error when the stream did not end cleanly.
var ErrNotFinished = errors.New("stream did not end cleanly; nothing committed")

// core is what Writer and Reader share: the hashes, the end of stream, the
// publication of the lines.
type core struct {
	cfg    config
	hashes []hash.Hash // one per algorithm in algos
	algos  []Algorithm // cfg.algos plus those only expected
	sums   []Sum

	mu      sync.Mutex
	state   int  // open, finished, failed, committed, aborted
	written bool // the lines are in the Output sink (twophase.go)
}

const (
	stOpen = iota
	stFinished
	stFailed
	stCommitted
	stAborted
)

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
	c := config{name: "-", bufSize: 1 << 20}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return config{}, err
		}
	}
	return c, nil
}

func newCore(opts []Option) (*core, error) {
	cfg, err := apply(opts)
	if err != nil {
		return nil, err
	}
	c := &core{cfg: cfg}
	if len(c.cfg.algos) == 0 {
		c.cfg.algos = []Algorithm{SHA256}
	}
	c.algos = slices.Clone(c.cfg.algos)
	for _, s := range c.cfg.expect {
		if !slices.Contains(c.algos, s.Algorithm) {
			c.algos = append(c.algos, s.Algorithm)
		}
	}
	for _, a := range c.algos {
		c.hashes = append(c.hashes, a.New())
	}
	return c, nil
}

func (c *core) update(p []byte) {
	for _, h := range c.hashes {
		h.Write(p)
	}
}

// finish computes the digests and checks the expected ones.
func (c *core) finish() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != stOpen {
		if c.state == stFailed {
			return c.mismatch()
		}
		return nil
	}
	for i, h := range c.hashes {
		c.sums = append(c.sums, Sum{c.algos[i], h.Sum(nil)})
	}
	if err := c.mismatch(); err != nil {
		c.state = stFailed
		return err
	}
	c.state = stFinished
	return nil
}

func (c *core) mismatch() error {
	for _, want := range c.cfg.expect {
		for _, got := range c.sums {
			if got.Algorithm == want.Algorithm && !bytes.Equal(got.Digest, want.Digest) {
				return &MismatchError{Name: c.cfg.name, Algorithm: want.Algorithm, Want: want.Digest, Got: got.Digest}
			}
		}
	}
	return nil
}

// stop marks the stream as failed without computing anything.
func (c *core) stop() {
	c.mu.Lock()
	if c.state == stOpen {
		c.state = stFailed
	}
	c.mu.Unlock()
}

// Sums returns the digests of the whole stream, in the order of
// Algorithms and then of Expect; nil before the stream ended.
func (c *core) Sums() []Sum {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stOpen {
		return nil
	}
	return c.sums
}

// AppendLines appends the sum lines of the finished stream, for the
// algorithms of the Algorithms option, to dst.
func (c *core) AppendLines(dst []byte) []byte {
	for _, s := range c.Sums() {
		if slices.Contains(c.cfg.algos, s.Algorithm) {
			dst = c.cfg.format.AppendLine(dst, s.Algorithm, s.Digest, c.cfg.name)
		}
	}
	return dst
}

// Commit publishes the lines through the Output sink, once, after the
// stream ended cleanly and as expected; otherwise it returns
// ErrNotFinished (or the mismatch) and aborts the Output sink.
func (c *core) Commit() error {
	c.mu.Lock()
	st := c.state
	c.mu.Unlock()
	switch st {
	case stCommitted:
		return nil
	case stAborted:
		return ErrNotFinished
	case stFinished:
	default:
		c.Abort()
		if err := c.mismatch(); err != nil {
			return err
		}
		return ErrNotFinished
	}
	var err error
	if c.cfg.out != nil {
		if err = c.writeLines(); err == nil {
			err = c.cfg.out.Commit()
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stAborted { // a signal came in between
		return ErrNotFinished
	}
	if err != nil {
		c.state = stAborted
		c.cfg.out.Abort()
		return err
	}
	c.state = stCommitted
	return nil
}

// Abort discards the lines: the Output sink is aborted. It may be called
// from any goroutine, more than once, and after Commit (then it does
// nothing).
func (c *core) Abort() error {
	c.mu.Lock()
	if c.state == stCommitted || c.state == stAborted {
		c.mu.Unlock()
		return nil
	}
	c.state = stAborted
	c.mu.Unlock()
	if c.cfg.out != nil {
		return c.cfg.out.Abort()
	}
	return nil
}

// Writer is the writer side of the stage: what is written to it goes to
// the writer it wraps, unchanged, and is hashed on the way. Close ends the
// stream (and checks Expect); Commit publishes the lines. A Writer is for
// one goroutine, except Abort, which any goroutine may call.
type Writer struct {
	*core
	dst io.Writer
	buf []byte
	err error
}

var (
	_ io.WriteCloser   = (*Writer)(nil)
	_ io.ReaderFrom    = (*Writer)(nil)
	_ stages.Committer = (*Writer)(nil)
	_ io.ReadCloser    = (*Reader)(nil)
	_ stages.Committer = (*Reader)(nil)
)

// NewWriter returns a Writer that passes everything to dst. It fails only
// on an invalid option.
func NewWriter(dst io.Writer, opts ...Option) (*Writer, error) {
	c, err := newCore(opts)
	if err != nil {
		return nil, err
	}
	return &Writer{core: c, dst: dst}, nil
}

// Write writes p to dst and hashes what dst took. Errors are sticky.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	n, err := w.dst.Write(p)
	w.update(p[:n])
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		w.err = err
	}
	return n, err
}

// ReadFrom reads r to its end into the Writer's buffer (BufferSize), which
// it hashes and writes to dst: the single copy that any pass-through of
// bytes it must see needs. io.Copy uses it.
func (w *Writer) ReadFrom(r io.Reader) (int64, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.buf == nil {
		w.buf = make([]byte, w.cfg.bufSize)
	}
	return iox.ReadFrom(w, r, w.buf)
}

// Close ends the stream: it computes the digests and returns a
// *MismatchError if they are not those of Expect. After a write error it
// returns that error and checks nothing. It does not close dst, and writes
// nothing: the lines are published by Commit.
func (w *Writer) Close() error {
	if w.err != nil {
		w.stop()
		return w.err
	}
	return w.finish()
}

// CloseWithError ends the stream as failed (because of err, elsewhere):
// nothing is checked, and Commit will refuse to publish.
func (w *Writer) CloseWithError(err error) error {
	w.stop()
	return nil
}

// Filter returns the stage as a stages.Filter named "sum", for a
// stages.Chain: each time the chain is built, a Writer with opts wraps the
// stage after it (Reader is set too, for a caller that wants the stage as
// a reader). An invalid option fails the chain's Run. Set the result's
// Name to name the stage otherwise in errors.
func Filter(opts ...Option) stages.Filter {
	return stages.Filter{
		Name:   "sum",
		Writer: func(dst io.Writer) (io.WriteCloser, error) { return NewWriter(dst, opts...) },
		Reader: func(src io.Reader) (io.ReadCloser, error) { return NewReader(src, opts...) },
	}
}

// Reader is the reader side of the stage: reading it reads the reader it
// wraps, and hashes what passes. At the end of the input, a digest that is
// not as expected is returned in place of io.EOF, as a *MismatchError.
// A Reader is for one goroutine, except Abort.
type Reader struct {
	*core
	src io.Reader
	err error
}

// NewReader returns a Reader of src. It fails only on an invalid option.
func NewReader(src io.Reader, opts ...Option) (*Reader, error) {
	c, err := newCore(opts)
	if err != nil {
		return nil, err
	}
	return &Reader{core: c, src: src}, nil
}

// Read reads from src into p and hashes what it got.
func (r *Reader) Read(p []byte) (int, error) {
	if r.err != nil {
		return 0, r.err
	}
	n, err := r.src.Read(p)
	r.update(p[:n])
	if err == io.EOF {
		if merr := r.finish(); merr != nil {
			err = merr
		}
	}
	if err != nil {
		if err != io.EOF {
			r.stop()
		}
		r.err = err
	}
	return n, err
}

// Close releases the Reader; it does not close src. A Reader closed before
// the end of its input will not commit.
func (r *Reader) Close() error {
	if r.err != io.EOF {
		r.stop()
	}
	return nil
}
