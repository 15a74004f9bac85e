package compfiles

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/internal/iox"
	"github.com/fpipe/fpipe/internal/term"
	"github.com/fpipe/fpipe/internal/unixfs"
	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/sink"
	"golang.org/x/sys/unix"
)

// Codec is what a tool brings to the file mode: its name, its suffixes and
// its two stages.
type Codec struct {
	Tool string // "fgz"
	// Aliases are other suffixes that -d takes, with the suffix the output
	// gets instead: ".tgz" to ".tar". Compressing a name that ends with
	// one is refused, as with Suffix.
	Aliases map[string]string
	// Compress is the compressing stage. Decompress returns the
	// decompressing stage (also -t's) for the input name, which its
	// errors may give ("db.gz: empty input, not gzip data").
	Compress   stages.Filter
	Decompress func(name string) stages.Filter
	// Note is said by -v after the ratio of each compressed file ("level
	// 19 (best encoder, same output as 10)"); may be empty.
	Note string
}

// Options are the file mode's flags.
type Options struct {
	Decompress bool   // -d
	Test       bool   // -t: decode, write nothing, remove nothing
	Stdout     bool   // -c: write standard output, keep the originals
	Force      bool   // -f: replace an existing output; follow a link; take a file with other links; write a terminal
	Remove     bool   // remove each original after its output is committed
	Suffix     string // -S: ".gz"
	Output     string // fzst -o: the one input's output file
	Verbose    bool   // -v: a line per file with the ratio and the speed
	Quiet      bool   // -q: no line for a refused file (the exit status still says 1)
}

// Check reports a mistake in o for the operands names as a usage error.
func Check(c *Codec, o Options, names []string) error {
	suf := o.Suffix
	switch {
	case suf == "" || strings.ContainsRune(suf, '/') || strings.ContainsRune(suf, 0):
		return cli.Usagef("--suffix %s: not a suffix (not empty, no '/')", cli.Quote(suf))
	case o.Output != "" && o.Stdout:
		return cli.Usagef("-o and -c both name the output: give one")
	case o.Output != "" && o.Test:
		return cli.Usagef("-t writes nothing: -o does not apply")
	case o.Output != "" && len(names) > 1:
		return cli.Usagef("-o names one output: give one FILE, not %d", len(names))
	}
	return nil
}

// Stage returns the job that handles the operands names ("-" is standard
// input and output). It does nothing before the job runs. Its Undo aborts
// the output in progress, so that a signal leaves no temporary file and
// every original in place.
func Stage(c *Codec, o Options, names []string, env *cli.Env) (*cli.Stage, error) {
	if err := Check(c, o, names); err != nil {
		return nil, err
	}
	j := &job{c: c, o: o, env: env, stderr: env.Stderr, suffix: o.Suffix}
	return &cli.Stage{
		Job:  func(ctx context.Context) error { return j.run(ctx, names) },
		Undo: []func() error{j.abort},
	}, nil
}

// job is one run over the operands.
type job struct {
	c      *Codec
	o      Options
	env    *cli.Env
	stderr io.Writer // env.Stderr; -v's lines
	suffix string
	failed bool // a file failed or was refused

	mu  sync.Mutex
	cur *sink.Writer // the output being written
}

// abort aborts the output in progress (a signal).
func (j *job) abort() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.cur != nil {
		return j.cur.Abort()
	}
	return nil
}

func (j *job) setCurrent(w *sink.Writer) {
	j.mu.Lock()
	j.cur = w
	j.mu.Unlock()
}

func (j *job) run(ctx context.Context, names []string) error {
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return err
		}
		err := j.one(ctx, name)
		// Each file's stage allocates its buffers anew (fzst's encoder
		// about 30 MiB): collect the last file's before the next one
		// allocates, or the heap grows to twice a stage's and more (87
		// MiB of RSS over 30 files for fzst, against 30 for one stream).
		runtime.GC()
		if err == nil {
			continue
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errors.Is(err, unix.EPIPE) {
			// Standard output's reader is gone (-c | head): the next
			// files cannot be written either.
			return err
		}
		j.report(err)
	}
	if j.failed {
		return cli.ErrReported
	}
	return nil
}

// report prints err for one file (unless it is a refusal and -q) and marks
// the run failed.
func (j *job) report(err error) {
	j.failed = true
	var r *refusal
	if j.o.Quiet && errors.As(err, &r) {
		return
	}
	j.env.Warn(err) // the first line is also what the relay passes on
}

