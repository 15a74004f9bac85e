package read

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"syscall"

	"github.com/fpipe/fpipe/internal/zerocopy"
	"golang.org/x/sys/unix"
)

// Stdin is the name that stands for standard input.
const Stdin = "-"

// Option configures a Reader.
type Option func(*Reader) error

// Offset skips the first n bytes of the stream (dd's skip, in bytes), by
// seeking where the input allows it. Skipping past the end gives an empty
// stream. Default 0.
func Offset(n int64) Option {
	return func(r *Reader) error {
		if n < 0 {
			return fmt.Errorf("negative offset %d", n)
		}
		r.offset = n
		return nil
	}
}

// Length stops the stream after n bytes (dd's count, in bytes). Default: no
// limit.
func Length(n int64) Option {
	return func(r *Reader) error {
		if n < 0 {
			return fmt.Errorf("negative length %d", n)
		}
		r.remaining = n
		return nil
	}
}

// NoCache drops what was read from the page cache (posix_fadvise
// DONTNEED), so that a large copy does not evict the machine's working set.
// Default off. Every file is opened with the SEQUENTIAL advice either way.
func NoCache() Option {
	return func(r *Reader) error { r.nocache = true; return nil }
}

// Input sets the reader used for the name "-". Default: no standard input
// (reading "-" is then an error).
func Input(stdin io.Reader) Option {
	return func(r *Reader) error { r.stdin = stdin; return nil }
}

// Report makes the Reader go on after an input that cannot be opened or
// read, as cat does: each such error is passed to report, and the stream
// ends with a *SkippedError instead of io.EOF. Without it, the first such
// error ends the stream.
func Report(report func(error)) Option {
	return func(r *Reader) error { r.report = report; return nil }
}

// NotSameAs refuses an input that is the same regular file as out (the
// output the stream goes to), with "input file is output file", as cat does.
func NotSameAs(out fs.FileInfo) Option {
	return func(r *Reader) error { r.output = out; return nil }
}

// Buffer sets the buffer size for copies that cannot use the kernel's fast
// paths. Default 256 KiB.
func Buffer(size int) Option {
	return func(r *Reader) error {
		if size <= 0 {
			return fmt.Errorf("buffer size %d is not positive", size)
		}
		r.bufSize = size
		return nil
	}
}

// SkippedError ends a stream read with Report when some inputs could not be
// read; each one was already reported.
type SkippedError struct{ N int }

func (e *SkippedError) Error() string {
	if e.N == 1 {
		return "1 input could not be read"
	}
	return fmt.Sprintf("%d inputs could not be read", e.N)
}

// Reported tells the command line that the errors were printed already.
func (e *SkippedError) Reported() bool { return true }

// ErrSameFile is the error for an input that is the output.
var ErrSameFile = errors.New("input file is output file")

// Reader reads its inputs as one stream. It is not safe for concurrent
// reads, but Close may be called from any goroutine to stop it.
type Reader struct {
	names     []string
	stdin     io.Reader
	offset    int64
	remaining int64 // -1: no limit
	nocache   bool
	report    func(error)
	output    fs.FileInfo
	bufSize   int

	next    int       // index of the next name to open
	cur     io.Reader // the input being read; nil between inputs
	curFile *os.File  // cur when it is a file we opened or stdin's file
	curName string
	curPos  int64 // bytes read from curFile since open (for fadvise)
	ownCur  bool  // whether we close curFile
	skipped int
	err     error // sticky end of stream
	buf     []byte

	mu     sync.Mutex
	closed bool
}

var (
	_ io.ReadCloser = (*Reader)(nil)
	_ io.WriterTo   = (*Reader)(nil)
)

