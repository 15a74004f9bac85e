package gz

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"runtime"
	"sync"

	"github.com/fpipe/fpipe/internal/option"
	"github.com/fpipe/fpipe/stages/gz/internal/inflate"
)

// ReaderOption configures a Reader.
type ReaderOption func(*readerConfig) error

type readerConfig struct {
	maxOutput int64
	bufSize   int
	threads   int
}

// ReadThreads sets how many members of a stream the Writer made are
// decoded at once, 1 to 1024. Default: the number of CPUs Go may use
// (runtime.GOMAXPROCS). Each thread holds a member and its data, up to
// about 2 MiB. It changes the speed and the memory used, never the output
// or the errors; other gzip data is decoded on one thread.
func ReadThreads(n int) ReaderOption {
	return func(c *readerConfig) error {
		if n < 1 || n > 1024 {
			return &option.Error{Msg: fmt.Sprintf("threads %d out of range 1-1024", n), Why: "out of range 1-1024"}
		}
		c.threads = n
		return nil
	}
}

// MaxOutput makes the Reader fail with ErrTooLarge instead of producing
// more than n bytes of output; exactly n bytes are fine. Default: no limit.
// n must not be negative.
func MaxOutput(n int64) ReaderOption {
	return func(c *readerConfig) error {
		if n < 0 {
			return &option.Error{Msg: fmt.Sprintf("negative output limit %d", n), Why: "negative"}
		}
		c.maxOutput = n
		return nil
	}
}

// InputBuffer sets the size of the buffer the compressed input is read
// through, between 4 KiB and 16 MiB. Default DefaultInputBuffer.
func InputBuffer(n int) ReaderOption {
	return func(c *readerConfig) error {
		if n < 4<<10 || n > 16<<20 {
			return &option.Error{
				Msg: fmt.Sprintf("input buffer %d out of range %d-%d", n, 4<<10, 16<<20),
				Why: "out of range 4KiB-16MiB",
			}
		}
		c.bufSize = n
		return nil
	}
}

// DefaultInputBuffer is the default size of the Reader's input buffer.
const DefaultInputBuffer = 128 << 10

// Errors of the Reader. Each is returned wrapped in an *Error that gives
// the offset in the input where the problem is.
var (
	ErrEmpty           = errors.New("empty input, not gzip data")
	ErrNotGzip         = errors.New("not in gzip format")
	ErrTruncated error = truncated{} // also matches io.ErrUnexpectedEOF
	ErrHeader          = errors.New("invalid gzip header")
	ErrCorrupt         = errors.New("corrupt deflate data")
	ErrChecksum        = errors.New("crc32 mismatch")
	ErrLength          = errors.New("length mismatch")
	ErrTrailing        = errors.New("trailing garbage after gzip data")
	ErrTooLarge        = errors.New("output exceeds the limit")
	// ErrReadClosed is returned by a Read after Close.
	ErrReadClosed = errors.New("read after close")
)

type truncated struct{}

func (truncated) Error() string        { return "unexpected end of gzip data" }
func (truncated) Is(target error) bool { return target == io.ErrUnexpectedEOF }

// Error is a problem in the gzip data: what (Err, one of the Err* values
// above) and where (Offset, in bytes from the first byte the Reader read).
type Error struct {
	Offset int64
	Err    error
	Detail string // more about it; may be empty
}

