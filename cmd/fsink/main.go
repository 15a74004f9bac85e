// Command fsink: see man/fsink.1 or `fsink --help`.
package main

import (
	"os"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/cmd/internal/s3flags"
	"github.com/fpipe/fpipe/cmd/internal/stdfd"
	"github.com/fpipe/fpipe/cmd/internal/tools/fsink"
)

func main() {
	stdfd.Restore()
	s3flags.Reexec("fsink") // s3:// places: fs3 runs the tool with the S3 code
	os.Exit(cli.Main(fsink.Tool, os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