// NewReader returns a Reader of the named inputs, in order; no names means
// standard input ("-"). Files are opened one at a time, when the stream
// reaches them.
func NewReader(names []string, opts ...Option) (*Reader, error) {
	if len(names) == 0 {
		names = []string{Stdin}
	}
	r := &Reader{names: names, remaining: -1, bufSize: 256 << 10}
	for _, o := range opts {
		if err := o(r); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Read reads the next bytes of the stream.
func (r *Reader) Read(p []byte) (int, error) {
	for {
		if r.err != nil {
			return 0, r.err
		}
		if len(p) == 0 { // would spin below: a file's Read(nil) returns 0, nil
			return 0, nil
		}
		if r.remaining == 0 {
			r.finish(nil)
			return 0, r.err
		}
		if r.isClosed() {
			r.finish(os.ErrClosed)
			return 0, r.err
		}
		if r.cur == nil {
			if !r.open() {
				continue
			}
		}
		q := p
		if r.remaining >= 0 && int64(len(q)) > r.remaining {
			q = q[:r.remaining]
		}
		n, err := r.cur.Read(q)
		r.consumed(int64(n))
		if err == io.EOF {
			r.closeCur()
		} else if err != nil {
			r.fail(r.readErr(err)) // with Report the stream goes on; without, r.err ends it
		}
		if n > 0 {
			return n, nil
		}
	}
}

// WriteTo writes the whole stream to w, letting the kernel move the data
// where it can (see the package doc). It implements io.WriterTo.
func (r *Reader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	dstFile, _ := unwrap(w).(*os.File)
	dstPipe := dstFile != nil && zerocopy.IsPipe(dstFile)
	if dstPipe {
		zerocopy.GrowPipe(dstFile)
	}
	for {
		if r.err != nil {
			if r.err == io.EOF {
				return total, nil
			}
			return total, r.err
		}
		if r.remaining == 0 {
			r.finish(nil)
			continue
		}
		if r.isClosed() {
			r.finish(os.ErrClosed)
			continue
		}
		if r.cur == nil {
			r.open()
			continue
		}
		n, err := r.copyCur(w, dstFile, dstPipe)
		total += n
		r.consumed(n)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) && pe.Op == "read" {
				r.fail(err) // with Report the stream goes on; without, r.err ends it
				continue
			}
			r.err = err
			r.closeCur()
			return total, err
		}
		r.closeCur()
	}
}

// copyCur copies the rest of the current input (up to the limit) to w.
// Errors reading the input come back as *fs.PathError with Op "read".
func (r *Reader) copyCur(w io.Writer, dstFile *os.File, dstPipe bool) (int64, error) {
	var moved int64
	if r.curFile != nil && dstFile != nil {
		if dstPipe || zerocopy.IsPipe(r.curFile) {
			for {
				step := r.step(moved)
				if step == 0 {
					return moved, nil
				}
				n, handled, err := zerocopy.Splice(dstFile, r.curFile, step)
				moved += n
				r.adviseDone(moved)
				if !handled || zerocopy.WouldBlock(err) {
					break // finish the usual way below
				}
				if err != nil || n < step { // n < step: end of input
					return moved, err
				}
				if r.isClosed() {
					return moved, os.ErrClosed
				}
			}
		} else if st, err := dstFile.Stat(); err == nil && st.Mode().IsRegular() {
			// os.File.ReadFrom uses copy_file_range for file to file.
			for {
				step := r.step(moved)
				if step == 0 {
					return moved, nil
				}
				n, err := dstFile.ReadFrom(&io.LimitedReader{R: r.curFile, N: step})
				moved += n
				if err != nil || n < step {
					return moved, r.sideOf(err)
				}
				if r.isClosed() {
					return moved, os.ErrClosed
				}
			}
		}
	}
	if rf, ok := w.(io.ReaderFrom); ok && dstFile == nil && r.curFile != nil {
		n, err := rf.ReadFrom(r.limited())
		return moved + n, r.sideOf(err)
	}
	if r.buf == nil {
		r.buf = make([]byte, r.bufSize)
	}
	for {
		if r.isClosed() {
			return moved, os.ErrClosed
		}
		q := r.buf
		if r.remaining >= 0 && int64(len(q)) > r.remaining-moved {
			q = q[:r.remaining-moved]
		}
		if len(q) == 0 {
			return moved, nil
		}
		nr, rerr := r.cur.Read(q)
		if nr > 0 {
			nw, werr := w.Write(q[:nr])
			moved += int64(nw)
			r.adviseDone(moved)
			if werr != nil {
				return moved, werr
			}
			if nw != nr {
				return moved, io.ErrShortWrite
			}
		}
		if rerr == io.EOF {
			return moved, nil
		}
		if rerr != nil {
			return moved, r.readErr(rerr)
		}
	}
}

// kernelStep is the most one kernel copy moves between checks of Close.
const kernelStep = 16 << 20

// step is how much the next kernel copy of the current input may move,
// moved bytes into it.
func (r *Reader) step(moved int64) int64 {
	if r.remaining < 0 {
		return kernelStep
	}
	return min(kernelStep, r.remaining-moved)
}

// limited is the current input capped at what the stream may still carry.
func (r *Reader) limited() io.Reader {
	if r.remaining < 0 {
		return r.curFile
	}
	return &io.LimitedReader{R: r.curFile, N: r.remaining}
}

// sideOf marks an error from a ReadFrom as the input's when it names the
// input file.
func (r *Reader) sideOf(err error) error {
	var pe *fs.PathError
	if err != nil && errors.As(err, &pe) && pe.Path == r.curFile.Name() {
		return r.readErr(pe.Err)
	}
	return err
}

