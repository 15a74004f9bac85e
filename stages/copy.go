package stages

import (
	"context"
	"io"
	"os"
	"syscall"
)

// DefaultBufferSize is the copy buffer used when the fast paths do not apply.
const DefaultBufferSize = 128 << 10

// chunk is how much one fast-path call may move from a source with a file
// descriptor before the context is checked again.
const chunk = 8 << 20

// Copy copies from src to dst until EOF or an error, like io.Copy, and
// returns the number of bytes copied. Once ctx is done it returns ctx.Err()
// at the next Read of src; a Read or Write in progress is not interrupted
// (closing src ends a pending Read of most sources). It keeps io.Copy's
// fast paths:
//
//   - A src that is an io.WriterTo and an io.Closer is asked to write
//     itself (such a src must stop when it is closed, which is how a caller
//     cancels it). A src that cannot be closed is read by Copy, so that the
//     context is checked between reads.
//   - A dst that is an io.ReaderFrom reads a src with a file descriptor
//     (syscall.Conn: *os.File, a socket) through an *io.LimitedReader in
//     chunks of 8 MiB, a form that *os.File recognises for copy_file_range
//     and splice, and checks ctx between chunks; any other src through a
//     reader that checks ctx before each Read.
//
// buf is used for the plain loop; nil or empty means a buffer of
// DefaultBufferSize.
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
	_, closer := src.(io.Closer)
	if wt, ok := src.(io.WriterTo); ok && closer && !(srcFile && dstRF) {
		n, err := wt.WriteTo(dst)
		if cerr := ctx.Err(); cerr != nil {
			return n, cerr
		}
		return n, err
	}
	if _, fd := src.(syscall.Conn); dstRF && fd {
		var total int64
		lr := &io.LimitedReader{R: src}
		for {
			lr.N = chunk
			n, err := rf.ReadFrom(lr)
			total += n
			if cerr := ctx.Err(); cerr != nil {
				return total, cerr
			}
			if err != nil {
				return total, err
			}
			if lr.N > 0 { // the source ended before the chunk did
				return total, nil
			}
		}
	}
	if dstRF {
		n, err := rf.ReadFrom(&ctxReader{r: src, ctx: ctx, done: ctx.Done()})
		if cerr := ctx.Err(); cerr != nil {
			return n, cerr
		}
		return n, err
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

// ctxReader reads r until ctx is done, then fails with ctx.Err().
type ctxReader struct {
	r    io.Reader
	ctx  context.Context
	done <-chan struct{}
}

func (c *ctxReader) Read(p []byte) (int, error) {
	select {
	case <-c.done:
		return 0, c.ctx.Err()
	default:
	}
	return c.r.Read(p)
}
