package fread

import (
	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/cmd/internal/s3cli"
)

// s3Source builds the source for one s3:// object.
func s3Source(args []string, env *cli.Env, pathStyle bool, offset, length cli.Size) (*cli.Stage, error) {
	if len(args) != 1 {
		return nil, cli.Usagef("an s3:// object is read alone, not with other FILEs")
	}
	l := int64(-1)
	if length.Given {
		l = length.V
	}
	r, err := s3cli.Source(env.Ctx, args[0], pathStyle, offset.V, l)
	if err != nil {
		return nil, err
	}
	return &cli.Stage{Source: r, Close: r.Close}, nil
}
