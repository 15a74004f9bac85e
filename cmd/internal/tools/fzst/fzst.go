// Package fzst defines the fzst tool: its flags, its help, and how its
// compressing or decompressing filter stage is built from its words.
package fzst

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
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
	Usage:   "[FILE...]",
	Summary: "Compress standard input to standard output, or each FILE to FILE.zst, as zstd; or decompress (-d) or test (-t).",
	Details: `-1 ... -19 set the level as zstd numbers them (default -3): -19 is
nineteen, -1 -9 is 9. Levels map onto the four encoders of
klauspost/compress: 1-2 fastest, 3-5 default (about zstd -3), 6-9 better
(about zstd -7), 10-19 best. Levels 1 to 6 compress independent 4 MiB
frames on all threads at once; from 7 on, one frame with an 8 MiB window:
-6 is about twice as fast as -7 on two CPUs, -7 smaller on data that
repeats itself more than 4 MiB apart. Levels in one of the groups 1-2,
3-5, 7-9 and 10-19 write the same bytes:
levels 10-19 all write the same bytes as 10 (the library's best encoder),
13% larger than zstd -19 on a database dump (256 MiB from tests/gendump:
74.2 MB against 65.5 MB). zstd's --ultra levels 20-22, its
--fast levels and its other flags that fzst does not have (-r, -l, -D,
--rsyncable, ...) are refused, each with the nearest way.

-d reads every frame of a multi-frame stream, skips skippable frames, and
fails on anything after the last frame, on a checksum mismatch and on
truncated data, naming the offset. It refuses a frame whose window is
larger than --memory before allocating it. -t does the same and writes
nothing.

With FILEs, fzst works as zstd: each FILE becomes FILE.zst (-d: FILE.zst
or FILE.tzst becomes FILE or FILE.tar; -t tests each), written as fsink
writes (a temporary file beside it, fsync, rename, fsync of the folder)
with FILE's mode, times and, when allowed, owner. FILE is kept, as zstd
keeps it; --rm removes it only after that commit, and only while its name
still holds the file read. A FILE that is refused or fails is reported,
the others are done, and fzst exits 1. "-" is standard input; -o FILE
writes the one input's output to FILE. Under fpipe, FILE is refused:
write fread FILE | fzst | fsink FILE.zst (fzst -o FILE is a sink).

-v says which encoder the level used: "level 19 (best encoder, same output
as 10)".`,
	Define: define,
	Args:   cli.LevelWords(),
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
	level := cli.DefineLevels(fls, zst.DefaultLevel, nil)
	fls.Var(level, "level", "compression level `N`, 1 (fastest) to 19 (smallest), 10-19 all the same bytes as 10; -N is the same")
	threads := fls.IntP("threads", "T", 0, "compress with `N` threads; 0: one per CPU (the default)")
	long := &longFlag{log: zst.LongWindowLog}
	fl := fls.VarPF(long, "long", "", "compress with a window of 2^N bytes, 10 to 29 (N 27: 128 MiB); with -d, accept windows up to 2^N bytes")
	fl.NoOptDefVal = strconv.Itoa(zst.LongWindowLog)
	noCheck := fls.Bool("no-check", false, "write no content checksum; with -d or -t, do not check checksums")
	memory := cli.Size{V: zst.DefaultMaxWindow}
	fls.VarP(&memory, "memory", "M", "with -d or -t: refuse frames whose window is larger than SIZE")
	ff := defineFiles(fls)
	habits := defineZstd(fls, level) // last: it ends the definition of the level
	return func(args []string, env *cli.Env) (*cli.Stage, error) {
		if err := habits(args, env); err != nil {
			return nil, err
		}
		if *decompress || *test {
			reader, err := decompressFilter(fls, memory, long, *noCheck)
			if err != nil {
				return nil, err
			}
			if len(args) > 0 || ff.toFile() {
				return ff.stage(args, env, *decompress, *test, stages.Filter{}, reader, "")
			}
			f := ff.withVerbose(reader("stdin"), env, *decompress, *test, "")
			st := &cli.Stage{Filter: &f}
			if *test {
				st.Sink = stages.StdoutSink(io.Discard)
			}
			return st, nil
		}
		if memory.Given {
			return nil, cli.Usagef("--memory applies to -d and -t")
		}
		opts := []zst.Option{zst.Checksum(!*noCheck)}
		add := func(flag string, o zst.Option) error {
			opts = append(opts, o)
			return cli.FlagError(fls, flag, zst.Check(o))
		}
		if err := add("level", zst.Level(level.V)); err != nil {
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
		writer := stages.Filter{Writer: func(dst io.Writer) (io.WriteCloser, error) {
			return zst.NewWriter(dst, opts...)
		}}
		if len(args) > 0 || ff.toFile() {
			return ff.stage(args, env, false, false, writer, nil, LevelNote(level.V))
		}
		if term.IsTerminal(env.Stdout) {
			return nil, errors.New("compressed data not written to a terminal (redirect standard output)")
		}
		writer = ff.withVerbose(writer, env, false, false, LevelNote(level.V))
		return &cli.Stage{Filter: &writer}, nil
	}
}

// decompressFilter returns -d's and -t's stage for an input name.
func decompressFilter(fls *pflag.FlagSet, memory cli.Size, long *longFlag, noCheck bool) (func(string) stages.Filter, error) {
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
	return func(name string) stages.Filter {
		return stages.Filter{Reader: func(src io.Reader) (io.ReadCloser, error) {
			r, err := zst.NewReader(src, opts...)
			if err != nil {
				return nil, err
			}
			return input{r, name}, nil
		}}
	}, nil
}

// input names fzst's input in the error for an empty one, as
// "stdin: empty input, not zstd data", and says how to accept a window
// that is too large.
type input struct {
	*zst.Reader
	name string
}

func (r input) Read(p []byte) (int, error) {
	n, err := r.Reader.Read(p)
	return n, explain(r.name, err)
}

func (r input) WriteTo(w io.Writer) (int64, error) {
	n, err := r.Reader.WriteTo(w)
	return n, explain(r.name, err)
}

func explain(name string, err error) error {
	var ze *zst.Error
	switch {
	case errors.Is(err, zst.ErrEmpty):
		return &fs.PathError{Op: "read", Path: name, Err: zst.ErrEmpty}
	case errors.As(err, &ze) && ze.Err == zst.ErrWindow:
		return fmt.Errorf("%w (use --memory=%s)", err, cli.FormatSize(int64(ze.Window)))
	}
	return err
}