// refusal is a file the job leaves alone, as gzip warns about it: -q
// silences it, and the run still exits 1.
type refusal struct {
	name, why string
}

func (r *refusal) Error() string { return quote(r.name) + ": " + r.why }

func refuse(name, format string, a ...any) error {
	return &refusal{name, fmt.Sprintf(format, a...)}
}

// quote writes a name as the messages do: as it is, unless it holds a
// control character.
func quote(name string) string {
	if strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return cli.Quote(name)
	}
	return name
}

// one handles one operand.
func (j *job) one(ctx context.Context, name string) error {
	if name == "-" {
		return j.stdin(ctx)
	}
	outBase, err := j.outName(name)
	if err != nil {
		return err
	}
	toFile := !j.o.Stdout && !j.o.Test
	remove := toFile && j.o.Remove
	in, err := openInput(name, j.o.Force || !toFile, remove && !j.o.Force)
	if err != nil {
		return err
	}
	defer in.close()
	if !toFile {
		return j.toStream(ctx, in)
	}
	out := j.o.Output
	if out == "" {
		out = in.sibling(outBase)
		if j.o.Force {
			// fall through: the sink replaces it
		} else if _, ok, _ := statAt(in.dirfd, outBase); ok {
			return refuse(out, "already exists; not overwritten")
		}
	} else if !j.o.Force {
		if _, err := os.Lstat(out); err == nil {
			return refuse(out, "already exists; not overwritten")
		}
	}
	if err := j.toFile(ctx, in, out, j.o.Output == ""); err != nil {
		return err
	}
	if remove {
		return in.remove()
	}
	return nil
}

// outName is the name of name's output in its folder, or a refusal.
func (j *job) outName(name string) (string, error) {
	_, base := unixfs.SplitPath(name)
	if j.o.Decompress || j.o.Test {
		if stem, ok := strings.CutSuffix(base, j.suffix); ok && stem != "" {
			return stem, nil
		}
		for from, to := range j.c.Aliases {
			if stem, ok := strings.CutSuffix(base, from); ok && stem != "" {
				return stem + to, nil
			}
		}
		if j.o.Test || j.o.Stdout || j.o.Output != "" {
			return "", nil // the name gives no output: any name will do
		}
		return "", refuse(name, "unknown suffix -- ignored")
	}
	if j.o.Test || j.o.Stdout || j.o.Output != "" {
		return "", nil
	}
	if strings.HasSuffix(base, j.suffix) {
		return "", refuse(name, "already has %s suffix -- unchanged", j.suffix)
	}
	for from := range j.c.Aliases {
		if strings.HasSuffix(base, from) {
			return "", refuse(name, "already has %s suffix -- unchanged", from)
		}
	}
	return base + j.suffix, nil
}

// filter is the stage the job runs on the input name.
func (j *job) filter(name string) stages.Filter {
	if j.o.Decompress || j.o.Test {
		return j.c.Decompress(name)
	}
	return j.c.Compress
}

// stdin handles "-": standard input to standard output (or -o's file).
func (j *job) stdin(ctx context.Context) error {
	src := &iox.CountingReader{R: j.env.Stdin}
	if j.o.Output != "" {
		return j.streamToFile(ctx, src)
	}
	return j.stream(ctx, src, "stdin", -1)
}

// toStream handles -c and -t for one file.
func (j *job) toStream(ctx context.Context, in *input) error {
	return j.stream(ctx, in.f, in.name, in.st.Size)
}

// stream writes src through the stage to standard output (-t: nowhere).
func (j *job) stream(ctx context.Context, src io.Reader, name string, size int64) error {
	dst := &iox.CountingWriter{W: io.Discard}
	if !j.o.Test {
		if !j.o.Decompress && !j.o.Force && term.IsTerminal(j.env.Stdout) {
			return errors.New("compressed data not written to a terminal (redirect standard output, or -f)")
		}
		dst.W = j.env.Stdout
	}
	start := time.Now()
	_, err := stages.Run(ctx, stages.Chain{Source: src, Filters: []stages.Filter{j.filter(name)}, Sink: stages.StdoutSink(dst)})
	if err != nil {
		return named(name, err)
	}
	if size < 0 {
		if cr, ok := src.(*iox.CountingReader); ok {
			size = cr.N
		}
	}
	j.verbose(name, size, dst.N, time.Since(start), "")
	return nil
}

