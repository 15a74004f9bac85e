// Command gendump writes a deterministic synthetic database dump (see
// package dump) to standard output: gendump [-seed N] SIZE.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/fpipe/fpipe/tests/gendump/dump"
	"github.com/spf13/pflag"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("gendump", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Uint64("seed", 1, "random seed")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: gendump [--seed N] SIZE (bytes, e.g. 104857600)")
		return 2
	}
	var size int64
	if _, err := fmt.Sscan(fs.Arg(0), &size); err != nil || size < 0 {
		fmt.Fprintf(stderr, "gendump: bad size %q\n", fs.Arg(0))
		return 2
	}
	w := bufio.NewWriterSize(stdout, 1<<20)
	if _, err := io.Copy(w, dump.NewReader(*seed, size)); err != nil {
		fmt.Fprintf(stderr, "gendump: %v\n", err)
		return 1
	}
	if err := w.Flush(); err != nil {
		fmt.Fprintf(stderr, "gendump: %v\n", err)
		return 1
	}
	return 0
}
