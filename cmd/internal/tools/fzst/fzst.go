// Package fzst defines the fzst tool: its flags, its help, and how its
// compressing or decompressing filter stage is built from its words.
package fzst

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"strconv"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/internal/term"
	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/zst"
	"github.com/spf13/pflag"
)

// Tool is fzst's definition.
var Tool = &cli.Tool{
	Name:    "fzst",
	Usage:   "",
	Summary: "Compress standard input to standard output as zstd; or decompress it (-d) or test it (-t).",
	Details: `-1 ... -19 set the level as zstd numbers them (default -3); they map onto
the four encoders of klauspost/compress: 1-2 fastest, 3-5 default (about
zstd -3), 6-9 better (about zstd -7), 10-19 best. Write the level as one
word: -19.

-d reads every frame of a multi-frame stream, skips skippable frames, and
fails on anything after the last frame, on a checksum mismatch and on
truncated data, naming the offset. It refuses a frame whose window is
larger than --memory before allocating it. -t does the same and writes
nothing.

fzst reads only standard input and writes only standard output: to
compress a file, fread FILE | fzst | fsink FILE.zst.`,
	Define: define,
	Args:   RewriteLevels,
}

// levelWord is a lone -N: the level as zstd's command line writes it.
var levelWord = regexp.MustCompile(`^-[0-9]+$`)

// RewriteLevels turns each lone -N before a "--" into --level=N, so that
// -19 is level 19 and not -1 -9. It is fzst's cli.Tool.Args hook; words
// it leaves alone (-c19) still go through the digit flags (see digits).
func RewriteLevels(args []string) []string {
	out := make([]string, 0, len(args))
	for i, a := range args {
		if a == "--" {
			return append(out, args[i:]...)
		}
		// The word after a flag that takes a value is that value (-T -2).
		if levelWord.MatchString(a) && (i == 0 || !takesValue[args[i-1]]) {
			a = "--level=" + a[1:]
		}
		out = append(out, a)
	}
	return out
}

// takesValue lists fzst's flags whose value may be the next word.
var takesValue = map[string]bool{"-T": true, "--threads": true, "-M": true, "--memory": true, "--level": true}

// digits collects the level from the digit flags -0 ... -9, which pflag
// sees one at a time: -19 arrives as -1 then -9. Digits that come one
// right after the other add up to one number; any other flag in between
// starts a new one (-1 -d -9 is level 9). Lone words (-1 -9) never get
// here: RewriteLevels makes them --level flags first.
type digits struct {
	level *int
	acc   int  // the number so far
	open  bool // the last flag set was a digit
	bad   bool // more than two digits
}

// digitFlag is one of -0 ... -9.
type digitFlag struct {
	d *digits
	v int
}

func (f *digitFlag) String() string { return "false" }
func (f *digitFlag) Type() string   { return "bool" }
func (f *digitFlag) Set(s string) error {
	if ok, err := strconv.ParseBool(s); err != nil || !ok {
		return errors.New("takes no value")
	}
	d := f.d
	if !d.open {
		d.acc = 0
	}
	d.acc = d.acc*10 + f.v
	if d.acc > 99 {
		d.bad = true
	}
	d.open = true
	*d.level = d.acc
	return nil
}

// boundary wraps every other flag's value: setting it closes the number
// the digit flags were writing.
type boundary struct {
	pflag.Value
	d *digits
}

func (b *boundary) Set(s string) error {
	b.d.open = false
	return b.Value.Set(s)
}

// longFlag is --long[=N].
type longFlag struct {
	log   int
	given bool
}

func (f *longFlag) String() string {
	if !f.given {
		return ""
	}
	return strconv.Itoa(f.log)
}
func (f *longFlag) Type() string { return "N" }
func (f *longFlag) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("window log %q is not a number", s)
	}
	f.log, f.given = n, true
	return nil
}

