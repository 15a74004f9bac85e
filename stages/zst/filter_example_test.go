package zst_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/zst"
)

// Filter and DecompressFilter go straight into a chain: here a round trip,
// a writer stage then a reader stage.
func ExampleFilter() {
	n, err := stages.Run(context.Background(), stages.Chain{
		Source:  strings.NewReader("compressed and back\n"),
		Filters: []stages.Filter{zst.Filter(zst.Level(3)), zst.DecompressFilter()},
		Sink:    stages.StdoutSink(os.Stdout),
	})
	fmt.Println(n, err)
	// Output:
	// compressed and back
	// 20 <nil>
}
