// Package cli is the command-line side shared by every fpipe tool: a tool's
// definition (flags, help, how its stage is built from its words), written
// once and used both by the tool's own binary and by the in-process runner;
// size flags; one-line errors; exit codes; signals.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fpipe/fpipe/cmd/internal/relay"
	"github.com/fpipe/fpipe/stages"
	"github.com/spf13/pflag"
)

// Exit statuses.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2
)

// Tool is a tool's command-line definition.
type Tool struct {
	Name    string // the binary's name: "fread"
	Usage   string // what follows the flags in the synopsis: "[FILE...]"
	Summary string // one line for --help
	Details string // printed after the flags in --help; may be empty
	// Define registers the tool's flags on fs and returns the function that,
	// once fs is parsed, builds the tool's stage from the operands.
	Define func(fs *pflag.FlagSet) Build
	// Args, when set, rewrites the tool's words before they are parsed
	// (fzst turns a lone -19 into --level=19, which pflag cannot define).
	Args func([]string) []string
}

// Build makes a tool's stage from its operands (the words left after the
// flags). It returns a UsageError for words that make no sense.
type Build func(args []string, env *Env) (*Stage, error)

// Env is what a stage may use of the process around it.
type Env struct {
	Ctx    context.Context
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Tool   string // the tool's name, for messages

	mu     sync.Mutex
	warned bool
	first  string // the first line Warn printed
}

// Warn reports a problem that does not stop the tool, as "tool: message",
// and makes it exit 1 at the end.
func (e *Env) Warn(err error) {
	line := e.Tool + ": " + Message(err)
	e.mu.Lock()
	e.warned = true
	if e.first == "" {
		e.first = line
	}
	e.mu.Unlock()
	fmt.Fprintln(e.Stderr, line)
}

// Warned reports whether Warn was called.
func (e *Env) Warned() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.warned
}

// Stage is what a tool's words build: one place in a chain. A tool fills
// the fields that apply; what it leaves nil is standard input (Source) or
// standard output (Sink) when the tool runs alone.
type Stage struct {
	Source io.Reader      // a source: the tool reads no standard input...
	Stdin  bool           // ...unless it says so here (fread -)
	Filter *stages.Filter // a filter between its input and its output
	Sink   stages.Sink    // a sink: the tool writes no standard output
	// Job is a tool run that is not a stream stage (fsum FILE...); when set,
	// the other fields are ignored.
	Job func(ctx context.Context) error
	// Close releases what the stage holds (open files) after the run.
	Close func() error
	// Undo lists what a signal must take back before the process exits:
	// a sink's temporary file, a sum file not yet committed. Tools with
	// something here catch SIGINT, SIGTERM and SIGHUP (those not ignored
	// at start) and exit 128+signal after undoing.
	Undo []func() error
	// Handles lists signals the stage handles itself (frate --rate-file
	// reloads on SIGHUP); Main does not catch them.
	Handles []os.Signal
}

// UsageError is a mistake in the command line: exit status 2.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError.
func Usagef(format string, a ...any) error {
	return &UsageError{fmt.Errorf(format, a...)}
}

// ErrReported is returned by a stage whose problems were already printed
// (through Env.Warn): the tool exits 1 without another line.
var ErrReported = errors.New("errors were reported")

// Message is the text printed for err after "tool: ". A path error names
// the path once, without the operation; an error writing standard output
// reads "write error: why", as cat and coreutils say it.
func Message(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) && pe == err {
		switch pe.Path {
		case "/dev/stdout":
			return "write error: " + pe.Err.Error()
		case "/dev/stdin":
			return "read error: " + pe.Err.Error()
		}
		if strings.HasPrefix(pe.Path, "|") { // a pipe between two stages (os.Pipe names them |0 and |1)
			if pe.Op == "read" {
				return "reading from the stage before: " + pe.Err.Error()
			}
			return "writing to the stage after: " + pe.Err.Error()
		}
		return pe.Path + ": " + pe.Err.Error()
	}
	if se, ok := err.(*stages.Error); ok {
		return se.Stage + ": " + Message(se.Err)
	}
	return err.Error()
}

