package zst

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/fpipe/fpipe/internal/iox"
	"github.com/fpipe/fpipe/internal/option"
	"github.com/klauspost/compress/zstd"
)

// ReaderOption configures a Reader.
type ReaderOption func(*readerConfig) error

type readerConfig struct {
	maxWindow   uint64
	ignoreCheck bool
	concurrency int
	bufSize     int
}

// Limits and defaults of the Reader's options.
const (
	// DefaultMaxWindow is the largest window a frame may ask for by
	// default, as the zstd command's own default (--memory=128MB).
	DefaultMaxWindow = 128 << 20
	// MinWindow is the smallest window of the format (1 KiB).
	MinWindow = 1 << 10
	// MaxWindowLimit is the largest MaxWindow accepted: the format's
	// largest window, (1<<41) + 7*(1<<38) bytes (3.75 TiB).
	MaxWindowLimit = (1 << 41) + 7*(1<<38)
	// DefaultInputBuffer is the default size of the input buffer.
	DefaultInputBuffer = 128 << 10
	// DefaultConcurrency is how many blocks the Reader decodes at once by
	// default. 1 decodes on the caller's goroutine; more run literal
	// decoding, sequence decoding and execution on separate goroutines.
	// Measured on two CPUs on a dump and a GOROOT tar (zstd -3's output), 1
	// was as fast as 2 and 4, took a third less CPU and 5 MiB less memory.
	DefaultConcurrency = 1
)

// MaxWindow makes the Reader refuse, with ErrWindow, a frame that needs
// a window larger than n bytes, before anything of it is allocated. The
// decoder's memory is about the window plus a few MiB (see the package
// documentation). n is between MinWindow and
// MaxWindowLimit. Default DefaultMaxWindow.
func MaxWindow(n int64) ReaderOption {
	return func(c *readerConfig) error {
		if n < MinWindow || n > MaxWindowLimit {
			return &option.Error{
				Msg: fmt.Sprintf("window limit %d out of range %d-%d", n, int64(MinWindow), int64(MaxWindowLimit)),
				Why: "out of range 1KiB-3840GiB",
			}
		}
		c.maxWindow = uint64(n)
		return nil
	}
}

// IgnoreChecksum makes the Reader skip the content checksums of frames
// instead of checking them. Default false: a mismatch is ErrChecksum.
func IgnoreChecksum(ignore bool) ReaderOption {
	return func(c *readerConfig) error {
		c.ignoreCheck = ignore
		return nil
	}
}

