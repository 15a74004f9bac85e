// Package read is fpipe's source stage: it reads files (or standard input)
// one after another as a single stream, like cat, optionally from an offset
// and for a length, like dd's skip and count in bytes.
//
// The Reader keeps the kernel's fast paths: written to a pipe it uses
// splice(2) with a 1 MiB pipe buffer; written to a regular file,
// copy_file_range(2); to any io.ReaderFrom (such as fpipe's sink) it hands
// the open file itself, so that writer can do the same.
package read
