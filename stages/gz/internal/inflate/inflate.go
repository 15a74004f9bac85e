// Package inflate decodes DEFLATE data (RFC 1951).
//
// A Decoder reads one DEFLATE stream from a Source, such as a
// *bufio.Reader, straight out of the source's buffer, and consumes exactly
// the stream's bytes: what follows (a gzip trailer) stays in the source.
// It decodes into a fixed window buffer and hands out slices of it, so its
// memory does not grow with the data. DecodeAll decodes a whole stream
// held in memory into a buffer of the known output size.
//
// Every malformed stream is an error, never a panic and never wrong
// bytes: a *CorruptError with the offset of the bad byte, or
// io.ErrUnexpectedEOF for a stream cut short. The codes accepted are
// those compress/flate accepts, except a dynamic block's codes with no
// end-of-block code, which zlib refuses too: such a block cannot end.
package inflate

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Source is where a Decoder reads its input: *bufio.Reader is one.
// Peek(n) returns at least n bytes unless it fails; the Decoder asks for
// more than Buffered only when it has used up the buffered bytes.
type Source interface {
	Peek(n int) ([]byte, error)
	Discard(n int) (int, error)
	Buffered() int
}

// CorruptError is malformed DEFLATE data. Offset is that of the byte
// holding the last bit read when the problem showed, counted from the
// start of the stream.
type CorruptError struct {
	Offset int64
	What   string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("corrupt deflate data at offset %d: %s", e.Offset, e.What)
}

const noEndOfBlock = "no end-of-block code"

// ErrTooLong is DecodeAll's error for a stream with more data than dst.
var ErrTooLong = errors.New("inflate: more data than the buffer holds")

const (
	histSize = 32 << 10  // DEFLATE's largest distance
	chunk    = 256 << 10 // output decoded between hand-outs
	maxMatch = 258
	slack    = 16 // match copies write up to 15 bytes past the match
)

type state uint8

const (
	stHeader state = iota // at a block header
	stHuff                // in a Huffman block
	stStored              // in a stored block, stored bytes left
	stDone                // the final block ended
)

// Decoder decodes DEFLATE streams. Its zero value is not usable; make one
// with NewDecoder. It is for one goroutine.
type Decoder struct {
	src  Source // nil: in holds the whole input
	in   []byte
	ip   int    // next byte of in to load into bb
	bb   uint64 // bit buffer: the next nb bits of the stream, low first
	nb   uint
	base int64 // stream offset of in[0]

	out     []byte // window (stream) or destination (DecodeAll)
	op      int    // end of decoded data in out
	rp      int    // end of the data handed out
	stopAt  int    // stop decoding to hand out when op reaches it
	fastEnd int    // the fast loop runs while op < fastEnd

	st     state
	final  bool // the current block is the last
	stored int  // bytes left of the stored block
	lt, dt []uint32
	lbuf   []uint32 // storage of dynamic tables
	dbuf   []uint32
	cbuf   []uint32
	lens   [numLit + numDist]uint8
	err    error
}

// NewDecoder returns a Decoder; Reset gives it its input.
func NewDecoder() *Decoder {
	return &Decoder{err: io.EOF}
}

// Reset makes d decode a new stream from src; nothing of the previous
// stream is kept. The first Reset allocates the window, about 290 KiB.
func (d *Decoder) Reset(src Source) {
	if d.out == nil {
		d.out = make([]byte, histSize+chunk+maxMatch+slack)
	}
	d.src = src
	d.in, d.ip, d.bb, d.nb, d.base = nil, 0, 0, 0, 0
	d.op, d.rp = 0, 0
	d.stopAt = histSize + chunk
	d.fastEnd = d.stopAt
	d.st, d.final, d.stored = stHeader, false, 0
	d.err = nil
	if n := src.Buffered(); n > 0 {
		d.in, _ = src.Peek(n)
	}
}

// Read reads decoded data into p. It returns io.EOF after the stream's
// last byte; errors are sticky.
func (d *Decoder) Read(p []byte) (int, error) {
	for d.rp == d.op {
		if d.err != nil {
			return 0, d.err
		}
		if len(p) == 0 {
			return 0, nil
		}
		d.step()
	}
	n := copy(p, d.out[d.rp:d.op])
	d.rp += n
	return n, nil
}