func (e *Error) Error() string {
	s := e.Err.Error()
	if e.Err != ErrNotGzip && e.Err != ErrEmpty {
		s += fmt.Sprintf(" at offset %d", e.Offset)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// Reader decompresses gzip data (RFC 1952). It reads every member of a
// multi-member stream (as `cat a.gz b.gz` makes) and returns their data as
// one stream; after the last member it accepts zero bytes up to the end of
// the input (padding of tapes and block devices), and fails on anything
// else (ErrTrailing). Header fields FEXTRA, FNAME and FCOMMENT are skipped
// and FHCRC is checked. Each member's CRC-32 and length are checked when
// its trailer is read; the data before it has been returned by then, so a
// consumer must not treat its output as good before the Reader returned
// io.EOF (fpipe's sink commits only then).
//
// Errors in the data are *Error values; a failure of the underlying reader
// is returned as it is. Errors are sticky. The Reader reads its input on
// another goroutine, up to 768 KiB ahead of the decoder, and through a
// buffer; it reads past the end of the gzip data only to check what follows
// it (or as far as the read-ahead got before an error). Memory use is
// fixed (the buffer and a decoding window of about 290 KiB, and for the
// Writer's members ReadThreads + 1 members with their data), whatever the
// size of the output.
//
// Members as the Writer makes them are decoded on ReadThreads goroutines
// at once and returned in order, with the same output and errors as on
// one. A Reader is for one goroutine; Close waits for those it started.
type Reader struct {
	cr   countReader
	ra   readAhead
	br   *bufio.Reader
	fl   *inflate.Decoder
	max  int64  // output limit
	out  int64  // output so far
	crc  uint32 // of the current member's data
	size uint32 // of the current member's data, mod 2^32

	members   int   // members started
	bodyStart int64 // offset of the current member's deflate data
	inBody    bool
	curOurs   bool  // the current member has the Writer's subfield
	lastOurs  bool  // the last member had it and data: the end member is due
	err       error // sticky; io.EOF at a clean end
	cw        crcWriter

	// The parallel path (parallel.go).
	threads int
	slots   []*slot       // a ring; allocated on first use
	queue   []*slot       // members read, in input order, from slots[head]
	head    int           // index in slots of queue[0]
	parStop bool          // the input does not go on with a member for it
	parOff  bool          // handed over once: the rest is sequential
	sem     chan struct{} // a token per member being decoded
}

var (
	_ io.ReadCloser = (*Reader)(nil)
	_ io.WriterTo   = (*Reader)(nil)
)

// NewReader returns a Reader of the gzip data in r. It reads nothing yet
// and fails only on an invalid option. Close does not close r.
func NewReader(r io.Reader, opts ...ReaderOption) (*Reader, error) {
	c, err := applyReader(opts)
	if err != nil {
		return nil, err
	}
	z := &Reader{max: c.maxOutput, threads: c.threads}
	z.ra.src = r
	z.cr.r = &z.ra
	z.br = bufio.NewReaderSize(&z.cr, c.bufSize)
	z.cw.z = z
	return z, nil
}

// CheckReader reports whether opts are valid: nil when NewReader would
// accept them, else the first problem, the error NewReader would return,
// so that a command-line tool can report it as a usage error in its own
// name.
func CheckReader(opts ...ReaderOption) error {
	_, err := applyReader(opts)
	return err
}

// applyReader returns the configuration opts make from the defaults.
func applyReader(opts []ReaderOption) (readerConfig, error) {
	c := readerConfig{maxOutput: math.MaxInt64, bufSize: DefaultInputBuffer, threads: runtime.GOMAXPROCS(0)}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return readerConfig{}, err
		}
	}
	return c, nil
}

// countReader counts the bytes read through it. It returns first the
// bytes in pending (input read ahead and put back), then perr if set (a
// failure of r met earlier, sticky), then what r gives.
type countReader struct {
	r       io.Reader
	n       int64
	pending [][]byte
	perr    error
}

func (c *countReader) Read(p []byte) (int, error) {
	for len(c.pending) > 0 {
		b := c.pending[0]
		n := copy(p, b)
		if n == len(b) {
			c.pending[0] = nil
			c.pending = c.pending[1:]
		} else {
			c.pending[0] = b[n:]
		}
		if n > 0 || len(p) == 0 {
			c.n += int64(n)
			return n, nil
		}
	}
	if c.perr != nil {
		return 0, c.perr
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// pos is the offset of the next byte the Reader will look at. In a
// member's body the decoder holds the input it has buffered, and knows
// how far it read.
func (z *Reader) pos() int64 {
	if z.inBody {
		return z.bodyStart + z.fl.InputOffset()
	}
	return z.cr.n - int64(z.br.Buffered())
}

func (z *Reader) errAt(off int64, kind error, detail string) error {
	return &Error{Offset: off, Err: kind, Detail: detail}
}

// truncatedOr maps the end of the input to ErrTruncated at its offset.
func (z *Reader) truncatedOr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return z.errAt(z.pos(), ErrTruncated, "")
	}
	return err
}

