package cli

import "github.com/spf13/pflag"

// Foreign is a flag of the program a tool stands in for (gzip's -l, zstd's
// --ultra) that the tool does not have. DefineForeign defines such flags
// hidden, so that the other program's words parse as it parses them
// (-lv, -C TEXT, --fast=3), and ForeignGiven turns the first one given
// into one line with the nearest way, instead of pflag's "unknown flag".
type Foreign struct {
	Short, Long string // Long is required; a hidden name if the program has none
	Arg         string // "": no value; "required"; else the value when none is given (--fast)
	What        string // the flag as the user knows it: "-l (gzip's --list)"
	Instead     string // the nearest way
}

// DefineForeign defines each flag of list on fs, hidden.
func DefineForeign(fs *pflag.FlagSet, list []Foreign) {
	for _, f := range list {
		if f.Arg == "" {
			fs.BoolP(f.Long, f.Short, false, "")
		} else {
			fs.StringP(f.Long, f.Short, "", "")
			if f.Arg != "required" {
				fs.Lookup(f.Long).NoOptDefVal = f.Arg
			}
		}
		fs.MarkHidden(f.Long)
	}
}

// ForeignGiven returns the usage error "has no WHAT: INSTEAD" for the
// first flag of list that was given, or nil.
func ForeignGiven(fs *pflag.FlagSet, list []Foreign) error {
	for _, f := range list {
		if fs.Changed(f.Long) {
			return Usagef("has no %s: %s", f.What, f.Instead)
		}
	}
	return nil
}
