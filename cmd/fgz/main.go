// Command fgz: see man/fgz.1 or `fgz --help`.
package main

import (
	"os"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/cmd/internal/stdfd"
	"github.com/fpipe/fpipe/cmd/internal/tools/fgz"
)

func main() {
	stdfd.Restore()
	os.Exit(cli.Main(fgz.Tool, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
