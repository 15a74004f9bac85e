package fzst

import (
	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/stages/zst"
	"github.com/spf13/pflag"
)

// zstdOnly are zstd's flags that fzst does not have, each with the nearest
// way (see cli.Foreign).
var zstdOnly = []cli.Foreign{
	{Long: "ultra", What: "--ultra (zstd's levels 20-22)", Instead: ultra},
	{Long: "fast", Arg: "1", What: "--fast (zstd's negative levels)", Instead: "-1 is the fastest fzst writes"},
	{Short: "r", Long: "recursive", What: "-r (zstd's recursive mode)", Instead: `find DIR -type f ! -name '*.zst' -exec sh -c 'fread "$1" | fzst | fsink "$1.zst"' sh {} ';'`},
	{Short: "l", Long: "list", What: "-l (zstd's --list)", Instead: "the size of the data is fzst -d < FILE.zst | wc -c"},
	{Short: "D", Long: "dictionary", Arg: "required", What: "-D (zstd's dictionary)", Instead: "it writes and reads frames without a dictionary; zstd -D uses one"},
	{Long: "train", What: "--train (zstd's dictionary builder)", Instead: "zstd --train makes a dictionary, which fzst cannot use"},
	{Long: "patch-from", Arg: "required", What: "--patch-from (zstd's)", Instead: "it has no diff mode; zstd --patch-from makes and applies patches"},
	{Long: "adapt", Arg: "on", What: "--adapt (zstd's)", Instead: "it keeps the level it is given, so that the same input gives the same bytes: choose one, -1 (fastest) to -19"},
	{Long: "rsyncable", What: "--rsyncable (zstd's)", Instead: "its frames are cut at fixed offsets, so a change shifts every frame after it; zstd --rsyncable cuts them by content"},
	{Long: "format", Arg: "required", What: "--format (zstd's)", Instead: "it writes and reads zstd only; fgz writes and reads gzip"},
	{Long: "single-thread", What: "--single-thread (zstd's)", Instead: "use -T 1; the output is the same whatever -T"},
	{Short: "B", Long: "block-size", Arg: "required", What: "-B (zstd's job size)", Instead: "it sizes its jobs itself; -T sets how many run at once"},
	{Short: "b", Long: "bench", What: "-b (zstd's benchmark)", Instead: bench},
	{Short: "e", Long: "bench-end", What: "-e (zstd's benchmark)", Instead: bench},
	{Short: "i", Long: "bench-time", What: "-i (zstd's benchmark)", Instead: bench},
	{Short: "V", Long: "zstd-version", What: "-V (zstd's --version)", Instead: "use --version"},
	{Short: "H", Long: "zstd-help", What: "-H (zstd's --help)", Instead: "use --help"},
}

const (
	ultra = "-19 is the smallest fzst writes"
	bench = "time fzst -N < FILE | wc -c gives its time and size at level N"
)

// zstdHabits holds what defineZstd defined, for its check.
type zstdHabits struct {
	fs    *pflag.FlagSet
	level *cli.Levels
}

// defineZstd defines zstd's flags that fzst refuses, and ends the level's
// definition (cli.Levels.Seal): call it once fzst's own flags are defined.
// Its check, called first thing when the stage is built, returns the usage
// error for a habit fzst does not take.
func defineZstd(fs *pflag.FlagSet, level *cli.Levels) func(args []string, env *cli.Env) error {
	cli.DefineForeign(fs, zstdOnly)
	level.Seal(fs)
	return (&zstdHabits{fs, level}).check
}

func (h *zstdHabits) check(args []string, env *cli.Env) error {
	if err := cli.ForeignGiven(h.fs, zstdOnly); err != nil {
		return err
	}
	return levelError(h.level)
}

// levelError is the usage error for a level written as -N that fzst does
// not take: zstd's --ultra levels 20-22 and the rest. A level given with
// --level is the stage's to check.
func levelError(l *cli.Levels) error {
	switch {
	case l.Digits == "" || l.V >= zst.MinLevel && l.V <= zst.MaxLevel:
		return nil
	case l.V >= 20 && l.V <= 22:
		return cli.Usagef("has no -%s (zstd's --ultra levels 20-22): %s", l.Digits, ultra)
	}
	return cli.Usagef("no level %s: levels are -1 (fastest) to -19 (smallest), default -3", l.Digits)
}
