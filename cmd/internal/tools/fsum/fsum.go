// Package fsum defines the fsum tool: its flags, its help, and how its
// stage (a pass-through filter) or its job (sums of files, --check) is
// built from its words.
package fsum

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/cmd/internal/dated"
	"github.com/fpipe/fpipe/cmd/internal/s3flags"
	"github.com/fpipe/fpipe/internal/option"
	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/sink"
	"github.com/fpipe/fpipe/stages/sum"
	"github.com/spf13/pflag"
)

// Tool is fsum's definition.
var Tool = &cli.Tool{
	Name:    "fsum",
	Usage:   "[FILE...]",
	Summary: "Hash standard input as it passes to standard output, or hash or check FILEs like sha256sum.",
	Details: `With no FILE, fsum is a filter: standard input goes to standard output
unchanged, and at a clean end of input the sum lines go to stderr, or to
--out FILE (written atomically and durably, as fsink writes). The lines
record --name; or, under fpipe, the name of an fsink that stores the
stream unchanged; or else FILE's name without its folder and its suffix
(-o /b/db.gz.sha256: db.gz; a FILE without .sha256, .sha512, .sha1, .md5,
.b3 or .blake3 needs --name). --verify SUMFILE instead fails the stream
(exit 1) unless its digest is the one SUMFILE gives for --name.

With FILEs, fsum prints their sums on standard output, as sha256sum does.
With --check, the FILEs are sum files whose lines are checked, as
sha256sum -c checks them, except that names of FIFOs and devices fail
("FAILED not a regular file") instead of hanging. Without --algo, the
length of an untagged line's digest gives its algorithm: 8 hex digits
crc32c, 32 md5, 40 sha1, 128 sha512, 64 sha256 (b3sum's lines too: when
none of a file's 64-digit lines match, fsum says to pass -a blake3). With
--algo, every untagged line is of that algorithm, as in sha256sum.

Lines are byte-identical to GNU coreutils 9.1's; ALGO is sha256 (default),
sha512, sha1, md5, blake3 or crc32c.`,
	Define: define,
}

type flags struct {
	algos                              []string
	out, name, verify, root            string
	tag, zero, binary, text            bool
	check, strict, status, quiet, warn bool
	ignoreMissing, noSync              bool
	fs                                 *pflag.FlagSet
}

func define(fs *pflag.FlagSet) cli.Build {
	f := &flags{fs: fs}
	fs.StringArrayVarP(&f.algos, "algo", "a", nil, "digest `ALGO`: sha256, sha512, sha1, md5, blake3, crc32c; repeat for one line each (default sha256)")
	fs.StringVarP(&f.out, "out", "o", "", "write the sum lines to `FILE`, atomically and only after a clean end (filter: default stderr)")
	fs.StringVar(&f.name, "name", "", "file `NAME` recorded in the lines of a filter (default: the fsink's under fpipe, or --out's FILE less its folder and suffix, else \"-\"), and the line --verify uses")
	fs.StringVar(&f.verify, "verify", "", "filter: fail at the end of input unless the digest is the one `SUMFILE` gives")
	fs.BoolVar(&f.tag, "tag", false, "write tagged lines: SHA256 (name) = hex")
	fs.BoolVarP(&f.zero, "zero", "z", false, "end lines with NUL, not newline, and do not escape names")
	fs.BoolVarP(&f.binary, "binary", "b", false, "mark names with '*' (binary mode), as sha256sum -b")
	fs.BoolVarP(&f.text, "text", "t", false, "mark names with ' ' (text mode, the default)")
	fs.BoolVarP(&f.check, "check", "c", false, "check the sums listed in the FILEs (sum files; none or -: standard input)")
	fs.BoolVar(&f.ignoreMissing, "ignore-missing", false, "check: skip files that do not exist")
	fs.BoolVar(&f.quiet, "quiet", false, "check: do not print OK for each file that matches")
	fs.BoolVar(&f.status, "status", false, "check: print nothing; the exit status tells")
	fs.BoolVar(&f.strict, "strict", false, "check: exit 1 on improperly formatted lines")
	fs.BoolVarP(&f.warn, "warn", "w", false, "check: warn about each improperly formatted line")
	fs.StringVar(&f.root, "root", "", "open every named file inside `DIR`, never outside it (no .., absolute paths or links out)")
	fs.BoolVar(&f.noSync, "no-sync", false, "with --out, skip fsync: still atomic, not durable across a crash")
	return func(args []string, env *cli.Env) (*cli.Stage, error) { return f.build(args, env) }
}