// NewFlagSet returns the flag set a tool defines its flags on: GNU-style,
// errors returned rather than exiting, and messages to stderr.
func NewFlagSet(name string, stderr io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.SortFlags = false
	fs.Usage = func() {}
	return fs
}

// Parse defines t's flags on a new flag set, parses args and returns the
// builder and the operands. help and version report the two flags that end
// a run early.
func (t *Tool) Parse(args []string, stderr io.Writer) (b Build, fs *pflag.FlagSet, help, version bool, err error) {
	fs = NewFlagSet(t.Name, stderr)
	b = t.Define(fs)
	fs.BoolVarP(&help, "help", "h", false, "show this help and exit")
	fs.BoolVar(&version, "version", false, "print the version and exit")
	if t.Args != nil {
		args = t.Args(args)
	}
	if err = fs.Parse(args); err != nil {
		return nil, fs, false, false, &UsageError{err}
	}
	return b, fs, help, version, nil
}

// Help writes t's --help text, generated from its flag set.
func (t *Tool) Help(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintf(w, "Usage: %s [flags] %s\n%s\n\nFlags:\n%s", t.Name, t.Usage, t.Summary, fs.FlagUsages())
	sizes := false
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Value.Type() == "SIZE" {
			sizes = true
		}
	})
	if sizes {
		fmt.Fprintf(w, "\n%s\n", SizeHelp)
	}
	if t.Details != "" {
		fmt.Fprintf(w, "\n%s\n", strings.TrimSpace(t.Details))
	}
}

// Version is the module version from the build information.
func Version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}

// Main runs t as a program: parse args, build the stage, run it from stdin
// to stdout, print errors as "tool: what: why", and return the exit status.
//
// In a shell pipe of fpipe's tools, Main relays failures (package relay):
// when the tool fails and its stdout is a pipe, it leaves a note for the
// tool after it; when its stdin is a pipe and a note from the tool before it
// is there at the end of input, it fails too, before committing anything.
// A tool whose stdout is a pipe, or that has something to undo, catches
// SIGINT, SIGTERM and SIGHUP (unless ignored at start) to do so.
func Main(t *Tool, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	inFile, _ := stdin.(*os.File)
	outFile, _ := stdout.(*os.File)
	code, why := run(t, args, stdin, stdout, stderr, inFile, outFile)
	if code != ExitOK && outFile != nil {
		if err := relay.Leave(outFile, why); err != nil {
			fmt.Fprintf(stderr, "%s: cannot tell the next stage about this failure: %s\n", t.Name, Message(err))
		}
	}
	return code
}

