package gz

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"runtime"
	"sync"

	"github.com/fpipe/fpipe/internal/option"
	"github.com/fpipe/fpipe/stages"
	"github.com/klauspost/compress/flate"
)

// Defaults of the Writer's options.
const (
	DefaultLevel     = 6
	DefaultBlockSize = 1 << 20
	// MinBlockSize and MaxBlockSize bound BlockSize.
	MinBlockSize = 64 << 10
	MaxBlockSize = 256 << 20
)

// Option configures a Writer.
type Option func(*writerConfig) error

type writerConfig struct {
	level     int
	threads   int
	blockSize int
	single    bool
}

// Level sets the compression level, 0 (stored, no compression) to 9 (best
// and slowest), as gzip and pigz count them. Default 6.
func Level(n int) Option {
	return func(c *writerConfig) error {
		if n < 0 || n > 9 {
			return &option.Error{Msg: fmt.Sprintf("compression level %d out of range 0-9", n), Why: "out of range 0-9"}
		}
		c.level = n
		return nil
	}
}

// Threads sets how many blocks are compressed at once. Default: the number
// of CPUs Go may use (runtime.GOMAXPROCS). It changes the speed and the
// memory used, never the output.
func Threads(n int) Option {
	return func(c *writerConfig) error {
		if n < 1 {
			return &option.Error{Msg: fmt.Sprintf("threads %d: need at least 1", n), Why: "out of range 1-1024"}
		}
		if n > 1024 {
			return &option.Error{Msg: fmt.Sprintf("threads %d: at most 1024", n), Why: "out of range 1-1024"}
		}
		c.threads = n
		return nil
	}
}

// BlockSize sets how many bytes of input each thread compresses as one
// piece, between MinBlockSize and MaxBlockSize. Default DefaultBlockSize
// (1 MiB). Larger blocks compress a little better; memory grows with
// BlockSize × Threads. The output depends on the block size. A Reader
// decodes members of up to MaxParallelBlock bytes in parallel, larger ones
// one after the other.
func BlockSize(n int) Option {
	return func(c *writerConfig) error {
		if n < MinBlockSize || n > MaxBlockSize {
			return &option.Error{
				Msg: fmt.Sprintf("block size %d out of range %d-%d", n, MinBlockSize, MaxBlockSize),
				Why: "out of range 64KiB-256MiB",
			}
		}
		c.blockSize = n
		return nil
	}
}

// SingleMember(true) makes the Writer write one gzip member, the bytes
// github.com/klauspost/pgzip writes: each block primed with the last 16 KiB
// of the one before and ended with a sync flush. It is for readers that
// stop after the first member of a multi-member stream; a Reader cannot
// decode it in parallel. Default false: each block is a member of its own
// (see Writer).
func SingleMember(on bool) Option {
	return func(c *writerConfig) error {
		c.single = on
		return nil
	}
}

// Writer compresses what is written to it as gzip (RFC 1952) and writes
// that to the io.Writer it wraps. The input is cut into blocks that up to
// Threads goroutines compress at once with klauspost/compress's deflate,
// and the blocks are written in order by another goroutine. Every buffer
// is allocated when the first block starts and reused, so memory does not
// grow with the stream.
//
// Each block is a gzip member of its own, with no dictionary from the block
// before, whose header carries an extra field (FEXTRA) with the member's
// length: subfield ID 'F' 'P', 4 bytes, the member's length in bytes from
// its first header byte to its last trailer byte, little-endian. Every
// gzip reader reads the result as an ordinary multi-member stream; a
// Reader finds each member's end without inflating and decodes members on
// several threads. The stream ends with an empty member with the same
// subfield (30 bytes), as BGZF does, so that a Reader can tell a stream
// cut at a member boundary from a whole one. With SingleMember(true) the
// output is one member instead, as pgzip writes it.
//
// The output is reproducible: each header has no name and MTIME 0, OS 3
// (Unix) and XFL as gzip sets it (2 at level 9, 4 at level 1, else 0), so
// the same input, level and block size give the same bytes whatever the
// number of threads, the machine or the way the input was cut into writes.
// An empty input gives the 20-byte empty member that gzip writes.
//
// A Writer is for one goroutine. Its errors are sticky: once a write to the
// wrapped writer failed, every later call returns that error.
type Writer struct {
	w   io.Writer
	cfg writerConfig

	started bool
	closed  bool
	cur     *block      // being filled
	free    chan *block // blocks not in use
	order   chan *block // blocks handed to the compressors, in input order
	done    chan struct{}
	tail    []byte // the last dictSize bytes of the previous block
	crc     uint32
	n       int64 // bytes of input

	mu          sync.Mutex
	err         error // sticky; set by either goroutine
	writeFailed bool  // by writeBlocks, read after done
}