// Concurrency sets how many blocks are decoded at once, 1 to 16: 1
// decodes on the caller's goroutine, more run a pipeline of goroutines.
// It changes the speed and memory, never the output. Default
// DefaultConcurrency.
func Concurrency(n int) ReaderOption {
	return func(c *readerConfig) error {
		if n < 1 || n > 16 {
			return &option.Error{Msg: fmt.Sprintf("concurrency %d out of range 1-16", n), Why: "out of range 1-16"}
		}
		c.concurrency = n
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

// Errors of the Reader. Each is returned wrapped in an *Error that gives
// the offset in the input where the problem is.
var (
	ErrEmpty            = errors.New("empty input, not zstd data")
	ErrNotZstd          = errors.New("not in zstd format")
	ErrTruncated  error = truncated{} // also matches io.ErrUnexpectedEOF
	ErrCorrupt          = errors.New("corrupt zstd data")
	ErrChecksum         = errors.New("content checksum mismatch")
	ErrTrailing         = errors.New("trailing garbage after zstd data")
	ErrWindow           = errors.New("window too large")
	ErrDictionary       = errors.New("frame needs a dictionary")
	// ErrReadClosed is returned by a Read after Close.
	ErrReadClosed = errors.New("read after close")
)

type truncated struct{}

func (truncated) Error() string        { return "unexpected end of zstd data" }
func (truncated) Is(target error) bool { return target == io.ErrUnexpectedEOF }

// Error is a problem in the zstd data: what (Err, one of the Err* values
// above) and where (Offset, in bytes from the first byte the Reader read).
// For ErrCorrupt, ErrWindow and ErrDictionary the offset is that of the
// frame; for ErrChecksum that of the checksum field.
type Error struct {
	Offset int64
	Err    error
	Detail string // more about it; may be empty
	// Window is the window the frame asks for (ErrWindow only).
	Window uint64
}

func (e *Error) Error() string {
	s := e.Err.Error()
	switch e.Err {
	case ErrNotZstd, ErrEmpty:
	case ErrCorrupt, ErrWindow, ErrDictionary:
		s += fmt.Sprintf(" in the frame at offset %d", e.Offset)
	default:
		s += fmt.Sprintf(" at offset %d", e.Offset)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns Err.
func (e *Error) Unwrap() error { return e.Err }

// Magic numbers (little-endian) of the format.
const (
	frameMagic     = 0xFD2FB528
	skippableMagic = 0x184D2A50 // the low 4 bits are free
	skippableMask  = 0xFFFFFFF0
	maxBlockSize   = 128 << 10
)

// Reader decompresses zstd data (RFC 8878). It reads every frame of a
// multi-frame stream (as `zstd -c a b` or `cat a.zst b.zst` make), skips
// skippable frames, and returns the frames' data as one stream. Anything
// after the last frame that is not a frame is ErrTrailing, as for zstd(1).
//
// The Reader walks the frame and block headers itself, ahead of the
// decoder (klauspost/compress/zstd), and hands the decoder one frame at a
// time. So it knows where each frame and block starts and can tell a
// truncated stream (ErrTruncated, at the offset where the input ended),
// data after the last frame (ErrTrailing) and input that is not zstd at
// all (ErrNotZstd, ErrEmpty) apart; and it refuses a frame whose window is
// larger than MaxWindow (ErrWindow) from its header, before the decoder
// allocates anything for it.
//
// A frame's content checksum comes after its data: a consumer must not
// treat the output as good before the Reader returned io.EOF (fpipe's sink
// commits only then).
//
// Errors in the data are *Error values; a failure of the underlying reader
// is returned as it is. Errors are sticky. Memory: the input buffer, the
// largest window seen so far (at most MaxWindow) and a few block buffers,
// whatever the length of the stream. A Reader is for one goroutine.
type Reader struct {
	cfg    readerConfig
	cr     iox.CountingReader
	br     *bufio.Reader
	dec    *zstd.Decoder
	fr     frameReader
	seq    seqChecker // the sequences of the current frame
	blk    []byte     // the compressed block being handed to the decoder
	frames int        // frames started, skippable ones included
	in     bool
	err    error // sticky; io.EOF at a clean end
	closed bool
}

var (
	_ io.ReadCloser = (*Reader)(nil)
	_ io.WriterTo   = (*Reader)(nil)
)

// NewReader returns a Reader of the zstd data in r. It reads nothing yet
// and fails only on an invalid option. Close releases the decoder's
// goroutines and memory; it does not close r.
func NewReader(r io.Reader, opts ...ReaderOption) (*Reader, error) {
	c, err := applyReader(opts)
	if err != nil {
		return nil, err
	}
	z := &Reader{cfg: c}
	z.cr.R = r
	z.br = bufio.NewReaderSize(&z.cr, c.bufSize)
	z.fr.z = z
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
	c := readerConfig{maxWindow: DefaultMaxWindow, concurrency: DefaultConcurrency, bufSize: DefaultInputBuffer}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return readerConfig{}, err
		}
	}
	return c, nil
}

// pos is the offset of the next byte the Reader will look at.
func (z *Reader) pos() int64 { return z.cr.N - int64(z.br.Buffered()) }

func errAt(off int64, kind error, detail string) *Error {
	return &Error{Offset: off, Err: kind, Detail: detail}
}

// peek returns the next n bytes without consuming them. At the end of the
// input it returns what there is and io.EOF; another read error as it is.
func (z *Reader) peek(n int) ([]byte, error) {
	b, err := z.br.Peek(n)
	if len(b) == n {
		return b, nil
	}
	if err == nil || err == io.ErrUnexpectedEOF {
		err = io.EOF
	}
	return b, err
}

// isMagicPrefix tells whether b (shorter than 4 bytes) is the start of a
// frame's magic number: the input ended inside it.
func isMagicPrefix(b []byte) bool {
	zstdMagic := [3]byte{0x28, 0xb5, 0x2f}
	if string(b) == string(zstdMagic[:len(b)]) {
		return true
	}
	skip := [3]byte{0x50, 0x2a, 0x4d} // 0x184D2A5?, little-endian
	return b[0]&0xf0 == skip[0] && string(b[1:]) == string(skip[1:len(b)])
}

// nextFrame finds the next frame, skipping skippable ones, checks its
// header and starts the decoder on it. It returns io.EOF at a clean end.
func (z *Reader) nextFrame() error {
	for {
		off := z.pos()
		b, err := z.peek(4)
		if len(b) < 4 {
			switch {
			case err != io.EOF:
				return err
			case len(b) == 0 && z.frames == 0:
				return errAt(off, ErrEmpty, "")
			case len(b) == 0:
				return io.EOF
			case isMagicPrefix(b):
				return errAt(off+int64(len(b)), ErrTruncated, "")
			case z.frames == 0:
				return errAt(off, ErrNotZstd, "")
			}
			return errAt(off, ErrTrailing, "")
		}
		magic := binary.LittleEndian.Uint32(b)
		if magic&skippableMask == skippableMagic {
			if err := z.skipFrame(off); err != nil {
				return err
			}
			z.frames++
			continue
		}
		if magic != frameMagic {
			if z.frames == 0 {
				return errAt(off, ErrNotZstd, "")
			}
			return errAt(off, ErrTrailing, "")
		}
		if err := z.frameHeader(off); err != nil {
			return err
		}
		z.frames++
		return z.startDecoder()
	}
}

// skipFrame skips the skippable frame at off.
func (z *Reader) skipFrame(off int64) error {
	b, err := z.peek(8)
	if len(b) < 8 {
		if err == io.EOF {
			return errAt(off+int64(len(b)), ErrTruncated, "")
		}
		return err
	}
	size := int64(binary.LittleEndian.Uint32(b[4:]))
	z.br.Discard(8)
	n, err := z.br.Discard(int(size))
	if int64(n) < size {
		if err == io.EOF || err == nil {
			return errAt(z.pos(), ErrTruncated, "")
		}
		return err
	}
	return nil
}

// frameHeader parses the header of the frame at off and readies the
// frame reader, without consuming anything.
func (z *Reader) frameHeader(off int64) error {
	b, err := z.peek(5)
	if len(b) < 5 {
		if err == io.EOF {
			return errAt(off+int64(len(b)), ErrTruncated, "")
		}
		return err
	}
	fhd := b[4]
	if fhd&(1<<3) != 0 {
		return errAt(off, ErrCorrupt, "reserved bit set in the frame header")
	}
	single := fhd&(1<<5) != 0
	dictSize := [4]int{0, 1, 2, 4}[fhd&3]
	fcsSize := [4]int{0, 2, 4, 8}[fhd>>6]
	if fcsSize == 0 && single {
		fcsSize = 1
	}
	n := 5 + dictSize + fcsSize
	if !single {
		n++
	}
	b, err = z.peek(n)
	if len(b) < n {
		if err == io.EOF {
			return errAt(off+int64(len(b)), ErrTruncated, "")
		}
		return err
	}
	p := 5
	var window uint64
	if !single {
		wd := b[p]
		p++
		base := uint64(1) << (10 + wd>>3)
		window = base + base/8*uint64(wd&7)
	}
	var dict uint32
	for i := range dictSize {
		dict |= uint32(b[p+i]) << (8 * i)
	}
	p += dictSize
	var fcs uint64
	for i := range fcsSize {
		fcs |= uint64(b[p+i]) << (8 * i)
	}
	if fcsSize == 2 {
		fcs += 256
	}
	if single {
		window = max(fcs, MinWindow)
	}
	if dict != 0 {
		return errAt(off, ErrDictionary, fmt.Sprintf("dictionary ID %d; dictionaries are not supported", dict))
	}
	if window > z.cfg.maxWindow {
		e := errAt(off, ErrWindow, fmt.Sprintf("it needs %s, more than the limit of %s", sizeString(window), sizeString(z.cfg.maxWindow)))
		e.Window = window
		return e
	}
	z.fr = frameReader{z: z, start: off, left: n, checksum: fhd&(1<<2) != 0, blockMax: min(window, maxBlockSize)}
	// A frame with a content checksum is checked by it: corruption that
	// changes the data fails it. The sequences of a frame without one (or
	// when checksums are ignored) are checked as the frame is read.
	z.seq.reset()
	z.seq.skip = z.fr.checksum && !z.cfg.ignoreCheck
	return nil
}

// sizeString writes a byte count the way people read it: 8 MiB, 1536 KiB.
func sizeString(n uint64) string {
	for _, u := range []struct {
		shift uint
		name  string
	}{{40, "TiB"}, {30, "GiB"}, {20, "MiB"}, {10, "KiB"}} {
		if n >= 1<<u.shift && n%(1<<u.shift) == 0 {
			return fmt.Sprintf("%d %s", n>>u.shift, u.name)
		}
	}
	for _, u := range []struct {
		shift uint
		name  string
	}{{40, "TiB"}, {30, "GiB"}, {20, "MiB"}, {10, "KiB"}} {
		if n >= 1<<u.shift {
			return fmt.Sprintf("%.1f %s", float64(n)/float64(uint64(1)<<u.shift), u.name)
		}
	}
	return fmt.Sprintf("%d bytes", n)
}

// startDecoder hands the frame reader to the decoder.
func (z *Reader) startDecoder() error {
	if z.dec == nil {
		limit := max(z.cfg.maxWindow, MinWindow)
		dec, err := zstd.NewReader(nil,
			zstd.WithDecoderMaxWindow(limit),
			zstd.WithDecoderMaxMemory(limit),
			zstd.WithDecoderConcurrency(z.cfg.concurrency),
			zstd.WithDecodeBuffersBelow(0),
			zstd.IgnoreChecksum(z.cfg.ignoreCheck))
		if err != nil {
			return err
		}
		z.dec = dec
	}
	return z.dec.Reset(&z.fr)
}

// endFrame checks, once the decoder ended a frame, that it ended where the
// headers say.
func (z *Reader) endFrame() error {
	if z.fr.err != nil {
		return z.fr.err
	}
	if !z.fr.done || z.fr.left != 0 {
		return errAt(z.fr.start, ErrCorrupt, "the frame ended before its last block")
	}
	return nil
}

// frameErr maps an error of the decoder to what went wrong.
func (z *Reader) frameErr(err error) error {
	if z.fr.err != nil {
		return z.fr.err // found first, and more precise
	}
	switch {
	case errors.Is(err, zstd.ErrCRCMismatch):
		return errAt(z.fr.csumOff, ErrChecksum, "")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errAt(z.fr.start, ErrCorrupt, "the frame ended before its data did")
	}
	return errAt(z.fr.start, ErrCorrupt, err.Error())
}

// Read reads decompressed data into p.
func (z *Reader) Read(p []byte) (int, error) {
	for {
		if z.closed {
			return 0, ErrReadClosed
		}
		if z.err != nil {
			return 0, z.err
		}
		if !z.in {
			if z.err = z.nextFrame(); z.err == nil {
				z.in = true
			}
			continue
		}
		if len(p) == 0 {
			return 0, nil
		}
		n, err := z.dec.Read(p)
		switch {
		case err == io.EOF:
			z.in = false
			z.err = z.endFrame()
		case err != nil:
			z.err = z.frameErr(err)
		}
		if n > 0 {
			return n, nil
		}
	}
}

// WriteTo writes the decompressed data to w until the end of the input or
// an error; it returns the number of bytes written. A write error of w is
// returned as it is, and sticks.
func (z *Reader) WriteTo(w io.Writer) (int64, error) {
	ew := &errWriter{w: w}
	var total int64
	for {
		if z.closed {
			return total, ErrReadClosed
		}
		if z.err == io.EOF {
			return total, nil
		}
		if z.err != nil {
			return total, z.err
		}
		if !z.in {
			if z.err = z.nextFrame(); z.err == nil {
				z.in = true
			}
			continue
		}
		n, err := z.dec.WriteTo(ew)
		total += n
		switch {
		case ew.err != nil:
			z.err = ew.err
		case err != nil:
			z.err = z.frameErr(err)
		default:
			z.in = false
			z.err = z.endFrame()
		}
	}
}

// errWriter remembers the first error of w, to tell it from the
// decoder's.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err == nil && n < len(p) {
		err = io.ErrShortWrite
	}
	if err != nil && e.err == nil {
		e.err = err
	}
	return n, err
}