// Read reads decompressed data into p.
func (z *Reader) Read(p []byte) (int, error) {
	for {
		if z.err != nil {
			z.ra.stop()
			return 0, z.err
		}
		if !z.inBody {
			if s := z.parFront(); s != nil {
				if len(p) == 0 {
					return 0, nil
				}
				n := copy(p, s.out[s.pos:])
				s.pos += n
				z.out += int64(n)
				if s.pos == len(s.out) {
					z.parDone(s)
				}
				if n > 0 {
					return n, nil
				}
				continue
			}
			z.err = z.header()
			continue
		}
		if len(p) == 0 {
			return 0, nil
		}
		q := p
		if left := z.max - z.out; int64(len(q)) > left {
			q = q[:left+1] // one byte more tells whether the limit is passed
		}
		n, err := z.fl.Read(q)
		if left := z.max - z.out; int64(n) > left {
			n = int(left)
			z.err = z.errAt(z.pos(), ErrTooLarge, fmt.Sprintf("more than %d bytes", z.max))
		}
		z.account(q[:n])
		if z.err != nil {
			return n, z.err
		}
		switch {
		case err == io.EOF:
			z.err = z.trailer()
		case err != nil:
			z.err = z.bodyErr(err)
		}
		if n > 0 {
			return n, nil
		}
	}
}

func (z *Reader) account(p []byte) {
	z.crc = crc32.Update(z.crc, crc32.IEEETable, p)
	z.size += uint32(len(p))
	z.out += int64(len(p))
}

// crcWriter is what WriteTo hands the decompressor: it keeps the checksum
// and the limit, and remembers a failure of the destination.
type crcWriter struct {
	z    *Reader
	w    io.Writer
	werr error
}

func (c *crcWriter) Write(p []byte) (int, error) {
	z := c.z
	var limit error
	if left := z.max - z.out; int64(len(p)) > left {
		p = p[:left]
		limit = z.errAt(z.pos(), ErrTooLarge, fmt.Sprintf("more than %d bytes", z.max))
	}
	n, err := c.w.Write(p)
	z.account(p[:n])
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		c.werr = err
		return n, err
	}
	if limit != nil {
		c.werr = limit
		return n, limit
	}
	return n, nil
}

// WriteTo writes the decompressed data to w until the end of the input or
// an error, and returns the number of bytes written. It copies the data
// into a few 256 KiB buffers that another goroutine writes to w, so that
// writing overlaps decoding; that goroutine has ended when WriteTo returns.
func (z *Reader) WriteTo(w io.Writer) (int64, error) {
	aw := newAsyncWriter(w)
	z.cw.w = aw
	defer func() { z.cw.w = nil }()
	for z.err == nil {
		if !z.inBody {
			if s := z.parFront(); s != nil {
				if err := aw.direct(s.out[s.pos:]); err != nil {
					z.err = err
					break
				}
				z.out += int64(len(s.out) - s.pos)
				z.parDone(s)
				continue
			}
			z.err = z.header()
			continue
		}
		z.cw.werr = nil
		_, err := z.fl.WriteTo(&z.cw)
		switch {
		case z.cw.werr != nil:
			z.err = z.cw.werr
		case err == nil:
			z.err = z.trailer()
		default:
			z.err = z.bodyErr(err)
		}
	}
	z.parWait()
	z.ra.stop()
	n, werr := aw.close()
	if werr != nil && (z.err == io.EOF || !errors.Is(z.err, werr)) {
		z.err = werr
	}
	if z.err == io.EOF {
		return n, nil
	}
	return n, z.err
}

// asyncWriter collects output in buffers that a goroutine writes.
type asyncWriter struct {
	w    io.Writer
	cur  []byte
	free chan []byte
	full chan []byte
	done chan struct{}
	n    int64 // written by the goroutine; read after done

	mu  sync.Mutex
	err error
}

const (
	asyncBuffer  = 256 << 10
	asyncBuffers = 3
)

func newAsyncWriter(w io.Writer) *asyncWriter {
	a := &asyncWriter{
		w:    w,
		free: make(chan []byte, asyncBuffers),
		full: make(chan []byte, asyncBuffers),
		done: make(chan struct{}),
	}
	a.cur = make([]byte, 0, asyncBuffer)
	for range asyncBuffers - 1 {
		a.free <- make([]byte, 0, asyncBuffer)
	}
	go a.loop()
	return a
}

func (a *asyncWriter) getErr() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

func (a *asyncWriter) loop() {
	defer close(a.done)
	for b := range a.full {
		if a.getErr() == nil {
			n, err := a.w.Write(b)
			a.n += int64(n)
			if err == nil && n < len(b) {
				err = io.ErrShortWrite
			}
			if err != nil {
				a.mu.Lock()
				a.err = err
				a.mu.Unlock()
			}
		}
		a.free <- b[:0]
	}
}