var (
	_ io.WriteCloser = (*Writer)(nil)
	_ io.ReaderFrom  = (*Writer)(nil)
)

// dictSize is how much of a block primes the next one (as pgzip does).
const dictSize = 16 << 10

// block is one piece of input on its way to the output.
type block struct {
	in    []byte
	dict  []byte
	out   bytes.Buffer
	fw    *flate.Writer
	last  bool
	ready chan struct{} // receives once compressed
}

// Member headers the Writer writes: RFC 1952's 10 bytes with FLG FEXTRA,
// then XLEN 8 and one subfield: 'F' 'P', LEN 4, the member's length.
const (
	memberHeaderLen = 20
	memberMin       = memberHeaderLen + 2 + 8 // an empty deflate block and the trailer
	subfieldID1     = 'F'
	subfieldID2     = 'P'
)

// endMember is the empty member that ends the Writer's stream.
func endMember(level int) [memberMin]byte {
	var m [memberMin]byte
	h := memberHeader(level, memberMin)
	copy(m[:], h[:])
	m[memberHeaderLen] = 3 // a final fixed-Huffman block with no data
	return m
}

// memberHeader returns the header of a member of n bytes at a level.
func memberHeader(level int, n uint32) [memberHeaderLen]byte {
	h := [memberHeaderLen]byte{0x1f, 0x8b, 8, flagExtra, 0, 0, 0, 0, xfl(level), 3, 8, 0, subfieldID1, subfieldID2, 4, 0}
	binary.LittleEndian.PutUint32(h[16:], n)
	return h
}

// ErrClosed is returned by a Write after Close.
var ErrClosed = errors.New("write after close")

// NewWriter returns a Writer that writes gzip data to w. It fails only on
// an invalid option. Close must be called to finish the stream; it does not
// close w. Nothing is allocated and no goroutine started before the first
// byte.
func NewWriter(w io.Writer, opts ...Option) (*Writer, error) {
	c, err := applyWriter(opts)
	if err != nil {
		return nil, err
	}
	return &Writer{w: w, cfg: c}, nil
}

// Check reports whether opts are valid: nil when NewWriter would accept
// them, else the first problem, the error NewWriter would return, so that
// a command-line tool can report it as a usage error in its own name.
func Check(opts ...Option) error {
	_, err := applyWriter(opts)
	return err
}

// applyWriter returns the configuration opts make from the defaults.
func applyWriter(opts []Option) (writerConfig, error) {
	c := writerConfig{level: DefaultLevel, threads: runtime.GOMAXPROCS(0), blockSize: DefaultBlockSize}
	for _, o := range opts {
		if err := o(&c); err != nil {
			return writerConfig{}, err
		}
	}
	return c, nil
}

// xfl is the XFL header byte gzip writes for a level.
func xfl(level int) byte {
	switch level {
	case 1:
		return 4
	case 9:
		return 2
	}
	return 0
}

func (z *Writer) setErr(err error) {
	z.mu.Lock()
	if z.err == nil {
		z.err = err
	}
	z.mu.Unlock()
}

func (z *Writer) getErr() error {
	z.mu.Lock()
	defer z.mu.Unlock()
	return z.err
}

