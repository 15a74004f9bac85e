// Package fsink defines the fsink tool: its flags, its help, and how its
// sink stage is built from its words.
package fsink

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/cmd/internal/dated"
	"github.com/fpipe/fpipe/cmd/internal/s3flags"
	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/sink"
	"github.com/spf13/pflag"
)

// Tool is fsink's definition.
var Tool = &cli.Tool{
	Name:    "fsink",
	Usage:   "PATH",
	Summary: "Write standard input to PATH atomically and durably, or not at all.",
	Details: `The data goes to a temporary file beside PATH; only when the input ended
cleanly is it fsynced and renamed over PATH, and the folder fsynced. On any
error, and on SIGTERM, SIGINT or SIGHUP (unless ignored at start), the
temporary file is removed and PATH is left as it was. PATH - writes to
standard output, with none of these guarantees. PATH s3://BUCKET/KEY is an
object, uploaded in parts and completed only then, or aborted (fsink(1)).

PATH may hold placeholders, expanded once per run (one instant for every
output of an fpipe pipeline): {date} (2006-01-02), {time} (150405),
{utcdate}, {utctime} (the same in UTC) and {host} (the host name up to its
first dot); {{ is a literal {. They need no % (which crontab turns into a
newline): fsink /backup/db-{date}.sql.gz. $FPIPE_TIME (Unix seconds or
RFC 3339) sets the instant instead of the clock.

--keep N, after a commit and only then, removes the oldest files of the
same template in PATH's folder beyond the newest N, the file just written
always among them. Only regular files of this user whose whole name the
template makes (each placeholder as its digits, {host} as this host) count
and are removed, oldest by the dates in their names; files dated after the
new one are left alone; a failed run removes nothing. A file that cannot
be removed is a warning; the exit status stays 0.`,
	Define: define,
}

func define(fs *pflag.FlagSet) cli.Build {
	noSync := fs.Bool("no-sync", false, "skip fsync: still atomic, but not durable across a crash")
	noClobber := fs.BoolP("no-clobber", "n", false, "fail if PATH exists")
	appendTo := fs.BoolP("append", "a", false, "append to PATH and fsync (not atomic)")
	mode := fs.String("mode", "", "permission bits of PATH in octal (default: kept, or 0666 minus umask)")
	allowEmpty := fs.Bool("allow-empty", false, "let an empty input replace a non-empty PATH")
	follow := fs.Bool("follow", false, "if PATH is a symbolic link, replace its target")
	keep := fs.Int("keep", 0, "after a commit, remove the oldest files of PATH's template beyond the newest `N`")
	s3f := s3flags.DefineSink(fs)
	return func(args []string, env *cli.Env) (*cli.Stage, error) {
		if len(args) != 1 {
			return nil, cli.Usagef("expected one PATH, got %d", len(args))
		}
		tmpl, err := dated.Parse(args[0])
		if err != nil {
			return nil, &cli.UsageError{Err: err}
		}
		keepSet := fs.Changed("keep")
		if s3flags.IsURL(args[0]) && keepSet {
			return nil, cli.Usagef("--keep does not apply to s3:// destinations")
		}
		if keepSet {
			if err := keepUsage(*keep, tmpl, args[0], *follow, *appendTo); err != nil {
				return nil, err
			}
		}
		if args[0] != "-" {
			dest, err := dated.ExpandNow(tmpl)
			if err != nil {
				return nil, &cli.UsageError{Err: err}
			}
			args = []string{dest}
		}
		if s3flags.IsURL(args[0]) {
			return s3Stage(fs, s3f, args[0], env)
		}
		if g := s3f.Given(); len(g) > 0 {
			return nil, cli.Usagef("%s applies to s3:// destinations only", g[0])
		}
		var opts []sink.Option
		if *noSync {
			opts = append(opts, sink.NoSync())
		}
		if *noClobber {
			opts = append(opts, sink.NoClobber())
		}
		if *appendTo {
			opts = append(opts, sink.Append())
		}
		if *allowEmpty {
			opts = append(opts, sink.AllowEmpty())
		}
		if *follow {
			opts = append(opts, sink.Follow())
		}
		if *mode != "" {
			m, err := strconv.ParseUint(*mode, 8, 32)
			if err != nil || m > 0o7777 {
				return nil, cli.Usagef("invalid argument %q for \"--mode\" flag: not an octal mode", *mode)
			}
			opts = append(opts, sink.Mode(octalMode(uint32(m))))
		}
		if args[0] == "-" {
			return &cli.Stage{}, nil
		}
		w, err := sink.Create(args[0], opts...)
		if err != nil {
			return nil, withHint(err)
		}
		for _, name := range w.Interrupted() {
			fmt.Fprintf(env.Stderr, "%s: %s\n", env.Tool, cli.Message(interrupted(name, args[0])))
		}
		var out stages.Sink = w
		var closeDir func() error
		if keepSet {
			p, err := newPruned(w, tmpl, *keep, env)
			if err != nil {
				w.Abort()
				return nil, err
			}
			out, closeDir = p, p.close
		}
		s := stages.WrapSink(out, stages.SinkHooks{Errors: withHint})
		return &cli.Stage{Sink: s, Undo: []func() error{w.Abort}, Close: closeDir}, nil
	}
}

// hints say which flag changes a refusal of the sink stage.
var hints = []struct {
	err  error
	hint string
}{
	{sink.ErrSymlink, "use --follow to replace its target"},
	{sink.ErrEmpty, "use --allow-empty to allow it"},
}

// withHint adds to a refusal the flag that changes it, inside the path
// error, so the message stays "PATH: why (hint)".
func withHint(err error) error {
	for _, h := range hints {
		if !errors.Is(err, h.err) {
			continue
		}
		if pe, ok := err.(*fs.PathError); ok {
			return &fs.PathError{Op: pe.Op, Path: pe.Path, Err: &hinted{pe.Err, h.hint}}
		}
		return &hinted{err, h.hint}
	}
	return err
}

type hinted struct {
	err  error
	hint string
}

func (h *hinted) Error() string { return h.err.Error() + " (" + h.hint + ")" }
func (h *hinted) Unwrap() error { return h.err }

// interrupted is the report of an old version that a commit of several
// outputs (the data and its sum file) left when it died between its
// renames. It is not restored: which outputs were renamed before the
// crash is not known, so only the user can tell which version is right.
func interrupted(old, dest string) error {
	return fmt.Errorf("%s: left by a commit that was interrupted (a crash or SIGKILL between renames): it is the version of %s before that commit; check %s against its sum file, then remove %s, or rename it back over %s", old, dest, dest, old, dest)
}

// octalMode turns Unix mode bits (04755) into an fs.FileMode.
func octalMode(m uint32) fs.FileMode {
	fm := fs.FileMode(m & 0o777)
	if m&0o4000 != 0 {
		fm |= fs.ModeSetuid
	}
	if m&0o2000 != 0 {
		fm |= fs.ModeSetgid
	}
	if m&0o1000 != 0 {
		fm |= fs.ModeSticky
	}
	return fm
}