func (r *Reader) readErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &fs.PathError{Op: "read", Path: r.curName, Err: err}
}

// consumed counts n bytes handed out from the current input.
func (r *Reader) consumed(n int64) {
	if r.remaining > 0 {
		r.remaining -= n
		if r.remaining < 0 {
			r.remaining = 0
		}
	}
	r.curPos += n
}

// adviseDone drops pages already passed on, lagging a pipe buffer behind so
// that pages still in a pipe are not asked for twice.
func (r *Reader) adviseDone(movedNow int64) {
	if !r.nocache || r.curFile == nil || !r.ownCur {
		return
	}
	if end := r.curPos + movedNow - zerocopy.PipeSize; end > 0 {
		fadvise(r.curFile, end, unix.FADV_DONTNEED)
	}
}

// open opens the next input and applies the offset. It returns false when
// the stream has ended or the input failed (r.err or r.cur tell which).
func (r *Reader) open() bool {
	if r.next >= len(r.names) {
		r.finish(nil)
		return false
	}
	name := r.names[r.next]
	r.next++
	r.curName = name
	r.curPos = 0
	if name == Stdin {
		r.curName = "stdin"
		if r.stdin == nil {
			return r.fail(errors.New("stdin: no standard input"))
		}
		r.cur, r.ownCur = r.stdin, false
		r.curFile, _ = r.stdin.(*os.File)
	} else {
		f, err := os.Open(name)
		if err != nil {
			return r.fail(err)
		}
		r.cur, r.curFile, r.ownCur = f, f, true
	}
	if r.curFile != nil {
		st, err := r.curFile.Stat()
		if err != nil {
			return r.fail(&fs.PathError{Op: "stat", Path: r.curName, Err: unwrapPath(err)})
		}
		if st.IsDir() {
			return r.fail(&fs.PathError{Op: "read", Path: r.curName, Err: syscall.EISDIR})
		}
		if r.output != nil && st.Mode().IsRegular() && os.SameFile(st, r.output) {
			return r.fail(&fs.PathError{Op: "read", Path: r.curName, Err: ErrSameFile})
		}
		if r.ownCur {
			fadvise(r.curFile, 0, unix.FADV_SEQUENTIAL)
		}
		if r.offset > 0 && st.Mode().IsRegular() {
			skip := min(r.offset, st.Size())
			if _, err := r.curFile.Seek(skip, io.SeekCurrent); err == nil {
				r.offset -= skip
				if r.offset > 0 { // the whole file was skipped
					r.closeCur()
					return false
				}
			}
		}
	}
	if r.offset > 0 { // not seekable: read and discard
		n, err := io.CopyN(io.Discard, r.cur, r.offset)
		r.offset -= n
		if err == io.EOF {
			r.closeCur()
			return false
		}
		if err != nil {
			return r.fail(r.readErr(err))
		}
	}
	return true
}

// fail records an input error. With Report it reports it, closes the input
// and returns false so the stream goes on; without, the stream ends with it.
func (r *Reader) fail(err error) bool {
	r.closeCur()
	if r.report == nil {
		r.err = err
		return false
	}
	r.report(err)
	r.skipped++
	return false
}

func (r *Reader) finish(err error) {
	r.closeCur()
	if err == nil {
		err = io.EOF
		if r.skipped > 0 {
			err = &SkippedError{N: r.skipped}
		}
	}
	r.err = err
}

func (r *Reader) closeCur() {
	if r.curFile != nil && r.ownCur {
		if r.nocache {
			fadvise(r.curFile, 0, unix.FADV_DONTNEED)
		}
		r.curFile.Close()
	}
	r.cur, r.curFile, r.ownCur = nil, nil, false
}

func (r *Reader) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// Close stops the stream: a Read or WriteTo under way returns
// os.ErrClosed at its next chunk, and the reading goroutine then closes
// the open input (standard input is never closed). Close may be called from
// any goroutine.
func (r *Reader) Close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	return nil
}

// fadvise advises the kernel about f's first length bytes (0: all of
// it), without Fd, which would switch a FIFO to blocking mode.
func fadvise(f *os.File, length int64, advice int) {
	if rc, err := f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { unix.Fadvise(int(fd), 0, length, advice) })
	}
}

// unwrap finds the writer behind writers that pass bytes on unchanged and
// say so with an Unwrap method (like stages.StdoutSink).
func unwrap(w io.Writer) io.Writer {
	for range 8 {
		u, ok := w.(interface{ Unwrap() io.Writer })
		if !ok {
			break
		}
		w = u.Unwrap()
	}
	return w
}

func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