// run is Main without the relay's note; it returns the exit status and,
// on failure, the line that says why.
func run(t *Tool, args []string, stdin io.Reader, stdout, stderr io.Writer, inFile, outFile *os.File) (int, string) {
	build, fs, help, version, err := t.Parse(args, stderr)
	if err != nil {
		return usage(t, stderr, err), t.Name + ": " + err.Error()
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
	st, err := build(fs.Args(), env)
	if err != nil {
		var ue *UsageError
		if errors.As(err, &ue) {
			return usage(t, stderr, err), t.Name + ": " + err.Error()
		}
		return fail(t, stderr, err)
	}
	caught := func() bool { return false }
	if len(st.Undo) > 0 || (outFile != nil && isPipe(outFile)) {
		var stop func()
		stop, caught = catchSignals(t.Name, stderr, cancel, st.Undo, outFile, st.Handles)
		defer stop()
	}
	readsStdin := st.Job == nil && (st.Source == nil || st.Stdin) && inFile != nil && isPipe(inFile)
	err = runStage(ctx, st, stdin, stdout, readsStdin, caught)
	if st.Close != nil {
		if cerr := st.Close(); err == nil {
			err = cerr
		}
	}
	if caught() {
		select {} // the signal handler is undoing and will exit 128+signal
	}
	if err != nil && readsStdin {
		relay.Take(inFile) // a note from the stage before is moot now
	}
	switch {
	case err != nil && !reported(err):
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
		return ExitFailure, ue.Why // pass the first cause on, not a chain of them
	}
	line := t.Name + ": " + Message(err)
	fmt.Fprintln(stderr, line)
	return ExitFailure, line
}

// UpstreamError is the failure of a tool whose stage before it, in a shell
// pipe, failed and said so (package relay).
type UpstreamError struct{ Why string }

func (e *UpstreamError) Error() string { return "the stage before failed: " + e.Why }

func isPipe(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&fs.ModeNamedPipe != 0
}

func runStage(ctx context.Context, st *Stage, stdin io.Reader, stdout io.Writer, readsStdin bool, caught func() bool) error {
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
	if readsStdin || len(st.Undo) > 0 {
		var in *os.File
		if readsStdin {
			in = stdin.(*os.File)
		}
		c.Sink = &checkedSink{Sink: c.Sink, in: in, caught: caught, settle: len(st.Undo) > 0}
	}
	if st.Filter != nil {
		c.Filters = []stages.Filter{*st.Filter}
	}
	_, err := stages.Run(ctx, c)
	return err
}

// checkedSink checks, before the sink commits, whether the stage before
// (writing into in) left a failure note, and whether a signal came with
// the end of input; either way the commit fails. It keeps the sink's
// ReaderFrom, Err and Unwrap.
type checkedSink struct {
	stages.Sink
	in     *os.File    // nil: no relay check
	caught func() bool // a signal was caught
	settle bool        // give a signal sent with the end of input time to land
}

// settleTime is how long a committing tool waits, at the end of input, for
// a signal that was sent at the same moment (a Ctrl-C or kill of the whole
// pipeline ends the input and signals the sink together) to be handled.
const settleTime = 5 * time.Millisecond

func (c *checkedSink) Commit() error {
	if c.in != nil {
		if why, ok := relay.Take(c.in); ok {
			return &UpstreamError{Why: why}
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
	return c.Sink.Commit()
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

// firstWarning is the first problem Warn reported, or err's message.
func (e *Env) firstWarning(err error) string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.first != "" {
		return e.first
	}
	if err != nil {
		return e.Tool + ": " + Message(err)
	}
	return e.Tool + ": failed"
}

func usage(t *Tool, stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "%s: %s\nTry '%s --help' for more information.\n", t.Name, err, t.Name)
	return ExitUsage
}

// Signals are the signals a committing tool catches: SIGTERM always, SIGINT
// and SIGHUP unless they were ignored when the process started (nohup, & in
// a non-interactive shell).
func Signals() []os.Signal {
	sigs := []os.Signal{syscall.SIGTERM}
	for _, s := range []os.Signal{syscall.SIGINT, syscall.SIGHUP} {
		if !signal.Ignored(s) {
			sigs = append(sigs, s)
		}
	}
	return sigs
}

// catchSignals undoes, leaves a relay note on out (if a pipe), and exits
// 128+signal on the first caught signal. The undo functions must be safe
// to call while the stage is running.
func catchSignals(tool string, stderr io.Writer, cancel func(), undo []func() error, out *os.File, handled []os.Signal) (stop func(), caught func() bool) {
	ch := make(chan os.Signal, 1)
	var sigs []os.Signal
	for _, s := range Signals() {
		if !slices.Contains(handled, s) {
			sigs = append(sigs, s)
		}
	}
	signal.Notify(ch, sigs...)
	done := make(chan struct{})
	var got atomic.Bool
	go func() {
		select {
		case s := <-ch:
			got.Store(true)
			cancel()
			for _, u := range undo {
				if err := u(); err != nil {
					fmt.Fprintf(stderr, "%s: %s\n", tool, Message(err))
				}
			}
			sig := s.(syscall.Signal)
			line := fmt.Sprintf("%s: %s: stopped", tool, SignalName(sig))
			if len(undo) > 0 {
				line += ", nothing committed"
			}
			fmt.Fprintln(stderr, line)
			if out != nil {
				relay.Leave(out, line)
			}
			os.Exit(128 + int(sig))
		case <-done:
		}
	}()
	return func() { signal.Stop(ch); close(done) }, got.Load
}

// SignalName is "SIGTERM" for syscall.SIGTERM.
func SignalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	}
	return s.String()
}

// reported tells whether err says its problems were printed already:
// ErrReported, or an error with a Reported method that returns true.
func reported(err error) bool {
	if errors.Is(err, ErrReported) {
		return true
	}
	var r interface{ Reported() bool }
	return errors.As(err, &r) && r.Reported()
}
