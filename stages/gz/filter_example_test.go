package gz_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/gz"
)

// Filter and DecompressFilter go straight into a chain: here a round trip,
// a writer stage then a reader stage.
func ExampleFilter() {
	n, err := stages.Run(context.Background(), stages.Chain{
		Source:  strings.NewReader("compressed and back\n"),
		Filters: []stages.Filter{gz.Filter(gz.Level(9)), gz.DecompressFilter()},
		Sink:    stages.StdoutSink(os.Stdout),
	})
	fmt.Println(n, err)
	// Output:
	// compressed and back
	// 20 <nil>
}

// An invalid option fails the chain before anything is read; the error is
// named once, by the stage's name in the chain.
func ExampleFilter_invalid() {
	f := gz.Filter(gz.Level(99))
	f.Name = "gzip"
	_, err := stages.Run(context.Background(), stages.Chain{
		Source:  strings.NewReader("data"),
		Filters: []stages.Filter{f},
		Sink:    stages.StdoutSink(os.Stdout),
	})
	fmt.Println(err)
	// Output:
	// gzip: compression level 99 out of range 0-9
}
