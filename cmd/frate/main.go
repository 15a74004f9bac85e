// Command frate: see man/frate.1 or `frate --help`.
package main

import (
	"os"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/cmd/internal/stdfd"
	"github.com/fpipe/fpipe/cmd/internal/tools/frate"
)

func main() {
	stdfd.Restore()
	os.Exit(cli.Main(frate.Tool, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
