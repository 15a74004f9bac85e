package throttle_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/throttle"
)

// Filter goes straight into a chain, here at 10 MiB/s.
func ExampleFilter() {
	n, err := stages.Run(context.Background(), stages.Chain{
		Source:  strings.NewReader("a backup, held to a rate\n"),
		Filters: []stages.Filter{throttle.Filter(10 << 20)},
		Sink:    stages.StdoutSink(os.Stdout),
	})
	fmt.Println(n, err)
	// Output:
	// a backup, held to a rate
	// 25 <nil>
}
