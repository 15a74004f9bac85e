package fgz

import (
	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/cmd/internal/compfiles"
	"github.com/fpipe/fpipe/stages"
	"github.com/spf13/pflag"
)

// files holds the flags of fgz's file mode (fgz FILE...), as gzip has them.
type files struct {
	stdout, keep, force, verbose, quiet *bool
	suffix                              *string
}

func defineFiles(fls *pflag.FlagSet) *files {
	return &files{
		stdout:  fls.BoolP("stdout", "c", false, "with FILEs: write standard output and keep the FILEs (without FILEs fgz always does)"),
		keep:    fls.BoolP("keep", "k", false, "keep each FILE after its output is committed (default: remove it, as gzip does)"),
		force:   fls.BoolP("force", "f", false, "replace an existing output; take a FILE that is a symbolic link or has other hard links; write compressed data to a terminal"),
		suffix:  fls.StringP("suffix", "S", ".gz", "the suffix `SUF` of compressed FILEs"),
		verbose: fls.BoolP("verbose", "v", false, "print each FILE's name, ratio and speed on stderr"),
		quiet:   fls.BoolP("quiet", "q", false, "print nothing for a FILE that is refused (the exit status is still 1)"),
	}
}

// stage is fgz FILE...: compress (or -d, -t) each FILE.
func (f *files) stage(args []string, env *cli.Env, decompress, test bool, writer stages.Filter, reader func(string) stages.Filter) (*cli.Stage, error) {
	c := &compfiles.Codec{
		Tool:       "fgz",
		Aliases:    map[string]string{".tgz": ".tar"},
		Compress:   writer,
		Decompress: reader,
	}
	return compfiles.Stage(c, compfiles.Options{
		Decompress: decompress,
		Test:       test,
		Stdout:     *f.stdout,
		Force:      *f.force,
		Remove:     !*f.keep,
		Suffix:     *f.suffix,
		Verbose:    *f.verbose,
		Quiet:      *f.quiet,
	}, args, env)
}

// withVerbose is -v without FILEs: a line for standard input at a clean end.
func (f *files) withVerbose(s stages.Filter, env *cli.Env, decompress, test bool) stages.Filter {
	if !*f.verbose {
		return s
	}
	return compfiles.Verbose(s, env.Stderr, compfiles.Options{Decompress: decompress, Test: test}, "")
}
