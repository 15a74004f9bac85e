// Package fpv defines the fpv tool: its flags, its help, and how its
// progress-meter stage is built from its words.
package fpv

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/cmd/internal/tools/frate"
	"github.com/fpipe/fpipe/internal/term"
	"github.com/fpipe/fpipe/internal/zerocopy"
	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/meter"
	"github.com/fpipe/fpipe/stages/read"
	"github.com/fpipe/fpipe/stages/throttle"
	"github.com/spf13/pflag"
)

// Tool is fpv's definition.
var Tool = &cli.Tool{
	Name:    "fpv",
	Usage:   "[FILE...]",
	Summary: "Copy FILEs, or standard input, to standard output and show the progress on standard error.",
	Details: `With no FILE, or when FILE is -, read standard input. FILEs are read as
fread reads them: one that cannot be read is reported and skipped, the others
are still copied, and the exit status is 1.

On a terminal, one line is redrawn in place at most five times a second:
bytes, elapsed time, current and average rate and, when the size is known, a
bar, the percentage and the time left. -p -t -e -r -a -b show only the parts
named, as pv's display switches do. Off a terminal (a log file, cron,
systemd), fpv writes a plain line every --interval (default 10 seconds),
starting with the local time in ISO 8601 (2026-11-30T12:00:00+01:00), and
never a carriage return. The last line says what happened: bytes, time,
average rate, and how the pipeline ended: "committed" once an fsink (or
fsum -o) after fpv committed, "done" when nothing after it commits
(standard output is a file, a terminal or a program that is not ours),
", short of the expected SIZE" after either, or "failed: why". Under fpipe
the cause is that of the stage that failed; in a shell pipe, fpv asks the
tools of ours after it and says "failed: not committed by the next stage"
(that tool prints the cause), and its exit status stays its own.

The size comes from --size, from the FILEs when all are regular files, or from
standard input when it is a regular file. --size @FILE takes the size of FILE.
--numeric prints what pv -n prints: the percentage (with --bytes, the byte
count; with --timer, the elapsed seconds first), one per line, every
--interval (default 1 second), without a time.

--rate-limit holds the stream to RATE bytes per second with frate's limiter;
RATE is a SIZE, as pv -L takes it (1m = 1M = 1MiB). pv flags that fpv
does not have (-l, -F, -c, -E, ...) are refused with the nearest way to do
the same.`,
	Define: define,
}

// sizeValue is a SIZE, or @FILE for the size of FILE.
type sizeValue struct {
	s     string
	given bool
}

func (v *sizeValue) String() string { return v.s }
func (v *sizeValue) Type() string   { return "SIZE" }
func (v *sizeValue) Set(s string) error {
	if !strings.HasPrefix(s, "@") {
		if _, err := cli.ParseSize(s); err != nil {
			return err
		}
	} else if len(s) == 1 {
		return errors.New("@ needs a FILE")
	}
	v.s, v.given = s, true
	return nil
}

// intervalValue is seconds, as pv takes them (0.5), or a Go duration (500ms).
type intervalValue struct {
	d     time.Duration
	given bool
}

func (v *intervalValue) String() string {
	if !v.given {
		return ""
	}
	return strconv.FormatFloat(v.d.Seconds(), 'f', -1, 64)
}
func (v *intervalValue) Type() string { return "SECONDS" }
func (v *intervalValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f != f {
			return fmt.Errorf("not a number of seconds: %q", s)
		}
		d = time.Duration(f * float64(time.Second))
	}
	if d < time.Millisecond || d > 24*time.Hour {
		return fmt.Errorf("the interval must be between 0.001 and 86400 seconds, not %q", s)
	}
	v.d, v.given = d, true
	return nil
}