// WriteTo writes the decoded data to w, in slices of its window, until the
// stream's end (then it returns nil) or an error.
func (d *Decoder) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if d.rp < d.op {
			n, err := w.Write(d.out[d.rp:d.op])
			d.rp += n
			total += int64(n)
			if err == nil && d.rp < d.op {
				err = io.ErrShortWrite
			}
			if err != nil {
				return total, err
			}
		}
		if d.err != nil {
			if d.err == io.EOF {
				return total, nil
			}
			return total, d.err
		}
		d.step()
	}
}

// step decodes more of the stream into the window, after sliding the
// window when the data before stopAt was handed out.
func (d *Decoder) step() {
	if d.op >= d.stopAt {
		copy(d.out, d.out[d.op-histSize:d.op])
		d.op, d.rp = histSize, histSize
	}
	d.err = d.run()
}

// DecodeAll decodes the DEFLATE stream at the start of src into dst and
// returns the bytes of data and of src it took. It fails with ErrTooLong
// when the data is longer than dst. The Decoder's window is not used.
func (d *Decoder) DecodeAll(dst, src []byte) (n, used int, err error) {
	d.src = nil
	d.in, d.ip, d.bb, d.nb, d.base = src, 0, 0, 0, 0
	window := d.out
	d.out, d.op, d.rp = dst, 0, 0
	d.stopAt = math.MaxInt
	d.fastEnd = len(dst) - maxMatch - slack
	d.st, d.final, d.stored = stHeader, false, 0
	err = d.run()
	n, used = d.op, d.ip-int(d.nb/8)
	d.out, d.op, d.rp = window, 0, 0
	d.in, d.err = nil, io.EOF
	if err == io.EOF {
		err = nil
	}
	return n, used, err
}

// run decodes until the output reaches stopAt (nil), the stream ends
// (io.EOF) or an error.
func (d *Decoder) run() error {
	for d.op < d.stopAt {
		var err error
		switch d.st {
		case stHeader:
			err = d.header()
		case stHuff:
			err = d.huffman()
		case stStored:
			err = d.copyStored()
		case stDone:
			return io.EOF
		}
		if err != nil {
			return d.fail(err)
		}
	}
	return nil
}

// fail finishes the stream's input for err: at an unexpected end, all of
// the input was read.
func (d *Decoder) fail(err error) error {
	if err == io.ErrUnexpectedEOF && d.src != nil {
		n, _ := d.src.Discard(d.src.Buffered())
		d.base += int64(n)
		d.in, d.ip, d.bb, d.nb = nil, 0, 0, 0
	}
	return err
}

// InputOffset is the number of bytes of the stream read so far: those
// the bit buffer holds whole are not counted.
func (d *Decoder) InputOffset() int64 {
	return d.base + int64(d.ip) - int64(d.nb/8)
}

// corrupt is the error for the data read so far.
func (d *Decoder) corrupt(what string) error {
	bit := int64(d.ip)*8 - int64(d.nb)
	return &CorruptError{Offset: d.base + max(bit-1, 0)/8, What: what}
}

// end finishes the stream: the whole bytes left in the bit buffer go back
// to the source.
func (d *Decoder) end() {
	keep := int(d.nb / 8)
	d.ip -= keep
	d.bb, d.nb = 0, 0
	if d.src != nil {
		d.src.Discard(d.ip)
		d.base += int64(d.ip)
		d.in, d.ip = nil, 0
	}
	d.st = stDone
}

// fill makes the source's next bytes the input, keeping the unread bytes
// of the bit buffer at its start: all that the source has buffered, and
// only when that is no more than those kept, what one more read of the
// source gives. A read is thus never asked for while buffered bytes wait
// (which would stall a stream that pauses, as a pipe or a socket can).
func (d *Decoder) fill() error {
	if d.src == nil {
		return io.ErrUnexpectedEOF
	}
	keep := int(d.nb / 8)
	drop := d.ip - keep
	if drop > 0 {
		d.src.Discard(drop)
		d.base += int64(drop)
	}
	d.ip = keep
	in, err := d.src.Peek(max(d.src.Buffered(), keep+1))
	if len(in) <= keep {
		if err == nil || err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return err
	}
	if n := d.src.Buffered(); n > len(in) {
		// Peek read more than it returned.
		in, _ = d.src.Peek(n)
	}
	d.in = in
	return nil
}

