package fsink

import (
	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/cmd/internal/s3cli"
	"github.com/fpipe/fpipe/stages/s3"
	"github.com/spf13/pflag"
)

// s3Stage builds the sink for an s3:// destination, or the
// --s3-abort-stale job.
func s3Stage(fs *pflag.FlagSet, f *s3cli.SinkFlags, dest string, env *cli.Env) (*cli.Stage, error) {
	for _, n := range []string{"append", "mode", "follow", "no-sync"} {
		if fs.Changed(n) {
			return nil, cli.Usagef("--%s does not apply to s3:// destinations", n)
		}
	}
	if f.AbortStale() {
		return f.Stale(dest, env)
	}
	if fs.Changed("older-than") {
		return nil, cli.Usagef("--older-than applies to --s3-abort-stale only")
	}
	var opts []s3.Option
	if v, _ := fs.GetBool("no-clobber"); v {
		opts = append(opts, s3.NoClobber())
	}
	if v, _ := fs.GetBool("allow-empty"); v {
		opts = append(opts, s3.AllowEmpty())
	}
	w, err := f.Sink(env.Ctx, dest, opts...)
	if err != nil {
		return nil, err
	}
	return &cli.Stage{Sink: w, Undo: []func() error{w.Abort}}, nil
}
