// Package sum is fpipe's hashing stage: it passes a stream through
// unchanged and computes its digests on the way (SHA-256, SHA-512, SHA-1,
// MD5, BLAKE3, CRC32C), writes them as the lines of GNU coreutils 9.1's
// sha256sum (and its siblings, and b3sum), reads such lines back, and can
// fail the stream at its end when its digest is not the expected one.
//
// # Directions
//
// The stage offers both directions, like io.TeeReader and io.MultiWriter:
// NewWriter wraps the writer after it, NewReader the reader before it.
// Neither buffers: a Write hashes what the wrapped writer took, a Read
// hashes what it read into the caller's slice. Writer.ReadFrom reads into
// one fixed buffer (BufferSize, default 1 MiB), which is the one copy any
// pass-through of bytes it must see needs; it lets io.Copy read in large
// chunks.
//
// The end of the stream is Writer.Close, or io.EOF from the wrapped reader.
// Then the digests are computed (Sums, AppendLines), and checked against
// those of the Expect option: a mismatch is a *MismatchError from Close, or
// from Read in place of io.EOF, so that a chain run by stages.Run fails
// before its sink commits, and the sink aborts.
//
// Both sides implement stages.Committer: Commit writes the lines into the
// Output sink (a stages/sink.Writer for an atomic, durable sum file, or
// stages.StdoutSink) and commits it, only after the stream ended cleanly
// and as expected; Abort aborts it. stages.Run commits Committers after the
// chain's sink, and aborts them with it.
//
// # Line formats
//
// Format.AppendLine writes "hex  name" (or "hex *name" for binary mode, or
// "TAG (name) = hex" with Tag, the tags being SHA256, SHA512, SHA1, MD5,
// BLAKE3 and CRC32C), byte-identical to coreutils 9.1. A name holding a
// backslash, newline or carriage return is escaped as coreutils does: a
// backslash starts the line and those three are written \\, \n and \r. With
// Zero, lines end with NUL and nothing is escaped.
//
// Untagged BLAKE3 lines follow b3sum 1.x, since coreutils has no BLAKE3:
// only backslash and newline are escaped; a carriage return is written as
// it is, which b3sum reads back but coreutils-style readers (this package
// included) take, at the very end of a name, for a CRLF line end. Tagged
// BLAKE3 lines follow coreutils' rules. BLAKE3 digests are 32 bytes, b3sum's
// default. The implementation is github.com/zeebo/blake3, chosen by
// benchmark (BenchmarkBLAKE3Libraries) over lukechampine.com/blake3: on
// this project's 2-core AVX-512 machine, zeebo hashed 2.6–3.3 GB/s in 16
// KiB to 1 MiB writes on one core, lukechampine 0.25–1.2 GB/s below 256
// KiB and up to 2.8 GB/s only in 1 MiB writes; a stream's writes are a
// pipe's size.
//
// CRC32C is the Castagnoli CRC-32 (hash/crc32, with its SSE4.2 / ARM64
// instructions), written as the 8 hex digits of its 32-bit value, most
// significant first: "123456789" gives e3069283. No coreutils tool reads
// such lines; this package and fsum do.
//
// # Reading lines
//
// Parser and Scanner read lines as coreutils 9.1's --check does (see
// Parser): the forms above, BSD reversed "hex name", either case of hex,
// CRLF, escaped names; comments and empty lines are skipped. A Scanner
// reads with a fixed buffer: a line over MaxLineLength is malformed.
package sum