// Write takes all of p unless an earlier write failed.
func (a *asyncWriter) Write(p []byte) (int, error) {
	if err := a.getErr(); err != nil {
		return 0, err
	}
	n := len(p)
	for len(p) > 0 {
		k := copy(a.cur[len(a.cur):cap(a.cur)], p)
		a.cur = a.cur[:len(a.cur)+k]
		p = p[k:]
		if len(a.cur) == cap(a.cur) {
			a.full <- a.cur
			a.cur = <-a.free
		}
	}
	return n, nil
}

// direct writes p on the caller's goroutine, after what is buffered, and
// returns the first write error.
func (a *asyncWriter) direct(p []byte) error {
	if len(a.cur) > 0 {
		a.full <- a.cur
		a.cur = <-a.free
	}
	// Once every other buffer is back, none is being written.
	var spare [asyncBuffers - 1][]byte
	for i := range spare {
		spare[i] = <-a.free
	}
	for _, b := range spare {
		a.free <- b
	}
	if err := a.getErr(); err != nil {
		return err
	}
	n, err := a.w.Write(p)
	a.n += int64(n)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		a.mu.Lock()
		a.err = err
		a.mu.Unlock()
	}
	return err
}

// close writes what is left, waits for the goroutine, and returns the
// bytes written and the first write error.
func (a *asyncWriter) close() (int64, error) {
	if len(a.cur) > 0 {
		a.full <- a.cur
	}
	close(a.full)
	<-a.done
	return a.n, a.err
}

// bodyErr maps an error of the deflate decoder.
func (z *Reader) bodyErr(err error) error {
	var ce *inflate.CorruptError
	if errors.As(err, &ce) {
		return z.errAt(z.bodyStart+ce.Offset, ErrCorrupt, "")
	}
	return z.truncatedOr(err)
}

// trailer checks the end of a member; nil means read the next header.
func (z *Reader) trailer() error {
	z.inBody = false
	off := z.pos()
	var t [8]byte
	if _, err := io.ReadFull(z.br, t[:]); err != nil {
		return z.truncatedOr(err)
	}
	crc, size := binary.LittleEndian.Uint32(t[:4]), binary.LittleEndian.Uint32(t[4:])
	crcBad, sizeBad := crc != z.crc, size != z.size
	switch {
	case crcBad && sizeBad:
		return z.errAt(off, ErrLength, fmt.Sprintf("trailer says %d bytes (mod 2^32), data has %d; and crc32 %08x, data has %08x", size, z.size, crc, z.crc))
	case sizeBad:
		return z.errAt(off, ErrLength, fmt.Sprintf("trailer says %d bytes (mod 2^32), data has %d", size, z.size))
	case crcBad:
		return z.errAt(off, ErrChecksum, fmt.Sprintf("trailer says %08x, data has %08x", crc, z.crc))
	}
	z.lastOurs = z.curOurs && z.size != 0
	return nil
}

// Header flags (RFC 1952 section 2.3.1).
const (
	flagText    = 1 << 0
	flagHCRC    = 1 << 1
	flagExtra   = 1 << 2
	flagName    = 1 << 3
	flagComment = 1 << 4
	flagsKnown  = flagText | flagHCRC | flagExtra | flagName | flagComment
)

// header reads a member header, or the end of the input after the last
// member (io.EOF), or zero padding up to the end of the input. A stream
// whose last member is one of the Writer's with data lacks the Writer's
// empty end member: it was cut at a member boundary.
func (z *Reader) header() error {
	err := z.header1()
	if err == io.EOF && z.lastOurs {
		return z.errAt(z.pos(), ErrTruncated, "the stream's end member is missing")
	}
	return err
}

