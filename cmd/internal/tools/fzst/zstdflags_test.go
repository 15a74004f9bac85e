package fzst

import (
	"errors"
	"io"
	"testing"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/spf13/pflag"
)

// TestZstdHabitsRefused: zstd's flags that fzst does not have are a usage
// error with one line and the nearest way.
func TestZstdHabitsRefused(t *testing.T) {
	for _, tc := range []struct {
		words []string
		msg   string
	}{
		{[]string{"--ultra", "-22"}, "has no --ultra (zstd's levels 20-22): -19 is the smallest fzst writes"},
		{[]string{"--ultra"}, "has no --ultra (zstd's levels 20-22): -19 is the smallest fzst writes"},
		{[]string{"--fast"}, "has no --fast (zstd's negative levels): -1 is the fastest fzst writes"},
		{[]string{"--fast=5"}, "has no --fast (zstd's negative levels): -1 is the fastest fzst writes"},
		{[]string{"-r"}, "has no -r (zstd's recursive mode): " + zstdOnly[2].Instead},
		{[]string{"-l"}, "has no -l (zstd's --list): the size of the data is fzst -d < FILE.zst | wc -c"},
		{[]string{"--list"}, "has no -l (zstd's --list): the size of the data is fzst -d < FILE.zst | wc -c"},
		{[]string{"-D", "dict"}, "has no -D (zstd's dictionary): it writes and reads frames without a dictionary; zstd -D uses one"},
		{[]string{"--train"}, "has no --train (zstd's dictionary builder): zstd --train makes a dictionary, which fzst cannot use"},
		{[]string{"--patch-from=old"}, "has no --patch-from (zstd's): it has no diff mode; zstd --patch-from makes and applies patches"},
		{[]string{"--adapt"}, "has no --adapt (zstd's): it keeps the level it is given, so that the same input gives the same bytes: choose one, -1 (fastest) to -19"},
		{[]string{"--adapt=min=3,max=9"}, "has no --adapt (zstd's): it keeps the level it is given, so that the same input gives the same bytes: choose one, -1 (fastest) to -19"},
		{[]string{"--rsyncable"}, "has no --rsyncable (zstd's): " + zstdOnly[8].Instead},
		{[]string{"--format=gzip"}, "has no --format (zstd's): it writes and reads zstd only; fgz writes and reads gzip"},
		{[]string{"--single-thread"}, "has no --single-thread (zstd's): use -T 1; the output is the same whatever -T"},
		{[]string{"-B1M"}, "has no -B (zstd's job size): it sizes its jobs itself; -T sets how many run at once"},
		{[]string{"-b19"}, "has no -b (zstd's benchmark): " + bench},
		{[]string{"-b1", "-e25"}, "has no -b (zstd's benchmark): " + bench},
		{[]string{"-i5"}, "has no -i (zstd's benchmark): " + bench},
		{[]string{"-V"}, "has no -V (zstd's --version): use --version"},
		{[]string{"-H"}, "has no -H (zstd's --help): use --help"},
	} {
		_, err := build(t, tc.words...)
		var ue *cli.UsageError
		if !errors.As(err, &ue) || err.Error() != tc.msg {
			t.Errorf("fzst %q: %v; want the usage error %q", tc.words, err, tc.msg)
		}
	}
}

// TestEveryFlagEndsTheLevel: a flag after the digits of a level ends its
// number, whichever flag (-9c -1 is level 1, not 91). It fails if a flag is
// defined after defineZstd, which must stay last.
func TestEveryFlagEndsTheLevel(t *testing.T) {
	_, fs, _, _, _ := Tool.Parse(nil, io.Discard)
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Shorthand == "" || f.NoOptDefVal == "" || f.Shorthand >= "0" && f.Shorthand <= "9" || f.Name == "help" { // -h shows the help, whatever the level
			return
		}
		words := []string{"-9" + f.Shorthand, "-1"}
		_, fs, _, _, err := Tool.Parse(words, io.Discard)
		if err != nil {
			t.Fatalf("fzst %q: %v", words, err)
		}
		if got := fs.Lookup("level").Value.String(); got != "1" {
			t.Errorf("fzst %q: level %s, want 1", words, got)
		}
	})
}
