// Package fgz defines the fgz tool: its flags, its help, and how its
// compressing or decompressing filter stage is built from its words.
package fgz

import (
	"errors"
	"io"
	"io/fs"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/internal/term"
	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/gz"
	"github.com/spf13/pflag"
)

// Tool is fgz's definition.
var Tool = &cli.Tool{
	Name:    "fgz",
	Usage:   "[FILE...]",
	Summary: "Compress standard input to standard output, or each FILE to FILE.gz, as gzip, in parallel; or decompress (-d) or test (-t).",
	Details: `-1 ... -9 set the level as gzip and pigz do (-1 fastest, -9 smallest, -0
store; default -6). The digits of one word make one number, as pigz reads
them: -19 is level 19, which fgz refuses, as it refuses pigz's -11
(zopfli); -1 -9 is level 9. The output is reproducible: the same input,
level and block size give the same bytes whatever --threads and the
machine (no name, MTIME 0, OS Unix). So -n, -m and -i change nothing, and
-N is taken only where gzip -N stores nothing either. gzip's and pigz's
other flags (-l, -r, -z, --rsyncable, ...) are refused, each with the
nearest way.

Each block is a gzip member of its own whose header gives its length (an
extra field, subfield 'FP'), and the stream ends with an empty such member:
every gzip reader reads it as multi-member gzip, and fgz -d decodes its
members on --threads threads. --single-member writes one member instead.

-d reads every member of a multi-member stream, accepts zero bytes after the
last one and fails on anything else, on a CRC or length mismatch and on
truncated data, naming the offset. -t does the same and writes nothing.

With FILEs, fgz works as gzip: each FILE becomes FILE.gz (-d: FILE.gz or
FILE.tgz becomes FILE or FILE.tar; -t tests each), written as fsink writes
(a temporary file beside it, fsync, rename, fsync of the folder) with
FILE's mode, times and, when allowed, owner. FILE is removed only after
that, and only while its name still holds the file read; -k keeps it, -c
writes standard output instead. A FILE that is refused (an existing output
without -f, the suffix missing or already there, a folder, a link, other
hard links) or fails is reported, the others are done, and fgz exits 1.
"-" is standard input. Under fpipe, FILE is refused: write
fread FILE | fgz | fsink FILE.gz.`,
	Define: define,
	Args:   cli.LevelWords("--fast", "--best"),
}

