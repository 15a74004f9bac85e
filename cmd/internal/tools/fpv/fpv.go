// Package fpv defines the fpv tool: its flags, its help, and how its
// progress-meter stage is built from its words.
package fpv

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/internal/term"
	"github.com/fpipe/fpipe/internal/zerocopy"
	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/meter"
	"github.com/spf13/pflag"
)

// Tool is fpv's definition.
var Tool = &cli.Tool{
	Name:    "fpv",
	Usage:   "",
	Summary: "Copy standard input to standard output and show the progress on standard error.",
	Details: `On a terminal, one line is redrawn in place at most five times a second:
bytes, elapsed time, current and average rate and, when the size is known, a
bar, the percentage and the time left. Off a terminal (a log file, cron,
systemd), fpv writes a plain line every --interval (default 10 seconds) and
never a carriage return. The last line says what happened: bytes, time,
average rate, and "done", "done, short of the expected SIZE" or "failed: why".

The size comes from --size, or from standard input when it is a regular file.
--size @FILE takes the size of FILE. --numeric prints what pv -n prints: the
percentage (with --bytes, the byte count; with --timer, the elapsed seconds
first), one per line, every --interval (default 1 second).`,
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
	name := fs.StringP("name", "N", "", "start each line with `NAME`: (to tell several fpv apart)")
	var interval intervalValue
	fs.VarP(&interval, "interval", "i", "time between updates (default: 0.2 on a terminal, 10 off one, 1 with -n)")
	force := fs.BoolP("force", "f", false, "show the terminal display even when standard error is not a terminal")
	quiet := fs.BoolP("quiet", "q", false, "show nothing")
	numeric := fs.BoolP("numeric", "n", false, "print numbers one per line, as pv -n: the percentage")
	numBytes := fs.BoolP("bytes", "b", false, "with -n: print the byte count instead of the percentage")
	numTimer := fs.BoolP("timer", "t", false, "with -n: print the elapsed seconds first")
	return func(args []string, env *cli.Env) (*cli.Stage, error) {
		switch {
		case len(args) > 0:
			return nil, cli.Usagef("fpv takes no operands (it reads standard input), got %q", args[0])
		case (*numBytes || *numTimer) && !*numeric:
			return nil, cli.Usagef("--bytes and --timer go with --numeric")
		case *quiet && (*numeric || *force):
			return nil, cli.Usagef("--quiet goes with neither --numeric nor --force")
		}
		opts := []meter.Option{meter.Output(env.Stderr), meter.Describe(cli.Message)}
		n, err := expectedSize(size, env.Stdin)
		if err != nil {
			return nil, err
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
			if *numBytes {
				opts = append(opts, meter.NumericBytes())
			}
			if *numTimer {
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
		opts = append(opts, meter.BufferSize(zerocopy.PipeSize))
		if err := meter.Check(opts...); err != nil {
			return nil, cli.Usagef("%v", err)
		}
		return &cli.Stage{Filter: &stages.Filter{Writer: func(dst io.Writer) (io.WriteCloser, error) {
			return meter.NewWriter(dst, opts...)
		}}}, nil
	}
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
