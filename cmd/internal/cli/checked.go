package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/fpipe/fpipe/cmd/internal/relay"
	"github.com/fpipe/fpipe/stages"
)

// UpstreamError is the failure of a tool whose stage before it, in a shell
// pipe, did not end cleanly (package relay). Why is that stage's own line,
// when it left one.
type UpstreamError struct{ Why string }

func (e *UpstreamError) Error() string {
	if e.Why == "" {
		return "the stage before ended without saying it succeeded (it was killed, or could not say why it failed)"
	}
	return "the stage before failed: " + e.Why
}

// VerdictError is the failure of a tool that publishes an output of its
// own (fsum -o) when the stages after it, in a shell pipe, did not confirm
// that they committed: the output is not committed.
type VerdictError struct{ Err error }

func (e *VerdictError) Error() string {
	return "not committed: " + e.Err.Error()
}

func (e *VerdictError) Unwrap() error { return e.Err }

// checkInput fails when in, a pipe read to its end, carries the mark of a
// writer of ours that did not end cleanly. A tool that stopped reading
// before the end (fread --length) has no verdict to check.
func checkInput(in *os.File) error {
	st, atEnd := relay.Check(in)
	if !atEnd || st != relay.Running {
		return nil
	}
	why, _ := relay.Take(in)
	return &UpstreamError{Why: why}
}

// checkedSink checks, before the sink commits, that the stage before
// (writing into in) ended cleanly and that no signal came with the end of
// input; when the tool publishes an output of its own (fsum -o) and its
// standard output is a pipe, it then waits for the stages after it to say
// they committed. It keeps the sink's ReaderFrom, Err and Unwrap.
type checkedSink struct {
	stages.Sink
	in      *os.File     // nil: no relay check
	caught  func() bool  // a signal was caught
	settle  bool         // give a signal sent with the end of input time to land
	handoff func() error // nil: no verdict to wait for
}

// settleTime is how long a committing tool waits, at the end of input, for
// a signal that was sent at the same moment (a Ctrl-C or kill of the whole
// pipeline ends the input and signals the sink together) to be handled.
const settleTime = 5 * time.Millisecond

func (c *checkedSink) Commit() error {
	if c.in != nil {
		if err := checkInput(c.in); err != nil {
			return err
		}
	}
	if c.settle {
		deadline := time.Now().Add(settleTime)
		for !c.caught() && time.Now().Before(deadline) {
			time.Sleep(500 * time.Microsecond)
		}
		if c.caught() {
			return errors.New("stopped by a signal")
		}
	}
	if err := c.Sink.Commit(); err != nil {
		return err
	}
	if c.handoff != nil {
		return c.handoff()
	}
	return nil
}

// ReadFrom uses the sink's own ReadFrom when it has one.
func (c *checkedSink) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Sink.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Sink}, r)
}

// Err is the sink's sticky write error, if it keeps one.
func (c *checkedSink) Err() error {
	if e, ok := c.Sink.(interface{ Err() error }); ok {
		return e.Err()
	}
	return nil
}

// Unwrap is the writer behind the sink, when the sink passes bytes on
// unchanged (stages.StdoutSink).
func (c *checkedSink) Unwrap() io.Writer {
	if u, ok := c.Sink.(interface{ Unwrap() io.Writer }); ok {
		return u.Unwrap()
	}
	return struct{ io.Writer }{c.Sink}
}

// CheckedStdin returns r itself unless r is a pipe; then it returns a
// reader of r that, at the end of it, fails with an *UpstreamError instead
// of io.EOF when the stage before it did not end cleanly (package relay).
// It is for a tool that hands its standard input on to other code (fpipe's
// first stage, in-process or a child). It keeps the file's fast paths
// (WriteTo into a ReaderFrom moves the data in chunks that ctx is checked
// between), and Close closes the file.
func CheckedStdin(ctx context.Context, r io.Reader) io.Reader {
	f, ok := r.(*os.File)
	if !ok || !relay.IsPipe(f) {
		return r
	}
	return &checkedInput{ctx: ctx, f: f}
}

type checkedInput struct {
	ctx context.Context
	f   *os.File
}

func (c *checkedInput) Read(p []byte) (int, error) {
	n, err := c.f.Read(p)
	if err == io.EOF {
		if cerr := checkInput(c.f); cerr != nil {
			return n, cerr
		}
	}
	return n, err
}

// WriteTo copies the rest of the input to w, through w's ReadFrom when it
// has one, and checks the relay at the end.
func (c *checkedInput) WriteTo(w io.Writer) (int64, error) {
	rf, ok := w.(io.ReaderFrom)
	if !ok {
		return io.Copy(w, struct{ io.Reader }{c})
	}
	var total int64
	lr := &io.LimitedReader{R: c.f}
	for {
		lr.N = 8 << 20
		n, err := rf.ReadFrom(lr)
		total += n
		if err != nil {
			return total, err
		}
		if err := c.ctx.Err(); err != nil {
			return total, err
		}
		if lr.N > 0 { // the input ended
			return total, checkInput(c.f)
		}
	}
}

func (c *checkedInput) Close() error { return c.f.Close() }
