// Command fpv: see man/fpv.1 or `fpv --help`.
package main

import (
	"os"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/cmd/internal/stdfd"
	"github.com/fpipe/fpipe/cmd/internal/tools/fpv"
)

func main() {
	stdfd.Restore()
	os.Exit(cli.Main(fpv.Tool, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
