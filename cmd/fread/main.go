// Command fread: see man/fread.1 or `fread --help`.
package main

import (
	"os"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/cmd/internal/s3flags"
	"github.com/fpipe/fpipe/cmd/internal/stdfd"
	"github.com/fpipe/fpipe/cmd/internal/tools/fread"
)

func main() {
	stdfd.Restore()
	s3flags.Reexec("fread") // s3:// places: fs3 runs the tool with the S3 code
	os.Exit(cli.Main(fread.Tool, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
