package runner

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/cmd/internal/tools"
	"github.com/spf13/pflag"
)

// Tool is fpipe's own command-line definition. It goes through the same
// front door as every tool (cli.Main), so fpipe relays its fate in a shell
// pipe like them: it fails when the writer of ours before it did not end
// cleanly, and marks its own output as the others do.
var Tool = &cli.Tool{
	Name:    "fpipe",
	Usage:   "'PIPELINE' | -f FILE",
	Summary: "Run a pipeline of commands joined by |, all or nothing.",
	Details: `PIPELINE is written as in sh, in one argument: simple commands joined by |,
with sh's quotes and escapes. fpipe's tools run inside fpipe; other commands
run as child processes. The last stage's output (fsink) and every other
committed output (fsum -o) are committed only when every stage ended cleanly
and every child exited 0; otherwise nothing is committed and fpipe exits 1
with the first cause. Tools run inside fpipe: ` + toolNames(),
	Define: define,
}

// Main runs fpipe with args and returns its exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return cli.Main(Tool, args, stdin, stdout, stderr)
}

func toolNames() string {
	var names []string
	for n := range tools.All {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ") + "."
}

type options struct {
	file    string
	verbose bool
	quiet   bool
	grace   time.Duration
}

func defineFlags(fs *pflag.FlagSet, o *options) {
	fs.StringVarP(&o.file, "file", "f", "", "read the pipeline from FILE (# comments and \\ line continuations allowed)")
	fs.BoolVarP(&o.verbose, "verbose", "v", false, "print every stage's status at the end, like bash's PIPESTATUS")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "do not warn that a pipeline without fsink at its end is not atomic")
	fs.DurationVar(&o.grace, "grace", 5*time.Second, "how long children get after SIGTERM before SIGKILL")
}

// define registers fpipe's flags; the stage it builds is the whole
// pipeline, run as one job that handles every signal itself.
func define(fs *pflag.FlagSet) cli.Build {
	o := &options{}
	defineFlags(fs, o)
	return func(args []string, env *cli.Env) (*cli.Stage, error) {
		var src string
		switch {
		case o.file != "" && len(args) == 0:
			b, err := readSmall(o.file)
			if err != nil {
				return nil, err
			}
			src = b
		case o.file == "" && len(args) == 1:
			src = args[0]
		default:
			return nil, cli.Usagef("give the pipeline as one argument, or -f FILE")
		}
		cmds, err := Parse(src)
		if err != nil {
			return nil, &cli.UsageError{Err: err}
		}
		// The pipeline handles every fatal signal itself. It catches them
		// directly (the quicker way), and the command line's catcher, which
		// has caught them since before this stage was built, hands over
		// what it reads once the stage is built: a signal that reached only
		// the catcher, before the Notify below, and that the catcher read
		// late, is not lost. Two copies of one signal are one stop.
		sigs := make(chan os.Signal, 1)
		signal.Notify(sigs, cli.Signals()...)
		forward := func(s os.Signal) {
			select {
			case sigs <- s:
			default: // one is pending already: the pipeline is stopping
			}
		}
		job := func(ctx context.Context) error {
			stderr := &lastLine{w: env.Stderr}
			p := &pipeline{opts: *o, stdin: cli.CheckedStdin(ctx, env.Stdin), stdout: env.Stdout, stderr: stderr, sigs: sigs}
			if code := p.run(cmds); code != cli.ExitOK {
				why := stderr.line()
				if why == "" {
					why = fmt.Sprintf("fpipe: the pipeline failed (exit status %d)", code)
				}
				return &cli.ExitError{Code: code, Why: why}
			}
			return nil
		}
		stop := func() error { signal.Stop(sigs); return nil }
		return &cli.Stage{Job: job, Handles: cli.Signals(), Signal: forward, Close: stop}, nil
	}
}

func readSmall(name string) (string, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxPipelineFile+1))
	if err != nil {
		return "", err
	}
	if len(b) > maxPipelineFile {
		return "", fmt.Errorf("%s: larger than %d bytes: not a pipeline", name, maxPipelineFile)
	}
	return string(b), nil
}

// usage reports a mistake in the pipeline's words: exit status 2.
func usage(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "fpipe: %s\n", cli.Message(err))
	// The hint goes around lastLine: the line passed on to the next
	// stage is the cause, not the hint.
	if l, ok := stderr.(*lastLine); ok {
		stderr = l.w
	}
	fmt.Fprintln(stderr, "Try 'fpipe --help' for more information.")
	return cli.ExitUsage
}

// lastLine passes writes on to w and keeps the last whole line written:
// fpipe ends with the first cause of a failure, which the relay passes on
// to the tool after fpipe.
type lastLine struct {
	w    io.Writer
	mu   sync.Mutex
	cur  []byte // the line being written
	last string
}

func (l *lastLine) Write(p []byte) (int, error) {
	l.mu.Lock()
	for _, c := range p {
		if c == '\n' {
			l.last, l.cur = string(l.cur), l.cur[:0]
		} else if len(l.cur) < 4096 {
			l.cur = append(l.cur, c)
		}
	}
	l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lastLine) line() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}
