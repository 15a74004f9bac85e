// Package tools lists the definitions of the fpipe tools that the
// in-process runner can run by name.
package tools

import (
	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/cmd/internal/tools/fgz"
	"github.com/fpipe/fpipe/cmd/internal/tools/fpv"
	"github.com/fpipe/fpipe/cmd/internal/tools/frate"
	"github.com/fpipe/fpipe/cmd/internal/tools/fread"
	"github.com/fpipe/fpipe/cmd/internal/tools/fsink"
	"github.com/fpipe/fpipe/cmd/internal/tools/fsum"
	"github.com/fpipe/fpipe/cmd/internal/tools/fzst"
)

// All maps a tool's name to its definition.
var All = map[string]*cli.Tool{}

func init() {
	for _, t := range []*cli.Tool{fread.Tool, fgz.Tool, fzst.Tool, fsum.Tool, frate.Tool, fpv.Tool, fsink.Tool} {
		All[t.Name] = t
	}
}
