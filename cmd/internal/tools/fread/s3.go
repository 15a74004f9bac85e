package fread

import (
	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/cmd/internal/s3flags"
)

// s3Source builds the source for one s3:// object, through the S3 code
// (fs3 runs it where it is not linked).
func s3Source(args []string, env *cli.Env, pathStyle bool, offset, length cli.Size) (*cli.Stage, error) {
	if len(args) != 1 {
		return nil, cli.Usagef("an s3:// object is read alone, not with other FILEs")
	}
	if !s3flags.Linked() {
		return nil, s3flags.NotLinked("fread")
	}
	l := int64(-1)
	if length.Given {
		l = length.V
	}
	return s3flags.BuildSource(args[0], pathStyle, offset.V, l, env)
}
