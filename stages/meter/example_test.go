package meter_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/meter"
)

// A meter for a log: a line every interval and a summary. Here the stream
// is over before the first interval, so only the summary is written.
func ExampleNewWriter() {
	var log strings.Builder
	w, err := meter.NewWriter(io.Discard, meter.Output(&log), meter.Name("backup"), meter.Interval(time.Hour), meter.TimeFormat(""))
	if err != nil {
		panic(err)
	}
	io.Copy(w, strings.NewReader("some data"))
	w.Close()
	line := log.String()
	fmt.Println(strings.HasPrefix(line, "backup: 9 B in 0:00:00."), strings.HasSuffix(line, " average: done\n"))
	// Output: true true
}

// The numbers pv -n prints, for dialog --gauge.
func ExampleNumericBytes() {
	w, _ := meter.NewWriter(io.Discard, meter.Output(os.Stdout), meter.Show(meter.Numeric), meter.NumericBytes())
	w.Write(make([]byte, 1000))
	w.Close()
	// Output: 1000
}

func ExampleNewReader() {
	var log strings.Builder
	r, _ := meter.NewReader(strings.NewReader("hello\n"), meter.Output(&log), meter.Size(6))
	io.Copy(os.Stdout, r)
	r.Close()
	fmt.Println(r.Count(), strings.HasSuffix(log.String(), ": done\n"))
	// Output:
	// hello
	// 6 true
}

// A whole chain: source → meter → standard output, as fpv runs it; the sink
// fails, and the meter's last line says so.
func Example_chain() {
	var log strings.Builder
	m := func(dst io.Writer) (io.WriteCloser, error) {
		return meter.NewWriter(dst, meter.Output(&log), meter.Name("fpv"), meter.TimeFormat(""))
	}
	_, err := stages.Run(context.Background(), stages.Chain{
		Source:  strings.NewReader("a backup\n"),
		Filters: []stages.Filter{{Writer: m}},
		Sink:    stages.StdoutSink(full{}),
	})
	fmt.Println(err)
	fmt.Print(log.String()[strings.Index(log.String(), "average"):])
	// Output:
	// no space left on device
	// average: failed: no space left on device
}

type full struct{}

func (full) Write(p []byte) (int, error) { return 0, fmt.Errorf("no space left on device") }

// In a stages.Run, the last line waits for the run's outcome: the stream
// ended cleanly, but the sink refused to commit it.
func Example_outcome() {
	var log strings.Builder
	_, err := stages.Run(context.Background(), stages.Chain{
		Source:  strings.NewReader(""),
		Filters: []stages.Filter{meter.Filter(meter.Output(&log), meter.TimeFormat(""))},
		Sink:    refusing{},
	})
	fmt.Println(err)
	fmt.Print(log.String()[strings.Index(log.String(), "average"):])
	// Output:
	// empty input would replace a non-empty file
	// average: failed: empty input would replace a non-empty file
}

// refusing is a sink that refuses to commit what it was given.
type refusing struct{}

func (refusing) Write(p []byte) (int, error) { return len(p), nil }
func (refusing) Commit() error               { return fmt.Errorf("empty input would replace a non-empty file") }
func (refusing) Abort() error                { return nil }
