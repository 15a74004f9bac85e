package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"syscall"

	"github.com/fpipe/fpipe/cmd/internal/relay"
	"github.com/fpipe/fpipe/stages"
)

// ExitError ends a tool with Code, its problems already printed: a stage
// that is a whole program (fpipe) returns it. Why is the line the relay
// passes on to the tool after it.
type ExitError struct {
	Code int
	Why  string
}

func (e *ExitError) Error() string  { return e.Why }
func (e *ExitError) Reported() bool { return true }

// Main runs t as a program: parse args, build the stage, run it from stdin
// to stdout, print errors as "tool: what: why", and return the exit status.
//
// In a shell pipe, Main relays the tool's fate (package relay). When
// standard output is a pipe, it marks it "running" before anything else and
// "clean" only after a clean end; on failure it leaves a note saying why.
// When standard input is a pipe read to its end, the tool fails before
// committing anything if the mark says that the writer of ours before it
// did not end cleanly. A tool that publishes an output of its own (fsum -o)
// into a pipe waits for the stages after it to confirm that they committed,
// and a tool whose writer waits for that confirms once it (and the stages
// after it) did.
//
// Every tool catches the fatal signals (Signals) other than those its stage
// handles: it cancels the run, undoes what it prepared, and exits
// 128+signal.
func Main(t *Tool, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	m := &mainRun{t: t, stderr: stderr}
	m.in, _ = stdin.(*os.File)
	m.outFile, _ = stdout.(*os.File)
	var err error
	// A pipe whose reader is gone cannot be marked; writing to it fails
	// anyway (SIGPIPE), as it does for cat.
	if m.out, err = relay.Begin(m.outFile); err != nil && !errors.Is(err, relay.ErrNoReader) {
		fmt.Fprintf(stderr, "%s: warning: %s: if it fails, a tool after it cannot know\n", t.Name, Message(err))
	}
	code, why := m.run(args, stdin, stdout)
	code = m.finish(code, why)
	if m.brokenPipe {
		dieOfSIGPIPE()
	}
	return code
}

// mainRun is one run of Main.
type mainRun struct {
	t       *Tool
	stderr  io.Writer
	in      *os.File    // standard input, when a file
	outFile *os.File    // standard output, when a file
	out     *relay.Out  // standard output, when a pipe
	reads   bool        // the stage reads standard input
	commits bool        // the stage commits an output (fsink, fsum -o, fpipe)
	sink    bool        // the stage is a sink: it writes no standard output
	handed  bool        // the stage handed its output off (fsum -o)
	verdict error       // and what the stages after said: nil is committed
	mark    relay.State // the mark that said it
	once    sync.Once   // finish
	code    int         // the exit status finish settled on
	mu      sync.Mutex  // guards handed, verdict and mark

	brokenPipe bool // the stage failed on a broken standard output or error
}

// finish relays the outcome and returns the exit status. It runs once,
// from the main path or from a signal handler whose main path is stuck.
func (m *mainRun) finish(code int, why string) int {
	m.once.Do(func() {
		if code == ExitOK {
			code = m.succeeded()
		}
		if code != ExitOK {
			m.failed(why)
		}
		m.code = code
	})
	return m.code
}

// succeeded marks the output clean, or, when the writer before waits for
// the verdict of the stages after it, passes that verdict on.
func (m *mainRun) succeeded() int {
	m.mu.Lock()
	handed, verdict, mark := m.handed, m.verdict, m.mark
	m.mu.Unlock()
	if st, atEnd := relay.Check(m.in); m.reads && atEnd && st == relay.Waiting {
		if m.sink {
			// A sink writes nothing into its standard output: it
			// committed, whatever reads that pipe (2>&1 | fsink log
			// gives it the messages of the stages before, which are no
			// verdict on it).
			relay.Confirm(m.in)
		} else {
			if !handed {
				mark, verdict = m.out.Await(context.Background(), true)
			}
			switch {
			case verdict != nil:
				relay.Refuse(m.in)
			case m.commits || mark == relay.Committed:
				relay.Confirm(m.in)
			default: // nothing after the writer before commits
				relay.ConfirmDone(m.in)
			}
			return ExitOK
		}
	}
	if handed {
		return ExitOK
	}
	if err := m.out.Clean(); err != nil {
		line := m.t.Name + ": " + Message(err) + ": the tool after it will fail"
		fmt.Fprintln(m.stderr, line)
		return ExitFailure
	}
	return ExitOK
}