func define(fls *pflag.FlagSet) cli.Build {
	decompress := fls.BoolP("decompress", "d", false, "decompress")
	test := fls.BoolP("test", "t", false, "decompress and check, write nothing; exit 0 if the data is good")
	level := cli.DefineLevels(fls, gz.DefaultLevel, levelNames)
	fls.Var(level, "level", "compression level `N`, 0 (store) to 9; -N is the same")
	threads := fls.IntP("threads", "p", 0, "compress, or with -d or -t decode, `N` blocks at once (default: the number of CPUs)")
	single := fls.Bool("single-member", false, "write one gzip member (as pgzip does), for readers that stop after the first; fgz -d then decodes it on one thread")
	blockSize := cli.Size{V: gz.DefaultBlockSize}
	fls.VarP(&blockSize, "block-size", "b", "compress the input in blocks of SIZE, each on one thread (64KiB to 256MiB)")
	var maxOutput, offset, length cli.Size
	fls.Var(&maxOutput, "max-output", "with -d or -t: fail once the output would exceed SIZE (default: no limit)")
	fls.Var(&offset, "offset", "with -d: skip the first SIZE bytes of output (fgz's own blocks there are not decompressed)")
	fls.Var(&length, "length", "with -d: write at most SIZE bytes; the rest of the input is read but not decompressed or checked")
	ff := defineFiles(fls)
	habits := defineGzip(fls, level) // last: it ends the definition of the level
	return func(args []string, env *cli.Env) (*cli.Stage, error) {
		if err := habits(args, env); err != nil {
			return nil, err
		}
		if *decompress || *test {
			var opts []gz.ReaderOption
			add := func(flag string, o gz.ReaderOption) error {
				opts = append(opts, o)
				return cli.FlagError(fls, flag, gz.CheckReader(o))
			}
			if maxOutput.Given {
				if err := add("max-output", gz.MaxOutput(maxOutput.V)); err != nil {
					return nil, err
				}
			}
			if *threads != 0 || fls.Changed("threads") {
				if err := add("threads", gz.ReadThreads(*threads)); err != nil {
					return nil, err
				}
			}
			if *single {
				return nil, cli.Usagef("--single-member applies to compression")
			}
			if (offset.Given || length.Given) && *test {
				return nil, cli.Usagef("--offset and --length apply to -d, not -t")
			}
			if offset.V < 0 || length.V < 0 {
				return nil, cli.Usagef("--offset and --length cannot be negative")
			}
			lim := int64(-1)
			if length.Given {
				lim = length.V
			}
			if err := gz.CheckReader(opts...); err != nil { // all together
				return nil, &cli.UsageError{Err: err}
			}
			reader := func(name string) stages.Filter {
				return stages.Filter{Reader: func(src io.Reader) (io.ReadCloser, error) {
					r, err := gz.NewReader(src, opts...)
					if err != nil {
						return nil, err
					}
					return &input{Reader: r, skip: offset.V, left: lim, name: name}, nil
				}}
			}
			if len(args) > 0 {
				return ff.stage(args, env, *decompress, *test, stages.Filter{}, reader)
			}
			f := ff.withVerbose(reader("stdin"), env, *decompress, *test)
			st := &cli.Stage{Filter: &f}
			if *test {
				st.Sink = stages.StdoutSink(io.Discard)
			}
			return st, nil
		}
		if maxOutput.Given {
			return nil, cli.Usagef("--max-output applies to -d and -t")
		}
		if offset.Given || length.Given {
			return nil, cli.Usagef("--offset and --length apply to -d")
		}
		opts := []gz.Option{gz.SingleMember(*single)}
		add := func(flag string, o gz.Option) error {
			opts = append(opts, o)
			return cli.FlagError(fls, flag, gz.Check(o))
		}
		if err := add("level", gz.Level(level.V)); err != nil {
			return nil, err
		}
		if *threads != 0 || fls.Changed("threads") {
			if err := add("threads", gz.Threads(*threads)); err != nil {
				return nil, err
			}
		}
		// Past the largest, one more: the same error, and no int overflow.
		if err := add("block-size", gz.BlockSize(int(min(blockSize.V, gz.MaxBlockSize+1)))); err != nil {
			return nil, err
		}
		if err := gz.Check(opts...); err != nil { // all together
			return nil, &cli.UsageError{Err: err}
		}
		writer := stages.Filter{Writer: func(dst io.Writer) (io.WriteCloser, error) {
			return gz.NewWriter(dst, opts...)
		}}
		if len(args) > 0 {
			return ff.stage(args, env, false, false, writer, nil)
		}
		if term.IsTerminal(env.Stdout) {
			return nil, errors.New("compressed data not written to a terminal (redirect standard output)")
		}
		writer = ff.withVerbose(writer, env, false, false)
		return &cli.Stage{Filter: &writer}, nil
	}
}

// input is fgz -d's reader: it skips --offset bytes first, stops after
// --length, and names fgz's input in the error for an empty one, as
// "stdin: empty input, not gzip data".
type input struct {
	*gz.Reader
	skip    int64  // bytes still to skip
	left    int64  // bytes still to give; -1: no limit
	name    string // the input, for the error of an empty one
	drained bool
}

// rest reads the rest of the input without decoding it: a stage takes all
// of its input (in an fpipe chain, one that stops early fails it).
func (r *input) rest() error {
	if r.drained {
		return io.EOF
	}
	r.drained = true
	if err := r.Reader.DiscardRest(); err != nil {
		return err
	}
	return io.EOF
}

func (r *input) skipFirst() error {
	if r.skip == 0 {
		return nil
	}
	_, err := r.Reader.Skip(r.skip)
	r.skip = 0
	if err == io.EOF {
		r.left = 0 // the data ends before the offset: nothing to write
		r.drained = true
		return nil
	}
	return nameEmpty(r.name, err)
}

func (r *input) Read(p []byte) (int, error) {
	if err := r.skipFirst(); err != nil {
		return 0, err
	}
	if r.left == 0 {
		return 0, r.rest()
	}
	if r.left > 0 && int64(len(p)) > r.left {
		p = p[:r.left]
	}
	n, err := r.Reader.Read(p)
	if r.left > 0 {
		r.left -= int64(n)
	}
	return n, nameEmpty(r.name, err)
}

func (r *input) WriteTo(w io.Writer) (int64, error) {
	if err := r.skipFirst(); err != nil {
		return 0, err
	}
	if r.left >= 0 {
		return io.Copy(w, struct{ io.Reader }{r})
	}
	n, err := r.Reader.WriteTo(w)
	return n, nameEmpty(r.name, err)
}

func nameEmpty(name string, err error) error {
	if errors.Is(err, gz.ErrEmpty) {
		return &fs.PathError{Op: "read", Path: name, Err: gz.ErrEmpty}
	}
	return err
}
