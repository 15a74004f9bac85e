// Package zst is fpipe's zstd stage (RFC 8878): a Writer that compresses
// with klauspost/compress's pure-Go encoder, and a strict Reader whose
// memory is capped.
//
// # Compression
//
// NewWriter writes one zstd frame, read by zstd -d, zstdcat and every
// libzstd reader. Levels are numbered as the zstd command numbers them,
// 1 to 19 (default 3), and map onto the library's four encoders
// (EncoderLevel): 1-2 SpeedFastest, 3-5 SpeedDefault, 6-9
// SpeedBetterCompression, 10-19 SpeedBestCompression. The window is 4 MiB
// up to level 5 and 8 MiB above, unless WindowLog sets it (zstd --long=N). Frames carry a content checksum unless
// Checksum(false).
//
// With two or more Threads one goroutine finds the matches of a block
// while another entropy-codes and writes the block before it, and the
// caller's goroutine fills the next: about two CPUs' worth, which is what
// zstd -3 -T2 gets too. Memory is fixed: twice the window (the encoder's
// history), its tables and a few 128 KiB blocks: the fzst process peaks at
// 16 to 18 MiB of RSS at the default level, 25 MiB at level 19.
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