// streamToFile is fzst -o FILE with standard input.
func (j *job) streamToFile(ctx context.Context, src *iox.CountingReader) error {
	opts := []sink.Option{sink.AllowEmpty()}
	if !j.o.Force {
		opts = append(opts, sink.NoClobber())
	}
	w, err := sink.Create(j.o.Output, opts...)
	if err != nil {
		return j.sinkErr(j.o.Output, err)
	}
	j.setCurrent(w)
	defer j.setCurrent(nil)
	start := time.Now()
	if _, err := stages.Run(ctx, stages.Chain{Source: src, Filters: []stages.Filter{j.filter("stdin")}, Sink: w}); err != nil {
		return named("stdin", err)
	}
	j.verbose("stdin", src.N, w.Written(), time.Since(start), j.o.Output)
	return nil
}

// toFile writes in's output to the file out through the sink, with in's
// mode, owner and times. With beside, out must be in in's own folder.
func (j *job) toFile(ctx context.Context, in *input, out string, beside bool) error {
	opts := []sink.Option{
		sink.Mode(unixfs.Perm(in.st.Mode)),
		sink.Owner(int(in.st.Uid), int(in.st.Gid)),
		sink.Times(time.Unix(in.st.Atim.Unix()), time.Unix(in.st.Mtim.Unix())),
		sink.AllowEmpty(), // -f asked for it; without -f, out does not exist
	}
	if !j.o.Force {
		opts = append(opts, sink.NoClobber())
	}
	if testHookBeforeSink != nil {
		testHookBeforeSink()
	}
	w, err := sink.Create(out, opts...)
	if err != nil {
		return j.sinkErr(out, err)
	}
	j.setCurrent(w)
	defer j.setCurrent(nil)
	if beside {
		if err := in.sameFolder(w); err != nil {
			w.Abort()
			return err
		}
	}
	check := stages.WrapSink(w, stages.SinkHooks{Commit: func(s stages.Sink) error {
		if err := in.unchanged(); err != nil {
			s.Abort()
			return err
		}
		return s.Commit()
	}})
	start := time.Now()
	if _, err := stages.Run(ctx, stages.Chain{Source: in.f, Filters: []stages.Filter{j.filter(in.name)}, Sink: check}); err != nil {
		return named(in.name, err)
	}
	j.verbose(in.name, in.st.Size, w.Written(), time.Since(start), out)
	return nil
}

// testHookBeforeSink, when set by a test, runs between the opening of a
// FILE and the creation of its output.
var testHookBeforeSink func()

func (j *job) sinkErr(out string, err error) error { return SinkError(out, err) }

// SinkError words the refusals of sink.Create for the output out as gzip
// does: "out: already exists; not overwritten".
func SinkError(out string, err error) error {
	if errors.Is(err, unix.EEXIST) {
		return refuse(out, "already exists; not overwritten")
	}
	if errors.Is(err, sink.ErrSymlink) {
		return refuse(out, "is a symbolic link; not replaced")
	}
	return err
}

// named puts the input's name before an error that names no file.
func named(name string, err error) error {
	var pe *fs.PathError
	var se *stages.Error
	var r *refusal
	if errors.As(err, &pe) || errors.As(err, &se) || errors.As(err, &r) {
		return err
	}
	return &fs.PathError{Op: "compfiles", Path: name, Err: err}
}

// verbose prints -v's line for one file, in gzip -v's shape with the
// speed: "db:	 63.5% -- replaced with db.gz, 180.2 MB/s".
func (j *job) verbose(name string, in, out int64, took time.Duration, to string) {
	if !j.o.Verbose {
		return
	}
	secs := max(took.Seconds(), 1e-6)
	var what string
	plain, packed := in, out
	if j.o.Decompress || j.o.Test {
		plain, packed = out, in
	}
	speed := fmt.Sprintf("%.1f MB/s", float64(plain)/secs/1e6)
	ratio := 0.0
	if plain > 0 {
		ratio = 100 * (1 - float64(packed)/float64(plain))
	}
	switch {
	case j.o.Test:
		fmt.Fprintf(j.stderr, "%s:\t OK, %s\n", quote(name), speed)
		return
	case to == "":
		what = "written to stdout"
	case j.o.Remove && name != "stdin":
		what = "replaced with " + quote(to)
	default:
		what = "created " + quote(to)
	}
	if j.c.Note != "" && !j.o.Decompress {
		what += ", " + j.c.Note
	}
	fmt.Fprintf(j.stderr, "%s:\t%5.1f%% -- %s, %s\n", quote(name), ratio, what, speed)
}
