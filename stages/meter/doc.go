// Package meter is fpipe's progress meter: a pass-through stage that counts
// the bytes going by and shows, on an output of its own (standard error for
// fpv), how far the stream has got. [Writer] wraps the writer after it,
// [Reader] the reader before it; the bytes pass unchanged.
//
// # Displays
//
//   - [Terminal]: one line redrawn in place (a carriage return, then spaces
//     over what is left of the old line), at most five times a second: bytes,
//     elapsed time, current and average rate and, when the size is known, a
//     bar, the percentage and the time left.
//   - [Lines]: for logs (cron, systemd, a file): one plain line every
//     interval, ending in a newline, never a carriage return. Each line
//     starts with the local time in ISO 8601 (RFC 3339:
//     2026-11-30T12:00:00+01:00), or as [TimeFormat] says.
//   - [Numeric]: the numbers pv -n prints, one line each interval: the
//     percentage (or, with NumericBytes, the byte count), preceded by the
//     elapsed seconds with NumericTimer. For scripts and dialog --gauge.
//   - [Quiet]: nothing.
//
// [Fields] picks the parts of a Terminal or Lines update as pv's display
// switches do (-p -t -e -r -a -b); [WaitFirstByte] is pv -W.
//
// In Terminal and Lines, the last line says what happened: bytes, time,
// average rate, and whether the stream ended cleanly ("done"), ended short
// of the expected size, or failed and why. Used alone, the stage writes it
// when it is closed. In a stages.Run, Writer and Reader are
// stages.OutcomeWatchers: the last line waits for the run's outcome, with
// the figures of the stream's end, and says "committed" when the run
// committed an output that publishes something (a file sink, a sum file),
// "done" when there was nothing to commit (standard output), or "failed:"
// and the cause, from whichever stage it came: a sink that could not
// commit, a check at the end of the stream after the meter. A cancelled run
// gets its last line when Run returns, within stages.CancelGrace.
//
// The display is drawn by a goroutine started by the constructor, on a
// ticker, so it moves on when the stream stalls; the data path only adds to
// an atomic counter. Close (or CloseWithError) stops the goroutine and draws
// the last line; a stage that is never closed keeps its goroutine. Time comes
// from the time package, so tests in a testing/synctest bubble see exact
// figures. An output that fails is not written to again; its error never
// reaches the stream.
//
// # Options
//
// The constructors refuse invalid options with an error that names the
// problem and not the package (a chain names the stage; see package
// stages). [Check] says the same without building a meter or starting its
// goroutine, for a command line to report in its own name.
package meter
