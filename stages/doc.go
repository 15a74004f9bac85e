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
// [Run] copies a source through stacked writer stages into a sink as one
// copy. The first error wins, every stage is closed, and the sink (and every
// Committer) is committed only when every stage finished cleanly; otherwise
// they are aborted. Errors carry the name of the stage they came from
// ([Error]). [Copy] is io.Copy that honours a context between chunks.
package stages
