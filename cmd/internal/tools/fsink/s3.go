package fsink

import (
	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/cmd/internal/s3flags"
	"github.com/spf13/pflag"
)

// s3Stage builds the sink for an s3:// destination, or the
// --s3-abort-stale job, through the S3 code (fs3 runs it where it is not linked).
func s3Stage(fs *pflag.FlagSet, f *s3flags.SinkFlags, dest string, env *cli.Env) (*cli.Stage, error) {
	for _, n := range []string{"append", "mode", "follow", "no-sync"} {
		if fs.Changed(n) {
			return nil, cli.Usagef("--%s does not apply to s3:// destinations", n)
		}
	}
	if !s3flags.Linked() {
		return nil, s3flags.NotLinked("fsink")
	}
	noClobber, _ := fs.GetBool("no-clobber")
	allowEmpty, _ := fs.GetBool("allow-empty")
	return s3flags.BuildSink(f, dest, noClobber, allowEmpty, env)
}