func (z *Reader) header1() error {
	start := z.pos()
	b0, err := z.br.ReadByte()
	if err == io.EOF {
		if z.members == 0 {
			return z.errAt(0, ErrEmpty, "")
		}
		return io.EOF
	}
	if err != nil {
		return err
	}
	if b0 == 0 && z.members > 0 {
		return z.padding()
	}
	b1, err := z.br.ReadByte()
	switch {
	case err == io.EOF && b0 == 0x1f:
		return z.errAt(z.pos(), ErrTruncated, "")
	case err == io.EOF:
	case err != nil:
		return err
	}
	if b0 != 0x1f || b1 != 0x8b || err != nil {
		if z.members == 0 {
			return z.errAt(0, ErrNotGzip, "")
		}
		return z.errAt(start, ErrTrailing, "")
	}
	var h [10]byte
	h[0], h[1] = b0, b1
	if _, err := io.ReadFull(z.br, h[2:]); err != nil {
		return z.truncatedOr(err)
	}
	if h[2] != 8 {
		return z.errAt(start+2, ErrHeader, fmt.Sprintf("unknown compression method %d", h[2]))
	}
	flg := h[3]
	if flg&^flagsKnown != 0 {
		return z.errAt(start+3, ErrHeader, fmt.Sprintf("reserved flags %#02x set", flg&^flagsKnown))
	}
	z.members++
	ours := false
	hcrc := crc32.Update(0, crc32.IEEETable, h[:])
	if flg&flagExtra != 0 {
		var x [2]byte
		if _, err := io.ReadFull(z.br, x[:]); err != nil {
			return z.truncatedOr(err)
		}
		hcrc = crc32.Update(hcrc, crc32.IEEETable, x[:])
		xlen := int(binary.LittleEndian.Uint16(x[:]))
		if xlen == 8 {
			if b, err := z.br.Peek(4); err == nil {
				ours = b[0] == subfieldID1 && b[1] == subfieldID2 && b[2] == 4 && b[3] == 0
			}
		}
		if hcrc, err = z.skip(hcrc, xlen); err != nil {
			return z.truncatedOr(err)
		}
	}
	for _, f := range []byte{flagName, flagComment} {
		if flg&f != 0 {
			if hcrc, err = z.skipString(hcrc); err != nil {
				return z.truncatedOr(err)
			}
		}
	}
	if flg&flagHCRC != 0 {
		off := z.pos()
		var x [2]byte
		if _, err := io.ReadFull(z.br, x[:]); err != nil {
			return z.truncatedOr(err)
		}
		if got, want := binary.LittleEndian.Uint16(x[:]), uint16(hcrc); got != want {
			return z.errAt(off, ErrHeader, fmt.Sprintf("header crc16 is %04x, header has %04x", got, want))
		}
	}
	z.bodyStart = z.pos()
	if z.fl == nil {
		z.fl = inflate.NewDecoder()
	}
	z.fl.Reset(z.br)
	z.crc, z.size, z.inBody, z.curOurs = 0, 0, true, ours
	return nil
}

// skip discards n bytes of the header, adding them to the header CRC.
func (z *Reader) skip(hcrc uint32, n int) (uint32, error) {
	for n > 0 {
		b, err := z.br.Peek(min(n, z.br.Size()))
		if len(b) == 0 && err != nil {
			return hcrc, noEOF(err)
		}
		hcrc = crc32.Update(hcrc, crc32.IEEETable, b)
		z.br.Discard(len(b))
		n -= len(b)
	}
	return hcrc, nil
}

// skipString discards a NUL-terminated header string of any length.
func (z *Reader) skipString(hcrc uint32) (uint32, error) {
	for {
		b, err := z.br.ReadSlice(0)
		hcrc = crc32.Update(hcrc, crc32.IEEETable, b)
		switch err {
		case nil:
			return hcrc, nil
		case bufio.ErrBufferFull:
			continue
		}
		return hcrc, noEOF(err)
	}
}

// padding accepts zero bytes up to the end of the input; anything else is
// trailing garbage, reported at its first non-zero byte.
func (z *Reader) padding() error {
	for {
		n := z.br.Buffered()
		if n == 0 {
			if _, err := z.br.Peek(1); err != nil {
				if err == io.EOF {
					return io.EOF
				}
				return err
			}
			continue
		}
		b, _ := z.br.Peek(n)
		for i, c := range b {
			if c != 0 {
				return z.errAt(z.pos()+int64(i), ErrTrailing, "")
			}
		}
		z.br.Discard(n)
	}
}

func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// Members is the number of gzip members started so far.
func (z *Reader) Members() int { return z.members }

// Close releases the Reader; it does not close the underlying reader. Read
// and WriteTo fail after Close.
func (z *Reader) Close() error {
	if z.err == nil || z.err == io.EOF {
		z.err = ErrReadClosed
	}
	z.parWait()
	z.ra.stop()
	return nil
}