// Close releases the decoder. It does not close the underlying reader.
// Reads after Close return ErrReadClosed. Close returns nil.
func (z *Reader) Close() error {
	if z.closed {
		return nil
	}
	z.closed = true
	if z.dec != nil {
		z.dec.Close()
		z.dec = nil
	}
	return nil
}

// Frames is the number of frames read so far, skippable frames included.
func (z *Reader) Frames() int { return z.frames }

// frameReader hands the decoder the bytes of one frame and nothing more,
// walking its block headers as it goes: at the end of the frame it returns
// io.EOF. A problem it finds (the input ends, a block header is invalid)
// is kept in err for the Reader, and the decoder gets io.ErrUnexpectedEOF.
type frameReader struct {
	z        *Reader
	start    int64  // offset of the frame
	left     int    // bytes left of the current piece (header, block, checksum)
	last     bool   // the current block is the frame's last
	checksum bool   // the frame ends with a checksum
	blockMax uint64 // largest block size allowed
	csumOff  int64  // offset of the checksum field, once reached
	done     bool   // everything of the frame was handed out
	err      error

	compressed bool  // the current piece is a compressed block
	blockOff   int64 // its offset
	hdrLeft    int   // bytes of its header not yet handed out
}

func (f *frameReader) Read(p []byte) (int, error) {
	z := f.z
	for f.left == 0 {
		if f.err != nil {
			return 0, io.ErrUnexpectedEOF
		}
		if f.done {
			return 0, io.EOF
		}
		switch {
		case !f.last:
			if f.err = f.block(); f.err != nil {
				f.left = 0
				return 0, io.ErrUnexpectedEOF
			}
		case f.checksum && f.csumOff == 0:
			f.csumOff = z.pos()
			f.left = 4
		default:
			f.done = true
		}
	}
	if len(p) > f.left {
		p = p[:f.left]
	}
	n, err := z.br.Read(p)
	f.left -= n
	if f.compressed && n > 0 {
		if !f.keepBlock(p[:n]) {
			return 0, io.ErrUnexpectedEOF
		}
	}
	if n == 0 && err != nil {
		if err == io.EOF {
			f.err = errAt(z.pos(), ErrTruncated, "")
			return 0, io.ErrUnexpectedEOF
		}
		f.err = err
		return 0, err
	}
	return n, nil
}