// start writes the header of a single member and starts the goroutine
// that writes blocks.
func (z *Writer) start() error {
	if z.cfg.single {
		hdr := [10]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl(z.cfg.level), 3}
		if _, err := z.w.Write(hdr[:]); err != nil {
			z.setErr(err)
			return err
		}
	}
	// One block per thread compressing, and one being filled.
	k := z.cfg.threads + 1
	z.free = make(chan *block, k)
	z.order = make(chan *block, k)
	z.done = make(chan struct{})
	// Every block's buffers are made now, not on first use: the memory is
	// fixed from the start, whichever blocks the scheduling happens to use.
	for range k {
		b := &block{ready: make(chan struct{}, 1), in: make([]byte, 0, z.cfg.blockSize)}
		if z.cfg.single {
			b.dict = make([]byte, 0, dictSize)
		}
		b.out.Grow(z.cfg.blockSize + z.cfg.blockSize>>4)
		z.free <- b
	}
	z.tail = make([]byte, 0, dictSize)
	z.cur = z.next()
	z.started = true
	go z.writeBlocks()
	return nil
}

// next takes a free block.
func (z *Writer) next() *block {
	b := <-z.free
	b.in = b.in[:0]
	return b
}

// writeBlocks writes compressed blocks in order; after a failure it only
// returns them to the free list.
func (z *Writer) writeBlocks() {
	defer close(z.done)
	for b := range z.order {
		<-b.ready
		if z.getErr() == nil {
			if _, err := z.w.Write(b.out.Bytes()); err != nil {
				z.setErr(err)
				z.writeFailed = true
			}
		}
		z.free <- b
	}
}

// dispatch hands the current block to a compressing goroutine.
func (z *Writer) dispatch(last bool) {
	b := z.cur
	b.last = last
	if !z.cfg.single {
		if last && len(b.in) == 0 {
			// The input ended with a block: no empty member after it.
			z.free <- b
			return
		}
		z.order <- b
		go z.compressMember(b)
		if !last {
			z.cur = z.next()
		}
		return
	}
	b.dict = append(b.dict[:0], z.tail...)
	if len(b.in) > dictSize {
		z.tail = append(z.tail[:0], b.in[len(b.in)-dictSize:]...)
	} else {
		z.tail = z.tail[:0]
	}
	z.order <- b
	go z.compress(b)
	if !last {
		z.cur = z.next()
	}
}

func (z *Writer) compress(b *block) {
	b.out.Reset()
	var err error
	if b.fw == nil {
		b.fw, err = flate.NewWriterDict(&b.out, z.cfg.level, b.dict)
	} else {
		b.fw.ResetDict(&b.out, b.dict)
	}
	if err == nil {
		_, err = b.fw.Write(b.in)
	}
	if err == nil {
		err = b.fw.Flush()
	}
	if err == nil && b.last {
		err = b.fw.Close()
	}
	if err != nil {
		z.setErr(err)
	}
	b.ready <- struct{}{}
}

// compressMember compresses a block as a gzip member of its own.
func (z *Writer) compressMember(b *block) {
	b.out.Reset()
	var hdr [memberHeaderLen]byte
	b.out.Write(hdr[:])
	var err error
	if b.fw == nil {
		b.fw, err = flate.NewWriter(&b.out, z.cfg.level)
	} else {
		b.fw.Reset(&b.out)
	}
	if err == nil {
		_, err = b.fw.Write(b.in)
	}
	if err == nil {
		err = b.fw.Close()
	}
	if err == nil {
		var t [8]byte
		binary.LittleEndian.PutUint32(t[:4], crc32.ChecksumIEEE(b.in))
		binary.LittleEndian.PutUint32(t[4:], uint32(len(b.in)))
		b.out.Write(t[:])
		if b.out.Len() > math.MaxUint32 {
			err = fmt.Errorf("member of %d bytes: too long for its header", b.out.Len())
		} else {
			hdr = memberHeader(z.cfg.level, uint32(b.out.Len()))
			copy(b.out.Bytes(), hdr[:])
		}
	}
	if err != nil {
		z.setErr(err)
	}
	b.ready <- struct{}{}
}

