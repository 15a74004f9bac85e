package fpv

import (
	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/spf13/pflag"
)

// pvOnly are pv's flags that fpv does not have, each with the nearest way.
// They are defined, hidden, so that pv's words are parsed as pv parses them
// (-lp, -w 80, --format=X) and the tool says what to do instead of
// "unknown shorthand flag".
var pvOnly = []struct {
	short, long string
	arg         bool // takes a value
	instead     string
}{
	{"I", "fineta", false, "use -e for the time left"},
	{"T", "buffer-percent", false, "it has no transfer buffer to show"},
	{"A", "last-written", true, "it does not show the data; look at the output (tail -c)"},
	{"F", "format", true, "choose what to show with -p -t -e -r -a -b"},
	{"D", "delay-start", true, "use -W to show nothing until the first byte"},
	{"l", "line-mode", false, "it counts bytes; count lines with wc -l"},
	{"0", "null", false, "it counts bytes; count records with tr -cd '\\0' | wc -c"},
	{"w", "width", true, "it takes the terminal's width (80 columns with -f off a terminal)"},
	{"H", "height", true, "it draws one line"},
	{"c", "cursor", false, "use -N NAME to tell several fpv apart"},
	{"B", "buffer-size", true, "its buffer is fixed, the size of a pipe"},
	{"C", "no-splice", false, "it chooses how to copy by itself"},
	{"E", "skip-errors", false, "a read error ends the stream; copy a failing disk with ddrescue"},
	{"Z", "error-skip-block", true, "a read error ends the stream; copy a failing disk with ddrescue"},
	{"S", "stop-at-size", false, "stop at SIZE with fread --length SIZE FILE | fpv -s SIZE"},
	{"d", "watchfd", true, "it measures only what flows through it"},
	{"R", "remote", true, "start it again with the new flags (frate --rate-file changes a rate as it runs)"},
	{"P", "pidfile", true, "the shell knows its process ID: fpv ... & echo $! > FILE"},
	{"m", "average-rate-window", true, "-a is the average over the whole run"},
	{"x", "extra-display", true, "it writes standard error only"},
	{"v", "stats", false, "its last line gives the bytes, the time and the average rate"},
	{"o", "output", true, "redirect standard output: > FILE, or | fsink FILE to write it safely"},
	{"X", "discard", false, "redirect standard output: > /dev/null"},
	{"U", "store-and-forward", true, "write to a file first: fpv | fsink FILE, then fread FILE"},
	{"Y", "sync", false, "fsink FILE writes and fsyncs its output"},
	{"K", "direct-io", false, "fread --nocache keeps a large copy out of the page cache"},
	{"8", "bits", false, "its rates are in bytes per second"},
	{"k", "si", false, "its sizes are in binary units (KiB, MiB)"},
	{"u", "bar-style", true, "its bar has one style"},
	{"g", "gauge", false, "use -r for the current rate"},
	{"V", "pv-version", false, "use --version"},
}

func definePVOnly(fs *pflag.FlagSet) {
	for _, f := range pvOnly {
		if f.arg {
			fs.StringP(f.long, f.short, "", "")
		} else {
			fs.BoolP(f.long, f.short, false, "")
		}
		fs.MarkHidden(f.long)
	}
}

// pvOnlyGiven is the usage error for the first of pvOnly on the command
// line, or nil.
func pvOnlyGiven(fs *pflag.FlagSet) error {
	for _, f := range pvOnly {
		switch {
		case fs.Changed(f.long) && f.short == "V": // pv's --version is fpv's too
			return cli.Usagef("has no -V: %s", f.instead)
		case fs.Changed(f.long):
			return cli.Usagef("has no -%s (pv's --%s): %s", f.short, f.long, f.instead)
		}
	}
	return nil
}
