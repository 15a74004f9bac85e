// Command fzst: see man/fzst.1 or `fzst --help`.
package main

import (
	"os"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/cmd/internal/stdfd"
	"github.com/fpipe/fpipe/cmd/internal/tools/fzst"
)

func main() {
	stdfd.Restore()
	os.Exit(cli.Main(fzst.Tool, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
