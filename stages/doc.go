// Package stages holds the contract that every fpipe stage keeps and the
// helpers that compose stages into one streaming copy.
//
// # The stage contract
//
// A stage is an io.Reader or io.Writer wrapper, built by a constructor that
// takes options and validates them:
//
//   - A source is an io.Reader (package stages/read).
//   - A filter wraps the writer after it ([WriteFilter]) or the reader before
//     it ([ReadFilter]); a stage offers the direction natural to it and
//     [Pipe] / [PipeWriter] adapt the other one. Pass-through stages offer both.
//   - A sink is a [Sink]: an io.Writer whose output becomes visible only when
//     Commit is called, and never when Abort is called (package stages/sink).
//
// A filter's writer Close flushes and finishes its own stream (a gzip
// trailer, a digest line) but never closes the writer it wraps. A stage that
// has output of its own to publish (a sum file) implements [Committer]; the
// chain commits it only after the whole stream ended cleanly.
//
// Stages hold at most a fixed, configurable buffer: nothing grows with the
// stream. Writer errors are sticky. io.EOF is never wrapped; a stream that
// ends too early is io.ErrUnexpectedEOF. Stages never touch os.Stdin,
// os.Stdout or os.Stderr, never log and never panic on bad input. Bytes that
// pass through unchanged keep io.Copy's fast paths (io.WriterTo,
// io.ReaderFrom), so the kernel can move the data (copy_file_range, splice).
//
// # Composition
//
// [Run] copies a source through stacked filters into a sink as one copy.
// A [Chain]'s Filters run in order from the source to the sink: Filters[0]
// is next to the source and reads (or is written) first, the last one is
// next to the sink. Writer filters and reader filters mix freely, in any
// order: Run stacks writer stages on the sink and adapts each reader stage
// with [PipeWriter]. Each stage family offers a one-call Filter that goes
// straight into Chain.Filters (gz.Filter, gz.DecompressFilter, zst.Filter,
// zst.DecompressFilter, sum.Filter, throttle.Filter, meter.Filter).
//
// The first error wins, every stage is closed, and the sink (and every
// Committer) is committed only when every stage finished cleanly;
// otherwise they are aborted. When the context ends before the commit,
// Run closes the source, aborts the outputs and returns ctx.Err() promptly
// (within [CancelGrace] or little more), whatever the stages are doing, and
// nothing is committed after that. A stage that waits can let Run end its
// wait at once ([Interrupter]: the throttle does). The one thing it cannot end is a call
// that nothing interrupts, above all a Read of a blocking source with no
// Close: that goes on in the background after Run returned, until it
// returns by itself, and then the copy stops. [Copy] is io.Copy that
// honours a context between reads.
//
// A stage that reports how the whole run ended, not only its own stream
// (a progress meter's last line), is an [OutcomeWatcher]: Run tells it to
// watch before the copy and, just before it returns, the outcome: the
// error it returns, and whether an output that publishes something was
// committed. A caller whose Run is one part of a larger decision tells
// the outcome itself ([HoldOutcome]).
//
// # Errors
//
// An error carries one prefix, the name of the stage it came from ([Error],
// from Filter.Name, Chain.SourceName and Chain.SinkName): the stage
// packages do not prefix their own errors (a gz Writer fails with
// "compression level 99 out of range 0-9"), and the one-call Filters name
// their stage after its family ("gz: compression level 99 out of range
// 0-9"); set Name to call it otherwise. Errors that name a file already
// (*fs.PathError) need no name of their stage.
package stages