// failed tells a writer before that waits for the verdict that this tool
// did not commit, keeps the output marked "running", and leaves a note
// saying why.
func (m *mainRun) failed(why string) {
	relay.Refuse(m.in) // a writer before that waits for the verdict
	if m.out == nil {
		return
	}
	if m.sink {
		// A sink writes no data into its standard output: what flows
		// there are messages (2>&1 | fsink -a log), which its failure
		// must not keep from being written.
		m.out.Clean()
		return
	}
	m.out.Fail()
	if err := relay.Leave(m.outFile, why); err != nil && relay.Get(m.outFile) != relay.Running {
		fmt.Fprintf(m.stderr, "%s: cannot tell the next stage about this failure: %s\n", m.t.Name, Message(err))
	}
}

// run is Main without the relay at the end; it returns the exit status
// and, on failure, the line that says why.
func (m *mainRun) run(args []string, stdin io.Reader, stdout io.Writer) (int, string) {
	t, stderr := m.t, m.stderr
	build, fs, help, version, err := t.Parse(args, stderr)
	if err != nil {
		return usage(t, stderr, err), t.Name + ": " + Message(err)
	}
	if help {
		t.Help(stdout, fs)
		return ExitOK, ""
	}
	if version {
		fmt.Fprintf(stdout, "%s (fpipe) %s\n", t.Name, Version())
		return ExitOK, ""
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := &Env{Ctx: ctx, Stdin: stdin, Stdout: stdout, Stderr: stderr, Tool: t.Name}
	// Catch signals before the stage is built: building may create what a
	// signal must undo (a temporary file).
	sig := catchSignals(t.Name, stderr, cancel, func(code int, why string) {
		os.Exit(m.finish(code, why))
	})
	defer sig.stop()
	st, err := build(fs.Args(), env)
	if err != nil {
		sig.setStage(nil, nil, nil, m.out == nil)
		if code, line := sig.result(); code != 0 {
			return code, line
		}
		var ue *UsageError
		if errors.As(err, &ue) {
			return usage(t, stderr, err), t.Name + ": " + Message(err)
		}
		return fail(t, stderr, err)
	}
	readsStdin := st.Job == nil && (st.Source == nil || st.Stdin) && relay.IsPipe(m.in)
	m.reads = readsStdin || st.Job != nil // a job (fpipe) may read it
	m.commits = st.Sink != nil || len(st.Undo) > 0 || st.Job != nil
	m.sink = st.Sink != nil && st.Job == nil
	sig.setStage(st.Undo, st.Handles, st.Signal, len(st.Undo) == 0 && m.out == nil)
	var pipe *pipeCatcher
	if len(st.Undo) > 0 || st.Job != nil {
		pipe = catchPipe() // undo before a broken pipe ends the process
	}
	err = m.runStage(ctx, st, stdin, stdout, readsStdin, sig.caught)
	if st.Close != nil {
		if cerr := st.Close(); err == nil {
			err = cerr
		}
	}
	sig.stop()
	pipe.stop()
	if code, line := sig.result(); code != 0 {
		return code, line
	}
	if errFile, _ := stderr.(*os.File); err != nil && pipe.caught(m.outFile, errFile) {
		m.brokenPipe = true // and ends as Go would have ended it, quietly
		return 128 + int(syscall.SIGPIPE), t.Name + ": SIGPIPE: stopped, nothing committed"
	}
	if err != nil && readsStdin {
		if st, atEnd := relay.Check(m.in); atEnd && st == relay.Running {
			relay.Take(m.in) // a note from the stage before is moot now
		}
	}
	var ee *ExitError
	switch {
	case errors.As(err, &ee):
		if ue := upstreamOf(m.in); ue != nil && ue.Why != "" && ee.Code == ExitFailure {
			return ee.Code, ue.Why // the first cause, not the program's last line
		}
		return ee.Code, ee.Why
	case err != nil && !reported(err):
		// A stage that writes standard output into a pipe, and failed only
		// because the stage before it did, passes the cause on in its note
		// without a line of its own: the cause was printed where it
		// happened, and the stage that does not commit says so.
		if passesOn := st.Sink == nil && m.out != nil; passesOn {
			if why, ok := upstreamWhy(t, err); ok {
				return ExitFailure, why
			}
		}
		return fail(t, stderr, err)
	case err != nil || env.Warned():
		return ExitFailure, env.firstWarning(err)
	}
	return ExitOK, ""
}

func fail(t *Tool, stderr io.Writer, err error) (int, string) {
	var ue *UpstreamError
	if errors.As(err, &ue) {
		fmt.Fprintf(stderr, "%s: %s\n", t.Name, Message(err))
		if ue.Why != "" {
			return ExitFailure, ue.Why // pass the first cause on, not a chain of them
		}
	}
	line := t.Name + ": " + Message(err)
	if ue == nil {
		fmt.Fprintln(stderr, line)
	}
	return ExitFailure, line
}

// upstreamWhy is the note a tool that failed only because of the stage
// before it passes on: that stage's cause, or the tool's own line when the
// stage before left none (it was killed).
func upstreamWhy(t *Tool, err error) (string, bool) {
	var ue *UpstreamError
	if !errors.As(err, &ue) {
		return "", false
	}
	if ue.Why != "" {
		return ue.Why, true
	}
	return t.Name + ": " + Message(err), true
}

func usage(t *Tool, stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "%s: %s\nTry '%s --help' for more information.\n", t.Name, Message(err), t.Name)
	return ExitUsage
}

