// Command fpipe: see man/fpipe.1 or `fpipe --help`.
package main

import (
	"os"

	"github.com/fpipe/fpipe/cmd/internal/runner"
	_ "github.com/fpipe/fpipe/cmd/internal/s3cli" // s3:// places in the tools it runs
	"github.com/fpipe/fpipe/cmd/internal/stdfd"
)

func main() {
	stdfd.Restore()
	os.Exit(runner.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
