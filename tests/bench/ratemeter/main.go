// Command ratemeter reads standard input to the end and says how steadily
// it arrived, for the frate rows of the benchmarks (tests/bench/rows/50-*):
//
//	ratemeter -rate BYTES_PER_SECOND [-o FILE]
//
// It appends one line to FILE (default: standard output):
//
//	BYTES SECONDS TOTAL_ERROR_% MIN_WINDOW_% MAX_WINDOW_% WINDOWS
//
// SECONDS runs from the start of ratemeter (started with the rest of the
// pipeline) to the end of input; TOTAL_ERROR_% compares it with BYTES/RATE.
// The windows are the 100 ms spans after the first one, the last partial
// span left out; their figures are how far each one's bytes were from
// RATE/10, the least and the most.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

func main() {
	rate := flag.Float64("rate", 0, "the rate that was asked for, bytes per second")
	out := flag.String("o", "", "append the result to this file")
	flag.Parse()
	if *rate <= 0 {
		fmt.Fprintln(os.Stderr, "ratemeter: -rate is required")
		os.Exit(2)
	}
	start := time.Now()
	const window = 100 * time.Millisecond
	var windows []int64 // bytes per 100 ms window
	buf := make([]byte, 1<<20)
	var total int64
	var last time.Duration
	for {
		n, err := os.Stdin.Read(buf)
		if n > 0 {
			last = time.Since(start)
			total += int64(n)
			i := int(last / window)
			for len(windows) <= i {
				windows = append(windows, 0)
			}
			windows[i] += int64(n)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "ratemeter:", err)
			os.Exit(1)
		}
	}
	want := float64(total) / *rate
	terr := (last.Seconds() - want) / want * 100
	lo, hi := 0.0, 0.0
	full := windows
	if len(full) > 0 {
		full = full[:len(full)-1] // partial
	}
	if len(full) > 0 {
		full = full[1:] // the first: process start-up
	}
	per := *rate * window.Seconds()
	for i, b := range full {
		d := (float64(b)/per - 1) * 100
		if i == 0 || d < lo {
			lo = d
		}
		if i == 0 || d > hi {
			hi = d
		}
	}
	line := fmt.Sprintf("%d %.4f %+.3f %+.2f %+.2f %d\n", total, last.Seconds(), terr, lo, hi, len(full))
	w := os.Stdout
	if *out != "" {
		f, err := os.OpenFile(*out, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ratemeter:", err)
			os.Exit(1)
		}
		defer f.Close()
		w = f
	}
	w.WriteString(line)
}
