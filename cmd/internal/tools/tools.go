// Package tools lists the definitions of the fpipe tools that the
// in-process runner can run by name.
package tools

import (
	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/cmd/internal/tools/fread"
	"github.com/fpipe/fpipe/cmd/internal/tools/fsink"
)

// All maps a tool's name to its definition.
var All = map[string]*cli.Tool{
	fread.Tool.Name: fread.Tool,
	fsink.Tool.Name: fsink.Tool,
}
