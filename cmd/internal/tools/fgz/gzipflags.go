package fgz

import (
	"io"
	"os"
	"strings"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/stages/gz"
	"github.com/spf13/pflag"
)

// levelNames are the digit flags shown in --help, as gzip names them.
var levelNames = map[int][2]string{
	1: {"fast", "compress faster (level 1)"},
	9: {"best", "compress better (level 9)"},
}

// gzipOnly are gzip's and pigz's flags that fgz does not have, each with the
// nearest way (see cli.Foreign).
var gzipOnly = []cli.Foreign{
	{Short: "l", Long: "list", What: "-l (gzip's --list)", Instead: "the size of the data is fgz -d < FILE.gz | wc -c"},
	{Short: "r", Long: "recursive", What: "-r (gzip's --recursive)", Instead: `find DIR -type f ! -name '*.gz' -exec sh -c 'fread "$1" | fgz | fsink "$1.gz"' sh {} ';'`},
	{Short: "a", Long: "ascii", What: "-a (gzip's --ascii)", Instead: "it compresses the bytes as they are, as gzip does on Unix: leave out -a"},
	{Short: "L", Long: "license", What: "-L (gzip's --license)", Instead: "fgz is free software under the MIT license; fgz --version gives its version"},
	{Short: "V", Long: "gzip-version", What: "-V (gzip's --version)", Instead: "use --version"},
	{Short: "R", Long: "rsyncable", What: "--rsyncable (pigz's -R)", Instead: "its blocks are cut every --block-size bytes, so a change shifts every block after it; gzip --rsyncable cuts them by content"},
	{Short: "Y", Long: "synchronous", What: "--synchronous (pigz's -Y)", Instead: "fgz | fsink FILE writes FILE and fsyncs it, and its folder, before it counts"},
	{Short: "z", Long: "zlib", What: "-z (pigz's --zlib)", Instead: "it writes gzip only; pigz -z writes zlib"},
	{Short: "K", Long: "zip", What: "-K (pigz's --zip)", Instead: "it writes gzip only; zip writes zip"},
	{Short: "C", Long: "comment", Arg: "required", What: "-C (pigz's --comment)", Instead: "its gzip header holds no comment; keep the note in a file beside the archive"},
	{Short: "A", Long: "alias", Arg: "required", What: "-A (pigz's --alias)", Instead: "it names a zip entry, and fgz writes gzip only"},
	{Short: "H", Long: "huffman", What: "-H (pigz's --huffman)", Instead: "it has no deflate strategies; -1 is the fastest fgz writes"},
	{Short: "U", Long: "rle", What: "-U (pigz's --rle)", Instead: "it has no deflate strategies; -1 is the fastest fgz writes"},
	{Short: "F", Long: "first", What: "-F (pigz's --first, for -11)", Instead: zopfli},
	{Short: "I", Long: "iterations", Arg: "required", What: "-I (pigz's --iterations, for -11)", Instead: zopfli},
	{Short: "J", Long: "maxsplits", Arg: "required", What: "-J (pigz's --maxsplits, for -11)", Instead: zopfli},
	{Short: "O", Long: "oneblock", What: "-O (pigz's --oneblock, for -11)", Instead: zopfli},
}

const zopfli = "fgz has no -11 (pigz's zopfli): -9 is the smallest fgz writes"

// gzipHabits holds what defineGzip defined, for its check.
type gzipHabits struct {
	fs        *pflag.FlagSet
	level     *cli.Levels
	blockSize *rawValue
}

// rawValue keeps the words a flag's value was written with.
type rawValue struct {
	pflag.Value
	raw string
}

func (r *rawValue) Set(s string) error {
	r.raw = s
	return r.Value.Set(s)
}

