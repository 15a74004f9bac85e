// Package gz is fpipe's gzip stage (RFC 1952): a Writer that compresses in
// parallel and a strict, fast Reader.
//
// # Compression
//
// NewWriter cuts the input into blocks (BlockSize, default 1 MiB) and
// compresses up to Threads of them at once on klauspost/compress's
// deflate. Each block is a gzip member of its own, with no dictionary from
// the one before, and its header carries its length in an extra field:
//
//	FLG   FEXTRA (4)
//	XLEN  8
//	SI1 SI2 'F' 'P' (0x46 0x50), LEN 4,
//	      the member's length in bytes, header to trailer, little-endian
//
// and the stream ends with an empty member with the same subfield (30
// bytes), as BGZF ends with its EOF block. gzip, pigz, zcat, igzip and
// compress/gzip read the result as ordinary multi-member gzip; a Reader
// finds each member's end without inflating and decodes several at once.
// At level 6 with 1 MiB blocks, the independent members cost 0.15-0.2% of
// size against blocks that share a dictionary. SingleMember(true) writes
// one member instead, the bytes github.com/klauspost/pgzip writes (a test
// checks it). The Writer keeps a fixed set of buffers instead of pgzip's
// sync.Pool and goroutine per block, whose peak memory crept up over long
// streams.
//
// The output is reproducible: MTIME is 0, OS is 3 (Unix) and XFL is what
// gzip writes for the level, so the same input, level and block size give
// the same bytes on any machine and with any number of threads, however the
// input was cut into writes. An empty input gives the 20-byte member that
// `gzip -n` writes for it.
//
// CloseWithError ends the output with the first 10 bytes of a member
// header: a stream cut between members would otherwise read as complete.
//
// Memory: Threads + 1 blocks, each with its input and output buffers
// (2 × BlockSize) and a deflate state (about 1.2 MiB), allocated as the
// first blocks start and reused: about 14 MiB of RSS at the defaults on two
// CPUs, the same at 100 MiB and at 10 GiB.
//
// # Decompression
//
// NewReader decodes with its own DEFLATE decoder (internal/inflate: it
// reads straight from the input buffer and decodes into a fixed window it
// hands out slices of; faster than gzip(1), klauspost/compress's and the
// standard library's, and tested against the latter) and parses the gzip
// framing itself, to be strict and precise about what is wrong and where:
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
// messages read "unexpected end of gzip data at offset 1834". A stream
// whose last member is one of the Writer's with data lacks the end member:
// it was cut at a member boundary, and that is ErrTruncated too.
//
// Members as the Writer makes them, of up to MaxParallelBlock bytes of
// data, are read whole and decoded on ReadThreads goroutines at once, then
// returned in order, each once its CRC and length were checked. Anything
// the parallel path does not take as it is (another kind of member, bad
// data, a short input, the output limit) goes back to the sequential
// decoder from the start of that member, with the input read ahead put
// back: the output and the errors, offsets included, are the same with any
// number of threads. That path holds ReadThreads + 1 members and their
// data: at most about 2 MiB each.
//
// A decoder hands out a member's data before it can check the member's
// CRC: nearly all of a corrupt file has been written by the time the error
// comes. In an fpipe chain that is safe, because the sink commits only
// after every stage ended cleanly; a consumer of a Reader must do the same.
//
// A decompression bomb streams in constant memory (the decoder's window of
// about 290 KiB and the input buffer); MaxOutput stops one early with
// ErrTooLarge.
package gz
