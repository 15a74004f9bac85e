package meter_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/meter"
)

// Filter goes straight into a chain; the meter's lines go to its Output.
func ExampleFilter() {
	var log strings.Builder
	n, err := stages.Run(context.Background(), stages.Chain{
		Source:  strings.NewReader("a backup, measured\n"),
		Filters: []stages.Filter{meter.Filter(meter.Output(&log), meter.Name("backup"), meter.TimeFormat(""))},
		Sink:    stages.StdoutSink(os.Stdout),
	})
	fmt.Println(n, err, strings.HasPrefix(log.String(), "backup: 19 B"))
	// Output:
	// a backup, measured
	// 19 <nil> true
}
