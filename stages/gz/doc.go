// Package gz is fpipe's gzip stage (RFC 1952): a Writer that compresses in
// parallel and a strict, fast Reader.
//
// # Compression
//
// NewWriter cuts the input into blocks (BlockSize, default 1 MiB) and
// compresses up to Threads of them at once on klauspost/compress's
// deflate; each block uses the last 16 KiB of the one before as its
// dictionary and ends with a sync flush, so the ratio is within a few
// percent of a single-threaded gzip at the same level. The result is one
// ordinary gzip member that gzip, pigz, zcat and compress/gzip read. The
// bytes are those github.com/klauspost/pgzip writes (a test checks it);
// the Writer keeps a fixed set of buffers instead of pgzip's sync.Pool and
// goroutine per block, whose peak memory crept up over long streams.
//
// The output is reproducible: MTIME is 0, OS is 3 (Unix) and XFL is what
// gzip writes for the level, so the same input, level and block size give
// the same bytes on any machine and with any number of threads, however the
// input was cut into writes. An empty input gives the 20-byte member that
// `gzip -n` writes for it.
//
// Memory: Threads + 1 blocks, each with its input and output buffers
// (2 × BlockSize) and a deflate state (about 1.2 MiB), allocated as the
// first blocks start and reused: about 14 MiB of RSS at the defaults on two
// CPUs, the same at 100 MiB and at 10 GiB.
//
// # Decompression
//
// NewReader decodes with klauspost/compress's flate decoder (faster than
// gzip(1) and than the standard library's) and parses the gzip framing
// itself, to be strict and precise about what is wrong and where:
//
//   - every member of a multi-member stream is read; zero bytes after the
//     last member are accepted as padding (tapes, block devices); any other
//     trailing byte is ErrTrailing;
//   - FEXTRA, FNAME and FCOMMENT are skipped (any length, in constant
//     memory) and FHCRC is checked;
//   - a CRC-32 mismatch (ErrChecksum) and a length mismatch (ErrLength) are
//     told apart; a stream that stops early is ErrTruncated, which also
//     matches io.ErrUnexpectedEOF; bad deflate data is ErrCorrupt; an empty
//     input is ErrEmpty and anything else ErrNotGzip.
//
// These come as *Error values that carry the offset in the input, so
// messages read "unexpected end of gzip data at offset 1834".
//
// A decoder hands out a member's data before it can check the member's
// CRC: nearly all of a corrupt file has been written by the time the error
// comes. In an fpipe chain that is safe, because the sink commits only
// after every stage ended cleanly; a consumer of a Reader must do the same.
//
// A decompression bomb streams in constant memory (a 32 KiB window and the
// input buffer); MaxOutput stops one early with ErrTooLarge.
package gz