// defineGzip defines gzip's and pigz's flags that fgz accepts or refuses,
// and ends the level's definition (cli.Levels.Seal): call it once fgz's own
// flags are defined. Its check, called first thing when the stage is built,
// returns the usage error for a habit fgz does not take.
func defineGzip(fs *pflag.FlagSet, level *cli.Levels) func(args []string, env *cli.Env) error {
	fs.BoolP("no-name", "n", false, "accepted: fgz stores no name and no time, and -d restores none (as gzip -n)")
	fs.BoolP("name", "N", false, "accepted reading a pipe, where gzip -N stores no name or time either, and with -d or -t on standard input; refused for a file")
	fs.BoolP("no-time", "m", false, "accepted: fgz stores no time (as pigz -m)")
	fs.BoolP("time", "M", false, "accepted with -d or -t on standard input (nothing to restore); refused when compressing (pigz -M stores a time)")
	fs.BoolP("independent", "i", false, "accepted: each block is a gzip member of its own, independent of the others (as pigz -i); not with --single-member")
	fs.BoolP("no-time-T", "T", false, "") // pigz's former spelling of -m
	fs.MarkHidden("no-time-T")
	cli.DefineForeign(fs, gzipOnly)
	h := &gzipHabits{fs: fs, level: level}
	if f := fs.Lookup("block-size"); f != nil {
		h.blockSize = &rawValue{Value: f.Value}
		f.Value = h.blockSize
	}
	level.Seal(fs)
	return h.check
}

func (h *gzipHabits) check(args []string, env *cli.Env) error {
	if err := cli.ForeignGiven(h.fs, gzipOnly); err != nil {
		return err
	}
	if err := levelError(h.level); err != nil {
		return err
	}
	decode := h.on("decompress") || h.on("test")
	files := false // FILE operands other than "-" (standard input)
	for _, a := range args {
		files = files || a != "-"
	}
	switch {
	case h.on("independent") && h.on("single-member"):
		return cli.Usagef("--independent and --single-member: -i is fgz's default, one gzip member per block")
	case h.on("name") && !decode && (files || regular(env.Stdin)):
		return cli.Usagef("has no -N (gzip's --name) for a file: fgz stores no name and no time in the gzip header, so that the same data gives the same bytes; keep the time on FILE.gz (touch -r FILE FILE.gz)")
	case h.on("time") && !decode:
		return cli.Usagef("has no -M (pigz's --time) when compressing: fgz stores no time in the gzip header, so that the same data gives the same bytes; keep the time on FILE.gz (touch -r FILE FILE.gz)")
	case (h.on("name") || h.on("time")) && h.on("decompress") && files:
		return cli.Usagef("has no -N or -M with -d and files: fgz -d names FILE after FILE.gz and gives it FILE.gz's time, as gzip -n does; the header holds no name or time to restore")
	}
	if !decode && h.blockSize != nil {
		return pigzBlockSize(h.blockSize.raw)
	}
	return nil
}

// on tells whether the boolean flag name was set to true.
func (h *gzipHabits) on(name string) bool {
	v, err := h.fs.GetBool(name)
	return err == nil && v
}

// levelError is the usage error for a level written as -N that gzip or
// pigz would not take, or that pigz takes and fgz does not (-11, zopfli).
// A level given with --level is the stage's to check.
func levelError(l *cli.Levels) error {
	switch {
	case l.Digits == "" || l.V >= 0 && l.V <= 9:
		return nil
	case l.V == 11:
		return cli.Usagef("has no -%s (pigz's zopfli): -9 is the smallest fgz writes", l.Digits)
	}
	return cli.Usagef("no level %s: levels are -1 (fastest) to -9 (smallest), and -0 (store)", l.Digits)
}

// pigzBlockSize is the usage error for -b written as pigz counts it, a
// bare number of KiB (pigz -b 128) that as bytes is below fgz's smallest
// block but as KiB is a block size fgz takes.
func pigzBlockSize(raw string) error {
	if raw == "" || strings.Trim(raw, "0123456789") != "" || len(raw) > 5 {
		return nil
	}
	n, err := cli.ParseSize(raw)
	if err != nil || n >= gz.MinBlockSize || n*1024 < gz.MinBlockSize {
		return nil // fgz's own message: out of range 64KiB-256MiB
	}
	return cli.Usagef("--block-size %s: pigz's -b counts KiB: write -b %sKiB", raw, raw)
}

// regular tells whether r is a regular file (standard input redirected
// from one), whose name and time gzip -N would store.
func regular(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode().IsRegular()
}