// more loads one byte into the bit buffer; nb must be at most 56.
func (d *Decoder) more() error {
	if d.ip >= len(d.in) {
		if err := d.fill(); err != nil {
			return err
		}
	}
	d.bb |= uint64(d.in[d.ip]) << d.nb
	d.ip++
	d.nb += 8
	return nil
}

// bits reads n bits, n at most 16.
func (d *Decoder) bits(n uint) (uint32, error) {
	for d.nb < n {
		if err := d.more(); err != nil {
			return 0, err
		}
	}
	v := uint32(d.bb & (1<<n - 1))
	d.bb >>= n
	d.nb -= n
	return v, nil
}

// sym reads one symbol of table t, reading no more input than its code.
func (d *Decoder) sym(t []uint32, root uint) (uint32, error) {
	for {
		e := t[d.bb&(1<<root-1)]
		if e&fLink != 0 {
			e = t[e>>16+uint32(d.bb>>root)&(1<<(e&0xff)-1)]
		}
		if e == 0 {
			return 0, d.corrupt("invalid code")
		}
		if n := uint(e >> 12 & 0xf); n <= d.nb {
			d.bb >>= n
			d.nb -= n
			if e&(fLit|fLen|fEnd) == 0 {
				return 0, d.corrupt("invalid symbol")
			}
			return e, nil
		}
		if err := d.more(); err != nil {
			return 0, err
		}
	}
}

// header reads a block header and, for a dynamic block, its codes.
func (d *Decoder) header() error {
	h, err := d.bits(3)
	if err != nil {
		return err
	}
	d.final = h&1 != 0
	switch h >> 1 {
	case 0:
		return d.storedHeader()
	case 1:
		d.lt, d.dt = fixedLit, fixedDist
		d.st = stHuff
		return nil
	case 2:
		if err := d.dynamic(); err != nil {
			return err
		}
		d.st = stHuff
		return nil
	}
	return d.corrupt("reserved block type")
}

func (d *Decoder) storedHeader() error {
	d.bb >>= d.nb % 8
	d.nb -= d.nb % 8
	n, err := d.bits(16)
	if err != nil {
		return err
	}
	c, err := d.bits(16)
	if err != nil {
		return err
	}
	if n != ^c&0xffff {
		return d.corrupt("stored block length and its complement disagree")
	}
	// The stored bytes are read from in: give back the bit buffer's.
	d.ip -= int(d.nb / 8)
	d.bb, d.nb = 0, 0
	d.stored = int(n)
	d.st = stStored
	return nil
}

func (d *Decoder) copyStored() error {
	for d.stored > 0 {
		space := min(d.stopAt, len(d.out)) - d.op
		if space <= 0 {
			if d.stopAt > len(d.out) {
				return ErrTooLong
			}
			return nil
		}
		if d.ip >= len(d.in) {
			if err := d.fill(); err != nil {
				return err
			}
		}
		k := copy(d.out[d.op:d.op+min(space, d.stored)], d.in[d.ip:])
		d.op += k
		d.ip += k
		d.stored -= k
	}
	d.blockEnd()
	return nil
}

// blockEnd moves on after a block.
func (d *Decoder) blockEnd() {
	if d.final {
		d.end()
		return
	}
	d.st = stHeader
}

// order of the code lengths of the code-length code.
var clenOrder = [19]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

