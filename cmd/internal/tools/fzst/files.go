package fzst

import (
	"fmt"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/cmd/internal/compfiles"
	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/sink"
	"github.com/fpipe/fpipe/stages/zst"
	"github.com/spf13/pflag"
)

// files holds the flags of fzst's file mode (fzst FILE...), as zstd has
// them.
type files struct {
	fls                                     *pflag.FlagSet
	stdout, keep, rm, force, verbose, quiet *bool
	suffix, output                          *string
}

func defineFiles(fls *pflag.FlagSet) *files {
	return &files{
		fls:     fls,
		stdout:  fls.BoolP("stdout", "c", false, "with FILEs: write standard output (without FILEs fzst always does)"),
		keep:    fls.BoolP("keep", "k", false, "keep each FILE (the default, as in zstd)"),
		rm:      fls.Bool("rm", false, "remove each FILE after its output is committed"),
		force:   fls.BoolP("force", "f", false, "replace an existing output; take a FILE that is a symbolic link or, with --rm, has other hard links; write compressed data to a terminal"),
		suffix:  fls.StringP("suffix", "S", ".zst", "the suffix `SUF` of compressed FILEs"),
		output:  fls.StringP("output", "o", "", "write the output of the one FILE (or of standard input) to `FILE`, atomically and durably"),
		verbose: fls.BoolP("verbose", "v", false, "print each FILE's name, ratio, the level's encoder and the speed on stderr"),
		quiet:   fls.BoolP("quiet", "q", false, "print nothing for a FILE that is refused (the exit status is still 1)"),
	}
}

// toFile reports whether -o names an output file.
func (f *files) toFile() bool { return *f.output != "" && *f.output != "-" }

// stage is fzst FILE... (compress, or -d, -t, each FILE), or fzst -o FILE
// with standard input.
func (f *files) stage(args []string, env *cli.Env, decompress, test bool, writer stages.Filter, reader func(string) stages.Filter, note string) (*cli.Stage, error) {
	if *f.rm && f.fls.Changed("keep") {
		return nil, cli.Usagef("--rm and --keep contradict each other: give one")
	}
	out := *f.output
	if out == "-" {
		out = ""
	}
	o := compfiles.Options{
		Decompress: decompress,
		Test:       test,
		Stdout:     *f.stdout,
		Force:      *f.force,
		Remove:     *f.rm,
		Suffix:     *f.suffix,
		Output:     out,
		Verbose:    *f.verbose,
		Quiet:      *f.quiet,
	}
	c := &compfiles.Codec{
		Tool:       "fzst",
		Aliases:    map[string]string{".tzst": ".tar"},
		Compress:   writer,
		Decompress: reader,
		Note:       note,
	}
	if len(args) > 0 {
		return compfiles.Stage(c, o, args, env)
	}
	// fzst -o FILE: a stream stage whose sink is FILE, so that it also
	// runs under fpipe.
	if err := compfiles.Check(c, o, nil); err != nil {
		return nil, err
	}
	filter := writer
	if decompress {
		filter = reader("stdin")
	}
	opts := []sink.Option{sink.AllowEmpty()}
	if !*f.force {
		opts = append(opts, sink.NoClobber())
	}
	w, err := sink.Create(out, opts...)
	if err != nil {
		return nil, compfiles.SinkError(out, err)
	}
	return &cli.Stage{Filter: &filter, Sink: w, Undo: []func() error{w.Abort}, Close: w.Abort}, nil
}

// LevelNote says which of the library's four encoders a level uses, and
// which level writes the same bytes: "level 19 (best encoder, same output
// as 10)". Level 6 uses the encoder of 7-9 in independent frames, so its
// output is its own (stages/zst's level table).
func LevelNote(level int) string {
	first, name := 1, "fastest"
	switch {
	case level >= 10:
		first, name = 10, "best"
	case level >= 7:
		first, name = 7, "better"
	case level == 6:
		first, name = 6, "better"
	case level >= 3:
		first, name = 3, "default"
	}
	if level < zst.MinLevel || level > zst.MaxLevel || level == first {
		return fmt.Sprintf("level %d (%s encoder)", level, name)
	}
	return fmt.Sprintf("level %d (%s encoder, same output as %d)", level, name, first)
}

// withVerbose is -v without FILEs: a line for standard input at a clean end.
func (f *files) withVerbose(s stages.Filter, env *cli.Env, decompress, test bool, note string) stages.Filter {
	if !*f.verbose {
		return s
	}
	return compfiles.Verbose(s, env.Stderr, compfiles.Options{Decompress: decompress, Test: test}, note)
}