func (f *flags) given(name string) bool { return f.fs.Changed(name) }

// algorithms parses --algo; explicit reports whether it was given.
func (f *flags) algorithms() (algos []sum.Algorithm, explicit bool, err error) {
	for _, v := range f.algos {
		for _, s := range strings.Split(v, ",") {
			a, err := sum.ParseAlgorithm(strings.TrimSpace(s))
			if err != nil {
				return nil, false, &cli.UsageError{Err: option.Flag("--algo "+cli.Quote(s), err)}
			}
			algos = append(algos, a)
		}
	}
	if len(algos) == 0 {
		return []sum.Algorithm{sum.SHA256}, false, nil
	}
	return algos, true, nil
}

func (f *flags) format() sum.Format {
	return sum.Format{Tag: f.tag, Binary: f.binary && !f.text, Zero: f.zero}
}

func (f *flags) build(args []string, env *cli.Env) (*cli.Stage, error) {
	algos, explicit, err := f.algorithms()
	if err != nil {
		return nil, err
	}
	if f.binary && f.text {
		return nil, cli.Usagef("--binary and --text are mutually exclusive")
	}
	if f.check {
		return f.buildCheck(args, env, algos, explicit)
	}
	for _, fl := range []string{"ignore-missing", "quiet", "status", "strict", "warn"} {
		if f.given(fl) {
			return nil, cli.Usagef("the --%s option is meaningful only when verifying checksums (--check)", fl)
		}
	}
	if f.given("root") && len(args) == 0 {
		return nil, cli.Usagef("--root applies to FILEs and --check, not to a filter")
	}
	if len(args) > 0 {
		for _, fl := range []string{"verify", "name"} {
			if f.given(fl) {
				return nil, cli.Usagef("--%s applies to the filter (no FILE), not to FILEs", fl)
			}
		}
		return f.buildFiles(args, env, algos)
	}
	return f.buildFilter(env, algos, explicit)
}

// output opens --out; nil without it.
func (f *flags) output(env *cli.Env) (stages.Sink, error) {
	if !f.given("out") {
		return nil, nil
	}
	if f.out == "" || f.out == "-" {
		return nil, cli.Usagef("--out needs a file name (the lines go to stderr without it)")
	}
	out, err := dated.Expand(f.out) // placeholders, as fsink takes them
	if err != nil {
		return nil, &cli.UsageError{Err: err}
	}
	if s3flags.IsURL(out) {
		if !s3flags.Linked() {
			return nil, s3flags.NotLinked("fsum")
		}
		return s3flags.SumSink(env.Ctx, out)
	}
	var opts []sink.Option
	if f.noSync {
		opts = append(opts, sink.NoSync())
	}
	return sink.Create(out, opts...)
}

func (f *flags) buildFilter(env *cli.Env, algos []sum.Algorithm, explicit bool) (*cli.Stage, error) {
	name := "-"
	if f.given("name") {
		if f.name == "" {
			return nil, cli.Usagef("--name needs a name")
		}
		n, err := dated.Expand(f.name) // the name of a dated -o's file
		if err != nil {
			return nil, &cli.UsageError{Err: err}
		}
		name = n
	} else if f.given("out") && !f.given("verify") {
		n, err := outName(f.out, env.Sink)
		if err != nil {
			return nil, err
		}
		name = n
	}
	opts := []sum.Option{sum.Algorithms(algos...), sum.Name(name), sum.WithFormat(f.format())}
	if f.given("verify") {
		if len(algos) > 1 {
			return nil, cli.Usagef("--verify takes at most one --algo")
		}
		if f.verify == "-" || f.verify == "" {
			return nil, cli.Usagef("--verify needs a sum file other than standard input (the stream itself)")
		}
		want, vname, err := expected(f.verify, name, f.given("name"), algos[0], explicit)
		if err != nil {
			return nil, err
		}
		if !f.given("name") {
			opts = append(opts, sum.Name(vname))
		}
		opts = append(opts, sum.Expect(want...))
	}
	// Check the options now, before --out is opened, so that a mistake is
	// a usage error. (The options above come from parsed words, but the
	// check is the stage's to make.)
	if err := sum.Check(opts...); err != nil {
		return nil, &cli.UsageError{Err: err}
	}
	out, err := f.output(env)
	if err != nil {
		return nil, err
	}
	st := &cli.Stage{}
	switch {
	case out != nil:
		opts = append(opts, sum.Output(out))
		st.Undo = []func() error{out.Abort}
		st.Close = out.Abort // after the run: a no-op once committed
	case !f.given("verify"):
		opts = append(opts, sum.Output(stages.StdoutSink(env.Stderr)))
	}
	filter := sum.Filter(opts...)
	filter.Name = "" // the tool names its errors
	st.Filter = &filter
	return st, nil
}