// dynamic reads the codes of a dynamic block and builds their tables.
func (d *Decoder) dynamic() error {
	h, err := d.bits(14)
	if err != nil {
		return err
	}
	nlit := int(h&0x1f) + 257
	ndist := int(h>>5&0x1f) + 1
	nclen := int(h>>10) + 4
	if nlit > 286 {
		return d.corrupt("too many literal/length codes")
	}
	if ndist > 30 {
		return d.corrupt("too many distance codes")
	}
	var cl [19]uint8
	for i := range nclen {
		v, err := d.bits(3)
		if err != nil {
			return err
		}
		cl[clenOrder[i]] = uint8(v)
	}
	var ok bool
	if d.cbuf, ok = build(d.cbuf, cl[:], clenInfo[:], clenRoot); !ok {
		return d.corrupt("invalid code-length code")
	}
	lens := d.lens[:nlit+ndist]
	for i := 0; i < len(lens); {
		e, err := d.sym(d.cbuf, clenRoot)
		if err != nil {
			return err
		}
		s := e >> 16
		if s < 16 {
			lens[i] = uint8(s)
			i++
			continue
		}
		var rep int
		var val uint8
		switch s {
		case 16:
			if i == 0 {
				return d.corrupt("repeat with no code length before it")
			}
			v, err := d.bits(2)
			if err != nil {
				return err
			}
			rep, val = 3+int(v), lens[i-1]
		case 17:
			v, err := d.bits(3)
			if err != nil {
				return err
			}
			rep = 3 + int(v)
		default:
			v, err := d.bits(7)
			if err != nil {
				return err
			}
			rep = 11 + int(v)
		}
		if i+rep > len(lens) {
			return d.corrupt("code lengths repeat past their end")
		}
		for range rep {
			lens[i] = val
			i++
		}
	}
	if lens[256] == 0 {
		// The block could not end: compress/flate and zlib refuse it here.
		return d.corrupt(noEndOfBlock)
	}
	if d.lbuf, ok = build(d.lbuf, lens[:nlit], litInfo[:], litRoot); !ok {
		return d.corrupt("invalid literal/length code")
	}
	if d.dbuf, ok = build(d.dbuf, lens[nlit:], distInfo[:], distRoot); !ok {
		return d.corrupt("invalid distance code")
	}
	d.lt, d.dt = d.lbuf, d.dbuf
	return nil
}

// huffman decodes symbols of a Huffman block until the block ends or the
// output reaches stopAt.
func (d *Decoder) huffman() error {
	for d.op < d.stopAt {
		if d.op < d.fastEnd && d.ip+8 <= len(d.in) {
			done, err := d.fast()
			if err != nil {
				return err
			}
			if done {
				d.blockEnd()
				return nil
			}
			continue
		}
		done, err := d.slow()
		if err != nil || done {
			if done {
				d.blockEnd()
			}
			return err
		}
	}
	return nil
}

// slow decodes one symbol, reading the input byte by byte and checking
// room in the output; it reports whether the block ended.
func (d *Decoder) slow() (bool, error) {
	e, err := d.sym(d.lt, litRoot)
	if err != nil {
		return false, err
	}
	if e&fLit != 0 {
		if d.op >= len(d.out) {
			return false, ErrTooLong
		}
		d.out[d.op] = byte(e >> 16)
		d.op++
		return false, nil
	}
	if e&fEnd != 0 {
		return true, nil
	}
	x, err := d.bits(uint(e&0xff - e>>12&0xf))
	if err != nil {
		return false, err
	}
	length := int(e>>16 + x)
	e, err = d.sym(d.dt, distRoot)
	if err != nil {
		return false, err
	}
	x, err = d.bits(uint(e&0xff - e>>12&0xf))
	if err != nil {
		return false, err
	}
	dist := int(e>>16 + x)
	if dist > d.op {
		return false, d.corrupt("distance too far back")
	}
	if length > len(d.out)-d.op {
		return false, ErrTooLong
	}
	copyMatch(d.out, d.op, dist, length)
	d.op += length
	return false, nil
}

// copyMatch copies length bytes from dist back, exactly.
func copyMatch(out []byte, op, dist, length int) {
	src := op - dist
	if dist >= length {
		copy(out[op:op+length], out[src:src+length])
		return
	}
	for w := 0; w < length; {
		w += copy(out[op+w:op+length], out[src:op+w])
	}
}