func (m *mainRun) runStage(ctx context.Context, st *Stage, stdin io.Reader, stdout io.Writer, readsStdin bool, caught func() bool) error {
	if st.Job != nil {
		return st.Job(ctx)
	}
	c := stages.Chain{Source: st.Source, Sink: st.Sink}
	if c.Source == nil {
		c.Source = stdin
	}
	if c.Sink == nil {
		c.Sink = stages.StdoutSink(stdout)
	}
	// A filter with an output of its own (fsum -o) writing into a pipe
	// waits for the verdict of the stages after it before that output
	// commits.
	verdict := len(st.Undo) > 0 && st.Sink == nil && m.out != nil
	if readsStdin || len(st.Undo) > 0 {
		var in *os.File
		if readsStdin {
			in = m.in
		}
		var handoff func() error
		if verdict {
			handoff = func() error {
				err := m.out.Handoff(ctx)
				m.mu.Lock()
				m.handed, m.verdict = true, err
				m.mu.Unlock()
				if err != nil {
					return &VerdictError{err}
				}
				return nil
			}
		}
		c.Sink = checkedSink(c.Sink, in, caught, len(st.Undo) > 0, handoff)
	}
	var deliver func(stages.Outcome)
	if st.Filter != nil {
		f := *st.Filter
		if st.Verdict && m.out != nil {
			f, deliver = stages.HoldOutcome(f)
		}
		c.Filters = []stages.Filter{f}
	}
	_, err := stages.Run(ctx, c)
	if deliver != nil {
		deliver(m.awaitVerdict(ctx, err))
	}
	return err
}

// ErrNotCommitted is the outcome a stage that reports the verdict (fpv) is
// told when the tool of ours after it, in a shell pipe, did not commit.
var ErrNotCommitted = errors.New("not committed by the next stage")

// ErrVerdictUnknown is the outcome a stage that reports the verdict (fpv)
// is told when a signal stopped it while it waited for the verdict.
var ErrVerdictUnknown = errors.New("stopped before the next stage said whether it committed")

// awaitVerdict is the outcome of a stage that reports the verdict of the
// tools after it (Stage.Verdict), its output a pipe: its own failure, or,
// after a clean end, what the tools of ours after it said. A writer before
// that waits for the verdict (fsum -o) gets it passed on (succeeded);
// otherwise the wait ends at once when no tool of ours reads the pipe, and
// anything but a verdict of ours leaves the outcome as it was without the
// wait ("done").
func (m *mainRun) awaitVerdict(ctx context.Context, err error) stages.Outcome {
	if err != nil {
		return stages.Outcome{Err: err}
	}
	st, atEnd := relay.Check(m.in)
	chained := m.reads && atEnd && st == relay.Waiting
	mark, verr := m.out.Await(ctx, chained)
	m.mu.Lock()
	if chained || m.out.Released() {
		m.handed, m.verdict, m.mark = true, verr, mark
	}
	m.mu.Unlock()
	switch {
	case mark == relay.Committed:
		return stages.Outcome{Committed: true}
	case mark == relay.Refused:
		return stages.Outcome{Err: ErrNotCommitted}
	case ctx.Err() != nil:
		// Its own stream was complete; a signal came while the tools
		// after it were finishing, which they may have done.
		return stages.Outcome{Err: ErrVerdictUnknown}
	case errors.Is(verr, relay.ErrNoVerdict), chained && verr != nil:
		return stages.Outcome{Err: verr}
	}
	return stages.Outcome{}
}