// sumSuffixes are the endings of sum files that nameFromOut takes off.
var sumSuffixes = []string{".sha256", ".sha512", ".sha1", ".md5", ".b3", ".blake3"}

// outName is the name a filter's lines record when --out is given without
// --name: under fpipe, the name of the fsink that stores the stream as it
// leaves fsum (sink, from Env.Sink), without its folder; else nameFromOut.
func outName(out, sink string) (string, error) {
	if sink != "" {
		if exp, err := dated.Expand(sink); err == nil { // else fsink reports it
			if n := path.Base(exp); n != "." && n != ".." && n != "/" {
				return n, nil
			}
		}
	}
	return nameFromOut(out)
}

// nameFromOut is the name a filter's lines record when --out is given
// without --name: the sum file's own name, its placeholders expanded,
// without its folder and its suffix ("/b/db.gz.sha256": "db.gz"), since a
// sum file is checked from its folder. A FILE without one of sumSuffixes
// does not say which file it describes: a usage error, rather than a line
// for "-" that verifies nothing.
func nameFromOut(out string) (string, error) {
	if out == "" || out == "-" {
		return "-", nil // output() refuses it
	}
	exp, err := dated.Expand(out)
	if err != nil {
		return "", &cli.UsageError{Err: err}
	}
	base := path.Base(exp)
	for _, suf := range sumSuffixes {
		if n, ok := strings.CutSuffix(base, suf); ok && n != "" && n != "." && n != ".." {
			return n, nil
		}
	}
	return "", cli.Usagef("--out %s: which file do the sums describe? pass --name NAME (or end FILE with %s or %s)", quote(out), strings.Join(sumSuffixes[:len(sumSuffixes)-1], ", "), sumSuffixes[len(sumSuffixes)-1])
}

// expected reads the digests that --verify expects from the sum file.
// Without --name the file must hold one sum line (or several, of different
// algorithms, for one name); its name is returned for messages. The file is
// streamed: what is kept is two lines at most, and one per algorithm for
// the name, however long the file.
func expected(path string, name string, named bool, def sum.Algorithm, explicit bool) ([]sum.Sum, string, error) {
	display := path
	fh, err := os.Open(path)
	if err != nil {
		return nil, "", err
	}
	defer fh.Close()
	sc := sum.NewScanner(fh, sum.NewParser(def, explicit))
	var all, match []sum.Line
	var twice sum.Algorithm // an algorithm with a second line for the name
	for {
		l, err := sc.NextRaw()
		if err == io.EOF {
			break
		}
		if errors.Is(err, sum.ErrLongLine) {
			return nil, "", fmt.Errorf("%s: %d: line longer than %d bytes: not a checksum line", quote(display), sc.Line(), sum.MaxLineLength)
		}
		if errors.Is(err, sum.ErrMalformed) {
			return nil, "", fmt.Errorf("%s: %d: improperly formatted %s checksum line", quote(display), sc.Line(), def.Tag())
		}
		if err != nil {
			return nil, "", &os.PathError{Op: "read", Path: display, Err: unwrapPath(err)}
		}
		if len(all) < 2 {
			all = append(all, l.Line())
		}
		if !named || string(l.Name) != name {
			continue
		}
		if i := slices.IndexFunc(match, func(m sum.Line) bool { return m.Algorithm == l.Algorithm }); i >= 0 {
			if twice == 0 {
				twice = l.Algorithm
			}
			continue
		}
		match = append(match, l.Line())
	}
	switch {
	case len(all) == 0:
		return nil, "", fmt.Errorf("%s: no properly formatted checksum lines found", quote(display))
	case named && len(match) == 0:
		return nil, "", fmt.Errorf("%s: no checksum line for %s", quote(display), quote(name))
	case !named && len(all) > 1:
		return nil, "", fmt.Errorf("%s: more than one checksum line; choose one with --name", quote(display))
	case twice != 0:
		return nil, "", fmt.Errorf("%s: more than one %s line for %s", quote(display), twice, quote(name))
	case !named:
		match, name = all, all[0].Name
	}
	var sums []sum.Sum
	for _, l := range match {
		sums = append(sums, sum.Sum{Algorithm: l.Algorithm, Digest: l.Digest})
	}
	return sums, name, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