// Write compresses p. It may return before p is compressed; a failure of
// the wrapped writer is reported by a later Write or by Close.
func (z *Writer) Write(p []byte) (int, error) {
	if err := z.getErr(); err != nil {
		return 0, err
	}
	if z.closed {
		return 0, ErrClosed
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !z.started {
		if err := z.start(); err != nil {
			return 0, err
		}
	}
	n := 0
	for len(p) > 0 {
		b := z.cur
		k := min(len(p), cap(b.in)-len(b.in))
		b.in = append(b.in, p[:k]...)
		if z.cfg.single {
			z.crc = crc32.Update(z.crc, crc32.IEEETable, p[:k])
		}
		z.n += int64(k)
		n += k
		p = p[k:]
		if len(b.in) == cap(b.in) {
			z.dispatch(false)
			if err := z.getErr(); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// ReadFrom compresses what it reads from r until io.EOF, reading straight
// into its blocks (no copy, and fewer system calls than io.Copy's 32 KiB).
// It returns the number of bytes read; an error reading r is returned as
// it is.
func (z *Writer) ReadFrom(r io.Reader) (int64, error) {
	if err := z.getErr(); err != nil {
		return 0, err
	}
	if z.closed {
		return 0, ErrClosed
	}
	var total int64
	for {
		if err := z.getErr(); err != nil {
			return total, err
		}
		if !z.started {
			// Start only once there is a byte: an empty input stays the
			// 20-byte empty member.
			var one [1]byte
			n, err := r.Read(one[:])
			if n > 0 {
				if _, werr := z.Write(one[:n]); werr != nil {
					return total, werr
				}
				total += int64(n)
			}
			if err == io.EOF {
				return total, nil
			}
			if err != nil {
				return total, err
			}
			continue
		}
		b := z.cur
		n, err := r.Read(b.in[len(b.in):cap(b.in)])
		if n > 0 {
			if z.cfg.single {
				z.crc = crc32.Update(z.crc, crc32.IEEETable, b.in[len(b.in):len(b.in)+n])
			}
			b.in = b.in[:len(b.in)+n]
			z.n += int64(n)
			total += int64(n)
			if len(b.in) == cap(b.in) {
				z.dispatch(false)
			}
		}
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}

// Close compresses what is left, writes the gzip trailer and waits until
// everything was written. It does not close the wrapped writer. Calling
// Close again returns the first Close's result.
func (z *Writer) Close() error {
	if z.closed {
		return z.getErr()
	}
	z.closed = true
	if !z.started {
		if z.getErr() == nil {
			empty := [20]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, xfl(z.cfg.level), 3, 3, 0}
			if _, err := z.w.Write(empty[:]); err != nil {
				z.setErr(err)
			}
		}
		return z.getErr()
	}
	z.dispatch(true)
	close(z.order)
	<-z.done
	if err := z.getErr(); err != nil {
		return err
	}
	if !z.cfg.single {
		end := endMember(z.cfg.level)
		if _, err := z.w.Write(end[:]); err != nil {
			z.setErr(err)
		}
		return z.getErr()
	}
	var t [8]byte
	binary.LittleEndian.PutUint32(t[:4], z.crc)
	binary.LittleEndian.PutUint32(t[4:], uint32(z.n))
	if _, err := z.w.Write(t[:]); err != nil {
		z.setErr(err)
	}
	return z.getErr()
}

// CloseWithError stops the Writer without finishing the stream, because of
// err elsewhere (nil: ErrAborted): no more data is written to the wrapped
// writer, and the goroutines have ended when it returns. Later calls return
// err. It returns nil. Unless a write failed, it then writes the first 10
// bytes of a member header, so that every gzip reader reports the stream
// as truncated rather than read the members written so far as a whole
// stream.
func (z *Writer) CloseWithError(err error) error {
	if err == nil {
		err = ErrAborted
	}
	z.setErr(err)
	if z.closed {
		return nil
	}
	z.closed = true
	if z.started {
		close(z.order)
		<-z.done
		if !z.cfg.single && !z.writeFailed {
			h := memberHeader(z.cfg.level, 0)
			z.w.Write(h[:10])
		}
	}
	return nil
}

// ErrAborted is the error CloseWithError(nil) leaves behind: the one
// stages.ErrAborted, which errors.Is finds in every stage.
var ErrAborted = stages.ErrAborted

// Written is the number of bytes of input compressed so far.
func (z *Writer) Written() int64 { return z.n }
