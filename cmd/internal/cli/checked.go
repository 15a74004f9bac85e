package cli

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"

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
	ue := &UpstreamError{Why: why}
	upstream.LoadOrStore(in, ue)
	return ue
}

// upstream maps a pipe to the failure the stage before left on it, once a
// reader found one: a tool that is a whole program (fpipe) passes that
// cause on, not its own last line.
var upstream sync.Map // *os.File -> *UpstreamError

// upstreamOf returns and forgets the failure found on in, if any.
func upstreamOf(in *os.File) *UpstreamError {
	if in == nil {
		return nil
	}
	v, ok := upstream.LoadAndDelete(in)
	if !ok {
		return nil
	}
	return v.(*UpstreamError)
}

// checkedSink wraps sink (keeping its optional interfaces) so that,
// before it commits, the stage before (writing into in, when not nil) must
// have ended cleanly, and (with settle) no signal may have come with the
// end of input (caught reports one); with handoff, after the sink's own
// commit, the stages after this tool must say that they committed (fsum
// -o, whose sum file commits after the sink).
func checkedSink(sink stages.Sink, in *os.File, caught func() bool, settle bool, handoff func() error) stages.Sink {
	return stages.WrapSink(sink, stages.SinkHooks{Commit: func(s stages.Sink) error {
		if in != nil {
			if err := checkInput(in); err != nil {
				return err
			}
		}
		if settle {
			// A Ctrl-C or kill of the whole pipeline ends the input and
			// signals the tool together: give the signal time to land.
			if stages.Settle(caught) {
				return errors.New("stopped by a signal")
			}
		}
		if err := s.Commit(); err != nil {
			return err
		}
		if handoff != nil {
			return handoff()
		}
		return nil
	}})
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
