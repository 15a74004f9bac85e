package throttle_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/throttle"
)

// A writer that holds 64 KiB to at least a tenth of a second at 640 KiB/s
// (the bucket starts empty).
func ExampleNewWriter() {
	w, err := throttle.NewWriter(io.Discard, 640<<10)
	if err != nil {
		panic(err)
	}
	start := time.Now()
	n, err := w.Write(make([]byte, 64<<10))
	fmt.Println(n, err, time.Since(start) >= 100*time.Millisecond)
	// Output: 65536 <nil> true
}

func ExampleNewReader() {
	r, err := throttle.NewReader(strings.NewReader("slow and steady\n"), 1<<20)
	if err != nil {
		panic(err)
	}
	defer r.Close()
	io.Copy(os.Stdout, r)
	// Output: slow and steady
}

// A whole chain: source → throttle → standard output, as frate runs it.
func Example_chain() {
	limit := func(dst io.Writer) (io.WriteCloser, error) {
		return throttle.NewWriter(dst, 10<<20, throttle.Burst(4<<10))
	}
	n, err := stages.Run(context.Background(), stages.Chain{
		Source:  strings.NewReader("a backup, at 10 MiB/s\n"),
		Filters: []stages.Filter{{Name: "frate", Writer: limit}},
		Sink:    stages.StdoutSink(os.Stdout),
	})
	fmt.Println(n, err)
	// Output:
	// a backup, at 10 MiB/s
	// 22 <nil>
}

// SetRate changes the rate of a running stream, from any goroutine.
func ExampleWriter_SetRate() {
	w, _ := throttle.NewWriter(io.Discard, 1)
	done := make(chan time.Duration)
	go func() {
		start := time.Now()
		w.Write(make([]byte, 1000)) // 1000 s at 1 B/s
		done <- time.Since(start)
	}()
	time.Sleep(10 * time.Millisecond)
	w.SetRate(1 << 20)
	fmt.Println(<-done < 10*time.Second, w.Rate(), w.Burst())
	// Output: true 1048576 65536
}
