package cli

import (
	"github.com/fpipe/fpipe/internal/option"
	"github.com/spf13/pflag"
)

// FlagError returns nil for a nil err, else the usage error of flag name's
// value that a stage package's Check refused with err: "--name VALUE: why"
// ("--name=VALUE: why" for a flag whose value is optional), why being the
// reason the stage gives apart from the value (option.Error), so that the
// line names the flag once and the value once.
func FlagError(fs *pflag.FlagSet, name string, err error) error {
	if err == nil {
		return nil
	}
	f := fs.Lookup(name)
	what := "--" + name + " " + f.Value.String()
	if f.NoOptDefVal != "" {
		what = "--" + name + "=" + f.Value.String()
	}
	return &UsageError{Err: option.Flag(what, err)}
}
