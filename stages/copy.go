package stages

import (
	"context"
	"io"
	"os"
)

// DefaultBufferSize is the copy buffer used when the fast paths do not apply.
const DefaultBufferSize = 128 << 10

// chunk is how much one fast-path call may move before the context is
// checked again.
const chunk = 8 << 20

// Copy copies from src to dst until EOF or an error, like io.Copy, and
// returns the number of bytes copied. It checks ctx between chunks and
// returns ctx.Err() once ctx is done. It keeps io.Copy's fast paths: a src
// that is an io.WriterTo is asked to write itself (such a src must stop
// when it is closed, which is how a caller cancels it), and a dst that is an
// io.ReaderFrom reads through an *io.LimitedReader in chunks, a form that
// *os.File recognises for copy_file_range and splice. buf is used for the
// plain loop; nil or empty means a buffer of DefaultBufferSize.
func Copy(ctx context.Context, dst io.Writer, src io.Reader, buf []byte) (int64, error) {
	if len(buf) == 0 {
		buf = nil // io.CopyBuffer would panic, and the loop below spin
	}
	// An *os.File source goes to the destination's ReadFrom first: the
	// file's own WriteTo moves data in the kernel only to sockets, while a
	// ReadFrom (ours, or a socket's) can splice or copy_file_range from it.
	_, srcFile := src.(*os.File)
	rf, dstRF := dst.(io.ReaderFrom)
	if ctx.Done() == nil {
		if srcFile && dstRF {
			return rf.ReadFrom(src)
		}
		if buf == nil {
			return io.Copy(dst, src)
		}
		return io.CopyBuffer(dst, src, buf)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if wt, ok := src.(io.WriterTo); ok && !(srcFile && dstRF) {
		n, err := wt.WriteTo(dst)
		if cerr := ctx.Err(); cerr != nil {
			return n, cerr
		}
		return n, err
	}
	if dstRF {
		var total int64
		lr := &io.LimitedReader{R: src}
		for {
			lr.N = chunk
			n, err := rf.ReadFrom(lr)
			total += n
			if err != nil {
				return total, err
			}
			if cerr := ctx.Err(); cerr != nil {
				return total, cerr
			}
			if lr.N > 0 { // the source ended before the chunk did
				return total, nil
			}
		}
	}
	if buf == nil {
		buf = make([]byte, DefaultBufferSize)
	}
	var total int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		nr, rerr := src.Read(buf)
		if nr > 0 {
			nw, werr := dst.Write(buf[:nr])
			total += int64(nw)
			if werr != nil {
				return total, werr
			}
			if nw != nr {
				return total, io.ErrShortWrite
			}
		}
		if rerr == io.EOF {
			return total, nil
		}
		if rerr != nil {
			return total, rerr
		}
	}
}