func define(fs *pflag.FlagSet) cli.Build {
	var size sizeValue
	fs.VarP(&size, "size", "s", "the expected size, for the bar and the time left; @FILE: the size of FILE")
	var limit cli.Size
	fs.VarP((*rateValue)(&limit), "rate-limit", "L", "copy at no more than RATE bytes per second, as frate does")
	name := fs.StringP("name", "N", "", "start each line with `NAME`: (to tell several fpv apart)")
	var interval intervalValue
	fs.VarP(&interval, "interval", "i", "time between updates (default: 0.2 on a terminal, 10 off one, 1 with -n)")
	var show [len(fieldFlags)]*bool
	for i, f := range fieldFlags {
		show[i] = fs.BoolP(f.long, f.short, false, f.usage)
	}
	wait := fs.BoolP("wait", "W", false, "show nothing and count no time until the first byte")
	force := fs.BoolP("force", "f", false, "show the terminal display even when standard error is not a terminal")
	quiet := fs.BoolP("quiet", "q", false, "show nothing")
	numeric := fs.BoolP("numeric", "n", false, "print numbers one per line, as pv -n: the percentage (-b: the bytes; -t: the seconds first)")
	definePVOnly(fs)
	return func(args []string, env *cli.Env) (*cli.Stage, error) {
		if err := pvOnlyGiven(fs); err != nil {
			return nil, err
		}
		if *quiet && (*numeric || *force) {
			return nil, cli.Usagef("--quiet goes with neither --numeric nor --force")
		}
		var fields meter.Field
		for i, f := range fieldFlags {
			if *show[i] {
				fields |= f.field
			}
		}
		opts := []meter.Option{meter.Output(env.Stderr), meter.Describe(describe)}
		if fields != 0 {
			opts = append(opts, meter.Fields(fields))
		}
		if *wait {
			opts = append(opts, meter.WaitFirstByte())
		}
		var src *read.Reader
		n := int64(-1)
		if len(args) > 0 {
			var err error
			if src, err = files(args, env); err != nil {
				return nil, err
			}
			n = filesSize(args, env.Stdin)
		}
		if size.given || len(args) == 0 {
			var err error
			if n, err = expectedSize(size, env.Stdin); err != nil {
				return nil, err
			}
		}
		if n >= 0 {
			opts = append(opts, meter.Size(n))
		}
		fd, tty := term.Terminal(env.Stderr)
		switch {
		case *quiet:
			opts = append(opts, meter.Show(meter.Quiet))
		case *numeric:
			opts = append(opts, meter.Show(meter.Numeric))
			if fields&meter.Bytes != 0 {
				opts = append(opts, meter.NumericBytes())
			}
			if fields&meter.Timer != 0 {
				opts = append(opts, meter.NumericTimer())
			}
		case tty || *force:
			opts = append(opts, meter.Show(meter.Terminal))
			if tty {
				opts = append(opts, meter.Width(func() int { return term.Columns(fd) }))
			}
		default:
			opts = append(opts, meter.Show(meter.Lines))
			if *name == "" {
				*name = env.Tool // a log line says who wrote it
			}
		}
		if *name != "" {
			opts = append(opts, meter.Name(*name))
		}
		if interval.given {
			opts = append(opts, meter.Interval(interval.d))
		}
		if limit.Given {
			// The meter counts a piece once the throttle let it go: pieces
			// of a burst keep the display moving at the rate.
			opts = append(opts, meter.BufferSize(int(throttle.DefaultBurst(limit.V))))
		} else {
			opts = append(opts, meter.BufferSize(zerocopy.PipeSize))
		}
		if err := meter.Check(opts...); err != nil {
			return nil, cli.Usagef("%v", err)
		}
		var topts []throttle.Option
		if limit.Given {
			if err := throttle.Check(limit.V); err != nil {
				return nil, cli.Usagef("--rate-limit: %v", err)
			}
			if env.Ctx != nil {
				topts = append(topts, throttle.Context(env.Ctx))
			}
		}
		// The last line (not pv -n's numbers) says what the stages after
		// made of the stream.
		verdict := !*quiet && !*numeric
		st := &cli.Stage{Verdict: verdict, Filter: &stages.Filter{Writer: func(dst io.Writer) (io.WriteCloser, error) {
			if !limit.Given {
				return meter.NewWriter(dst, opts...)
			}
			t, err := throttle.NewWriter(dst, limit.V, topts...)
			if err != nil {
				return nil, err
			}
			m, err := meter.NewWriter(t, opts...)
			if err != nil {
				return nil, err
			}
			return &limited{m, t}, nil
		}}}
		if src != nil {
			st.Source, st.Close = src, src.Close
			st.Stdin = slices.Contains(args, read.Stdin)
		}
		return st, nil
	}
}