// fast decodes symbols while at least 8 bytes of input and room for a
// whole match plus slack remain: one 8-byte refill gives the bits of a
// whole symbol (at most 15+5 for a length, 15+13 for a distance). It
// reports whether the block ended.
//
// Shift counts are masked with 63 (they are below 64 anyway), which spares
// the compiler's code for larger ones.
//
// The next symbol's root entry is looked up before the refill: the low
// bits of bb are stream bits then already (a refill fills all 64 bits,
// and a round uses at most 48), and the lookup need not wait for the load.
func (d *Decoder) fast() (bool, error) {
	in, ip, bb, nb := d.in, d.ip, d.bb, d.nb
	out, op := d.out, d.op
	lt, dt := d.lt, d.dt
	// The root tables as arrays: their lookups need no bounds checks.
	lroot := (*[1 << litRoot]uint32)(lt)
	droot := (*[1 << distRoot]uint32)(dt)
	fastEnd := min(d.fastEnd, d.stopAt)
	done := false
	var why string
	if !(op < fastEnd && ip+8 <= len(in)) {
		return false, nil
	}
	bb |= binary.LittleEndian.Uint64(in[ip:]) << (nb & 63)
	ip += int((63 - nb) >> 3)
	nb |= 56
	e := lroot[bb&(1<<litRoot-1)]
	for {
		if e&fLink != 0 {
			e = lt[e>>16+uint32(bb>>litRoot)&(1<<(e&31)-1)]
		}
		if e&fLit != 0 {
			n := uint(e & 0xff)
			bb >>= n & 63
			nb -= n
			out[op] = byte(e >> 16)
			op++
			// Two more literals from the same refill: 3 × 15 bits.
			e = lroot[bb&(1<<litRoot-1)]
			if e&fLit != 0 {
				n = uint(e & 0xff)
				bb >>= n & 63
				nb -= n
				out[op] = byte(e >> 16)
				op++
				e = lroot[bb&(1<<litRoot-1)]
				if e&fLit != 0 {
					n = uint(e & 0xff)
					bb >>= n & 63
					nb -= n
					out[op] = byte(e >> 16)
					op++
					e = lroot[bb&(1<<litRoot-1)]
				}
			}
		} else {
			if e&fLen == 0 {
				n := uint(e >> 12 & 0xf)
				bb >>= n & 63
				nb -= n
				if e&fEnd != 0 {
					done = true
				} else if e == 0 {
					why = "invalid code"
				} else {
					why = "invalid symbol"
				}
				break
			}
			// Length: code and extra bits in one shift.
			total := uint(e & 0xff)
			length := int(e>>16) + int(bb&(1<<(total&63)-1)>>(e>>12&0xf&63))
			bb >>= total & 63
			nb -= total

			e = droot[bb&(1<<distRoot-1)]
			if e&fLink != 0 {
				e = dt[e>>16+uint32(bb>>distRoot)&(1<<(e&31)-1)]
			}
			if e&fLen == 0 {
				n := uint(e >> 12 & 0xf)
				bb >>= n & 63
				nb -= n
				why = "invalid distance code"
				break
			}
			total = uint(e & 0xff)
			dist := int(e>>16) + int(bb&(1<<(total&63)-1)>>(e>>12&0xf&63))
			bb >>= total & 63
			nb -= total
			e = lroot[bb&(1<<litRoot-1)]
			if dist > op {
				why = "distance too far back"
				break
			}
			src := op - dist
			if dist >= 8 {
				// 16 bytes a round, in two words: with dist >= 8 each word
				// read was written before. Up to 15 bytes past the match
				// are overwritten, inside the slack.
				for i := 0; i < length; i += 16 {
					binary.LittleEndian.PutUint64(out[op+i:], binary.LittleEndian.Uint64(out[src+i:]))
					binary.LittleEndian.PutUint64(out[op+i+8:], binary.LittleEndian.Uint64(out[src+i+8:]))
				}
			} else {
				copyMatch(out, op, dist, length)
			}
			op += length
		}
		if !(op < fastEnd && ip+8 <= len(in)) {
			break
		}
		bb |= binary.LittleEndian.Uint64(in[ip:]) << (nb & 63)
		ip += int((63 - nb) >> 3)
		nb |= 56
	}
	d.in, d.ip, d.bb, d.nb, d.op = in, ip, bb, nb, op
	if why != "" {
		return false, d.corrupt(why)
	}
	return done, nil
}
