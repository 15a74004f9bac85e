// Package zst is fpipe's zstd stage (RFC 8878): a Writer that compresses
// with klauspost/compress's pure-Go encoder, and a strict Reader whose
// memory is capped.
//
// # Compression
//
// NewWriter writes zstd frames that zstd -d, zstdcat and every libzstd
// reader decompress. Levels are numbered as the zstd command numbers them,
// 1 to 19 (default 3), and map onto the library's four encoders:
// 1-2 SpeedFastest, 3-5 SpeedDefault, 6-9 SpeedBetterCompression, 10-19
// SpeedBestCompression; level 6 differs from 7 to 9 in its frames (below).
// Frames carry a content checksum unless Checksum(false).
//
// At levels 1 to 6 (without WindowLog) the Writer cuts its input into
// pieces of FrameSize (4 MiB) and compresses each as an independent frame,
// up to Threads of them at once, as pzstd does: the only way to use two
// CPUs for match finding with this library within the memory budget. Each
// frame carries its content size, so a decoder needs no more than 4 MiB of
// window. At level 3 the output is within about 1.6% of zstd -3's size
// (0.4% smaller on a database dump, 1.6% larger on a tar of GOROOT).
// Memory is fixed: Threads+1 pieces of input and output and an encoder
// per thread, 36 to 42 MiB of RSS on two CPUs at level 3 (the most for
// input that does not compress) and 40 to 49 MiB at level 6.
//
// Above level 6, or with WindowLog (zstd --long=N), the Writer writes one
// frame with the library's stream encoder: one goroutine finds the matches
// of a block while another entropy-codes and writes the one before. Its
// window is 8 MiB unless WindowLog sets it; memory is twice the window
// plus the encoder's tables: 31 MiB of RSS at level 7, about 60 MiB at
// levels 10 to 19 (SpeedBestCompression's tables are large). Level 6 and
// level 7 use the same encoder, so the same CPU: level 6 runs on every
// thread, about twice as fast on two free CPUs, and is as small where the data does not repeat itself at distances above
// 4 MiB (a database dump); level 7's window finds what does (10% smaller
// than level 6 on a tar of GOROOT).
//
// In both modes the output depends on the input, the level and the window,
// never on Threads or on how the input is cut into writes.
//
// # Decompression
//
// NewReader decodes with the library's decoder, but walks the frame and
// block headers itself, one step ahead of it, and hands it one frame at a
// time. That makes the Reader strict and precise about what is wrong and
// where:
//
//   - every frame of a multi-frame stream is read (zstd -c a b, cat
//     a.zst b.zst, zstd -T0's output), and skippable frames are skipped;
//   - anything after the last frame is ErrTrailing, as zstd(1) says too
//     (even zero bytes, and even one to three bytes, which the library
//     alone would let pass);
//   - a stream that stops early is ErrTruncated (also io.ErrUnexpectedEOF)
//     at the offset where it stopped; a checksum mismatch is ErrChecksum
//     at the offset of the checksum; bad block data is ErrCorrupt, naming
//     the frame; an empty input is ErrEmpty and anything else that is not
//     zstd ErrNotZstd;
//   - a frame whose window is larger than MaxWindow (default 128 MiB, as
//     zstd's --memory) is refused from its header with ErrWindow, before
//     anything is allocated for it; frames that need a dictionary are
//     ErrDictionary.
//
// These come as *Error values that carry the offset in the input, so
// messages read "unexpected end of zstd data at offset 1834".
//
// A frame's checksum comes after its data: a decoder has handed out nearly
// all of a corrupt frame by the time it finds out. In an fpipe chain that
// is safe, because the sink commits only after every stage ended cleanly;
// a consumer of a Reader must do the same.
//
// Memory: the input buffer (128 KiB), the largest window seen (at most
// MaxWindow), and per block in flight (Concurrency) a block's input and
// output buffers. Measured, the whole fzst -d process peaks at 11 MiB of
// RSS for the frames zstd and fzst write at their default levels, and at
// 134 MiB for frames with a 128 MiB window (zstd --long). A decompression
// bomb streams through in that memory.
package zst
