// Package fread defines the fread tool: its flags, its help, and how its
// source stage is built from its words.
package fread

import (
	"os"
	"slices"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/cmd/internal/s3flags"
	"github.com/fpipe/fpipe/stages/read"
	"github.com/spf13/pflag"
)

// Tool is fread's definition.
var Tool = &cli.Tool{
	Name:    "fread",
	Usage:   "[FILE...]",
	Summary: "Copy FILEs, or standard input, to standard output as one stream.",
	Details: `With no FILE, or when FILE is -, read standard input. A FILE that cannot be
read is reported and skipped; the others are still copied, and the exit
status is 1. --offset and --length apply to the whole stream, as dd's skip and
count in bytes. A FILE s3://BUCKET/KEY is an S3 object, read alone (fread(1)).`,
	Define: define,
}

func define(fs *pflag.FlagSet) cli.Build {
	var offset, length cli.Size
	fs.Var(&offset, "offset", "skip the first SIZE bytes of the stream (seeks where it can)")
	fs.Var(&length, "length", "stop after SIZE bytes")
	nocache := fs.Bool("nocache", false, "drop what was read from the page cache, like dd iflag=nocache")
	var pathStyle bool
	s3flags.DefinePathStyle(fs, &pathStyle)
	return func(args []string, env *cli.Env) (*cli.Stage, error) {
		if slices.ContainsFunc(args, s3flags.IsURL) {
			return s3Source(args, env, pathStyle, offset, length)
		}
		opts := []read.Option{read.Input(env.Stdin), read.Report(env.Warn)}
		if offset.Given {
			opts = append(opts, read.Offset(offset.V))
		}
		if length.Given {
			opts = append(opts, read.Length(length.V))
		}
		if *nocache {
			opts = append(opts, read.NoCache())
		}
		if f, ok := env.Stdout.(*os.File); ok {
			if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
				opts = append(opts, read.NotSameAs(st))
			}
		}
		r, err := read.NewReader(args, opts...)
		if err != nil {
			return nil, cli.Usagef("%v", err)
		}
		return &cli.Stage{Source: r, Close: r.Close, Stdin: len(args) == 0 || slices.Contains(args, read.Stdin)}, nil
	}
}