// keepBlock keeps b, the next bytes of a compressed block, and checks the
// block's sequences once it is whole: before its last bytes reach the
// decoder, which would otherwise decode what the check refuses. It reports
// whether b may be handed out.
func (f *frameReader) keepBlock(b []byte) bool {
	z := f.z
	h := min(f.hdrLeft, len(b))
	f.hdrLeft -= h
	z.blk = append(z.blk, b[h:]...)
	if f.left > 0 {
		return true
	}
	f.compressed = false
	if err := z.seq.check(z.blk); err != nil {
		f.err = errAt(f.start, ErrCorrupt, fmt.Sprintf("%v in the block at offset %d", err, f.blockOff))
		f.left = 0
		return false
	}
	return true
}

// block reads the header of the next block.
func (f *frameReader) block() error {
	z := f.z
	off := z.pos()
	f.compressed = false
	b, err := z.peek(3)
	if len(b) < 3 {
		if err == io.EOF {
			return errAt(off+int64(len(b)), ErrTruncated, "")
		}
		return err
	}
	h := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
	f.last = h&1 != 0
	size := uint64(h >> 3)
	switch (h >> 1) & 3 {
	case 0: // raw
		f.left = 3 + int(size)
	case 1: // RLE: one byte, repeated size times
		f.left = 4
	case 2: // compressed
		f.left = 3 + int(size)
		f.compressed, f.blockOff, f.hdrLeft = !z.seq.skip, off, 3
		if z.blk == nil {
			z.blk = make([]byte, 0, maxBlockSize)
		}
		z.blk = z.blk[:0]
	default:
		return errAt(f.start, ErrCorrupt, fmt.Sprintf("reserved block type at offset %d", off))
	}
	if size > f.blockMax {
		return errAt(f.start, ErrCorrupt, fmt.Sprintf("block of %d bytes at offset %d, more than the %d allowed", size, off, f.blockMax))
	}
	return nil
}
