// Package cli is the command-line side shared by every fpipe tool: a tool's
// definition (flags, help, how its stage is built from its words), written
// once and used both by the tool's own binary and by the in-process runner;
// size flags; one-line errors; exit codes; signals; the shell-pipe relay.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"

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
	// a sink's temporary file, a sum file not yet committed. Every tool
	// catches the fatal signals (Signals) and exits 128+signal after
	// undoing.
	Undo []func() error
	// Handles lists signals the stage handles itself (frate --rate-file
	// reloads on SIGHUP); once the stage is built, Main leaves them to it.
	Handles []os.Signal
	// Verdict says that the stage reports how the stages after it ended:
	// its Filter builds a stages.OutcomeWatcher (fpv's last line). In a
	// shell pipe, after a clean end, Main then asks the tools of ours
	// after it for their verdict (relay.Out.Await) and tells the stage
	// that outcome; the exit status stays the stage's own.
	Verdict bool
	// Signal, when set, is how Main hands the stage a signal of Handles
	// that it caught once the stage was built (fpipe stops its pipeline).
	// Main caught every signal since before the stage was built, so a
	// stage that relies on Signal loses none sent in between, as it would
	// with a signal.Notify of its own. It must not block.
	Signal func(os.Signal)
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

// reported tells whether err says its problems were printed already:
// ErrReported, or an error with a Reported method that returns true.
func reported(err error) bool {
	if errors.Is(err, ErrReported) {
		return true
	}
	var r interface{ Reported() bool }
	return errors.As(err, &r) && r.Reported()
}