func define(fls *pflag.FlagSet) cli.Build {
	decompress := fls.BoolP("decompress", "d", false, "decompress")
	test := fls.BoolP("test", "t", false, "decompress and check, write nothing; exit 0 if the data is good")
	level := zst.DefaultLevel
	dg := &digits{level: &level}
	for v := 0; v <= 9; v++ {
		name := "level-digit-" + strconv.Itoa(v)
		f := fls.VarPF(&digitFlag{dg, v}, name, strconv.Itoa(v), "")
		f.NoOptDefVal = "true"
		fls.MarkHidden(name)
	}
	fls.IntVar(&level, "level", zst.DefaultLevel, "compression level `N`, 1 (fastest) to 19 (smallest); -N is the same")
	threads := fls.IntP("threads", "T", 0, "compress with `N` threads; 0: one per CPU (the default)")
	long := &longFlag{log: zst.LongWindowLog}
	fl := fls.VarPF(long, "long", "", "compress with a window of 2^N bytes, 10 to 29 (N 27: 128 MiB); with -d, accept windows up to 2^N bytes")
	fl.NoOptDefVal = strconv.Itoa(zst.LongWindowLog)
	noCheck := fls.Bool("no-check", false, "write no content checksum; with -d or -t, do not check checksums")
	memory := cli.Size{V: zst.DefaultMaxWindow}
	fls.VarP(&memory, "memory", "M", "with -d or -t: refuse frames whose window is larger than SIZE")
	fls.BoolP("stdout", "c", false, "accepted for zstd compatibility: fzst always writes standard output")
	fls.VisitAll(func(f *pflag.Flag) {
		if _, ok := f.Value.(*digitFlag); !ok {
			f.Value = &boundary{f.Value, dg}
		}
	})
	return func(args []string, env *cli.Env) (*cli.Stage, error) {
		if len(args) > 0 {
			return nil, cli.Usagef("fzst reads standard input only, not %q: use fread FILE | fzst", args[0])
		}
		if *decompress || *test {
			return decompressStage(fls, *test, memory, long, *noCheck)
		}
		if memory.Given {
			return nil, cli.Usagef("--memory applies to -d and -t")
		}
		if dg.bad { // the digits may have wrapped round to a valid level
			return nil, cli.Usagef("--level: more than two digits: out of range %d-%d", zst.MinLevel, zst.MaxLevel)
		}
		opts := []zst.Option{zst.Checksum(!*noCheck)}
		add := func(flag string, o zst.Option) error {
			opts = append(opts, o)
			return cli.FlagError(fls, flag, zst.Check(o))
		}
		if err := add("level", zst.Level(level)); err != nil {
			return nil, err
		}
		switch {
		case *threads < 0: // 0 is the tool's default: one per CPU
			return nil, cli.Usagef("--threads %d: at least 0", *threads)
		case *threads > 0:
			if err := add("threads", zst.Threads(*threads)); err != nil {
				return nil, err
			}
		}
		if long.given {
			if err := add("long", zst.WindowLog(long.log)); err != nil {
				return nil, err
			}
		}
		if err := zst.Check(opts...); err != nil { // all together
			return nil, &cli.UsageError{Err: err}
		}
		if term.IsTerminal(env.Stdout) {
			return nil, errors.New("compressed data not written to a terminal (redirect standard output)")
		}
		return &cli.Stage{Filter: &stages.Filter{Writer: func(dst io.Writer) (io.WriteCloser, error) {
			return zst.NewWriter(dst, opts...)
		}}}, nil
	}
}

func decompressStage(fls *pflag.FlagSet, test bool, memory cli.Size, long *longFlag, noCheck bool) (*cli.Stage, error) {
	limit := memory.V
	if long.given {
		if long.log < 10 || long.log > 41 {
			return nil, cli.Usagef("--long=%d: the window log must be 10 to 41", long.log)
		}
		if !memory.Given {
			limit = max(limit, int64(1)<<long.log)
		}
	}
	opts := []zst.ReaderOption{zst.MaxWindow(limit), zst.IgnoreChecksum(noCheck)}
	if memory.Given {
		if err := cli.FlagError(fls, "memory", zst.CheckReader(opts[0])); err != nil {
			return nil, err
		}
	}
	if err := zst.CheckReader(opts...); err != nil { // all together
		return nil, &cli.UsageError{Err: err}
	}
	st := &cli.Stage{Filter: &stages.Filter{Reader: func(src io.Reader) (io.ReadCloser, error) {
		r, err := zst.NewReader(src, opts...)
		if err != nil {
			return nil, err
		}
		return input{r}, nil
	}}}
	if test {
		st.Sink = stages.StdoutSink(io.Discard)
	}
	return st, nil
}

// input names fzst's input in the error for an empty one, as
// "stdin: empty input, not zstd data", and says how to accept a window
// that is too large.
type input struct{ *zst.Reader }

func (r input) Read(p []byte) (int, error) {
	n, err := r.Reader.Read(p)
	return n, explain(err)
}

func (r input) WriteTo(w io.Writer) (int64, error) {
	n, err := r.Reader.WriteTo(w)
	return n, explain(err)
}

func explain(err error) error {
	var ze *zst.Error
	switch {
	case errors.Is(err, zst.ErrEmpty):
		return &fs.PathError{Op: "read", Path: "stdin", Err: zst.ErrEmpty}
	case errors.As(err, &ze) && ze.Err == zst.ErrWindow:
		return fmt.Errorf("%w (use --memory=%s)", err, cli.FormatSize(int64(ze.Window)))
	}
	return err
}
