// Command fs3 runs fsink, fread or fsum with the S3 code linked in: the
// plain tools execute it, installed beside them, for an s3:// place
// (fs3 TOOL ARGS...), so that their own memory stays small.
package main

import (
	"fmt"
	"os"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	_ "github.com/fpipe/fpipe/cmd/internal/s3cli"
	"github.com/fpipe/fpipe/cmd/internal/tools/fread"
	"github.com/fpipe/fpipe/cmd/internal/tools/fsink"
	"github.com/fpipe/fpipe/cmd/internal/tools/fsum"
)

func main() {
	tools := map[string]*cli.Tool{"fsink": fsink.Tool, "fread": fread.Tool, "fsum": fsum.Tool}
	if len(os.Args) == 2 && (os.Args[1] == "-h" || os.Args[1] == "--help") {
		fmt.Print(help)
		return
	}
	if len(os.Args) < 2 || tools[os.Args[1]] == nil {
		fmt.Fprint(os.Stderr, help)
		os.Exit(cli.ExitUsage)
	}
	os.Exit(cli.Main(tools[os.Args[1]], os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
}

const help = `Usage: fs3 fsink|fread|fsum [ARG...]
Run fsink, fread or fsum with the S3 code linked in. Those tools run fs3
themselves, with the same words, when a word names an s3:// place.

  -h, --help   print this help
`