// describe words the cause in the last line. A failure before fpv, in a
// shell pipe, was printed by the tool that failed: the last line does not
// repeat it.
func describe(err error) string {
	var ue *cli.UpstreamError
	switch {
	case errors.As(err, &ue):
		return "the stage before failed"
	case errors.Is(err, context.Canceled):
		return "interrupted"
	}
	return cli.Message(err)
}

// fieldFlags are pv's display switches.
var fieldFlags = [...]struct {
	long, short, usage string
	field              meter.Field
}{
	{"progress", "p", "show the bar and the percentage", meter.Progress},
	{"timer", "t", "show the elapsed time", meter.Timer},
	{"eta", "e", "show the time left (when the size is known)", meter.ETA},
	{"rate", "r", "show the current rate", meter.Rate},
	{"average-rate", "a", "show the average rate", meter.Average},
	{"bytes", "b", "show the byte count; with none of -p -t -e -r -a -b, all are shown", meter.Bytes},
}

// rateValue is a RATE, as frate takes it: a SIZE per second, at least 1.
type rateValue cli.Size

func (r *rateValue) String() string {
	if !r.Given {
		return ""
	}
	return cli.FormatSize(r.V)
}
func (r *rateValue) Type() string { return "RATE" }
func (r *rateValue) Set(s string) error {
	v, err := frate.ParseRate(s)
	if err != nil {
		return err
	}
	r.V, r.Given = v, true
	return nil
}

// limited is the meter over the throttle (fpv -L): the meter counts what
// the throttle let through.
type limited struct {
	*meter.Writer
	t *throttle.Writer
}

var _ stages.Interrupter = (*limited)(nil)

// Interrupt ends the throttle's wait (stages.Run calls it on cancel).
func (l *limited) Interrupt() { l.t.Interrupt() }

func (l *limited) Close() error { return l.CloseWithError(nil) }

func (l *limited) CloseWithError(err error) error {
	l.Writer.CloseWithError(err)
	return l.t.Close()
}

// files is the source of fpv FILE...: fread's reader, which reports a FILE
// it cannot read and goes on.
func files(args []string, env *cli.Env) (*read.Reader, error) {
	opts := []read.Option{read.Input(env.Stdin), read.Report(env.Warn)}
	if f, ok := env.Stdout.(*os.File); ok {
		if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
			opts = append(opts, read.NotSameAs(st))
		}
	}
	r, err := read.NewReader(args, opts...)
	if err != nil {
		return nil, cli.Usagef("%v", err)
	}
	return r, nil
}

// filesSize is the size of the named inputs, as pv counts it: the sum of
// their sizes when all are regular files (standard input, -, counted once),
// or -1. A FILE that cannot be found adds nothing: reading it fails.
func filesSize(names []string, stdin io.Reader) int64 {
	var total int64
	seenStdin := false
	for _, name := range names {
		if name == read.Stdin {
			if seenStdin {
				continue
			}
			seenStdin = true
			n, _ := expectedSize(sizeValue{}, stdin)
			if n < 0 {
				return -1
			}
			total += n
			continue
		}
		st, err := os.Stat(name)
		switch {
		case err != nil:
		case !st.Mode().IsRegular():
			return -1
		default:
			total += st.Size()
		}
	}
	return total
}

// expectedSize is the size --size gives, or that of standard input when it
// is a regular file (from its current offset), or -1.
func expectedSize(v sizeValue, stdin io.Reader) (int64, error) {
	switch {
	case v.given && strings.HasPrefix(v.s, "@"):
		st, err := os.Stat(v.s[1:])
		if err != nil {
			return 0, err
		}
		if !st.Mode().IsRegular() {
			return 0, cli.Usagef("--size %s: not a regular file", v.s)
		}
		return st.Size(), nil
	case v.given:
		return cli.ParseSize(v.s)
	}
	f, ok := stdin.(*os.File)
	if !ok {
		return -1, nil
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return -1, nil
	}
	off, err := f.Seek(0, io.SeekCurrent)
	if err != nil || off > st.Size() {
		return -1, nil
	}
	return st.Size() - off, nil
}
