package zst

import (
	"encoding/binary"
	"errors"
	"math/bits"
)

// seqChecker decodes the sequences of a frame's compressed blocks (RFC
// 8878, 3.1.1.3.2) ahead of the decoder, for one check the decoder does not
// make: a repeat offset of 0 ("Repeated_Offset1 - 1" when that is 0), which
// the reference decoder reports as corruption since zstd 1.5.6 and the
// library turns into an offset of 1, making up bytes. Only frames without a
// content checksum (or read with IgnoreChecksum) are checked: the checksum
// of the others fails on such made-up bytes, at no extra cost.
//
// It is conservative: what it cannot follow (a table or a bit stream it
// finds malformed) it leaves to the decoder, which reports it, and it stops
// checking the frame (the repeat offsets would be unknown). So it never
// refuses what it does not understand; it refuses only an offset of 0.
type seqChecker struct {
	skip bool // the frame is not checked (its checksum is)
	stop bool // the rest of the frame is not checked
	// For tests: blocks followed to their end, and frames given up on.
	followed, stopped int
	rep               [3]uint64 // repeat offsets
	ll                fseTable
	of                fseTable
	ml                fseTable
	norm              [maxFSESymbols]int16
}

// errOffsetZero is the only error check returns.
var errOffsetZero = errors.New("a sequence with offset 0")

// errUnknown is what the checker cannot follow: not reported.
var errUnknown = errors.New("not followed")

const maxFSESymbols = 53

// reset readies the checker for a new frame.
func (c *seqChecker) reset() {
	f, s := c.followed, c.stopped
	*c = seqChecker{rep: [3]uint64{1, 4, 8}, followed: f, stopped: s}
}

// check checks the content of one compressed block. It returns
// errOffsetZero or nil.
func (c *seqChecker) check(b []byte) error {
	if c.stop {
		return nil
	}
	err := c.block(b)
	if err == errOffsetZero {
		return err
	}
	if err != nil {
		c.stop = true
		c.stopped++
		return nil
	}
	c.followed++
	return nil
}

func (c *seqChecker) block(b []byte) error {
	n, ok := literalsSize(b)
	if !ok || n > len(b) {
		return errUnknown
	}
	b = b[n:]
	if len(b) == 0 {
		return errUnknown
	}
	nbSeq := int(b[0])
	switch {
	case nbSeq == 0:
		return nil
	case nbSeq < 128:
		b = b[1:]
	case nbSeq < 255:
		if len(b) < 2 {
			return errUnknown
		}
		nbSeq = (nbSeq-128)<<8 + int(b[1])
		b = b[2:]
	default:
		if len(b) < 3 {
			return errUnknown
		}
		nbSeq = int(b[1]) + int(b[2])<<8 + 0x7F00
		b = b[3:]
	}
	if nbSeq == 0 || len(b) < 1 {
		return errUnknown
	}
	modes := b[0]
	b = b[1:]
	if modes&3 != 0 {
		return errUnknown
	}
	var err error
	if b, err = c.ll.load(modes>>6, b, &predefLL, 9, 35, c.norm[:]); err != nil {
		return err
	}
	if b, err = c.of.load(modes>>4&3, b, &predefOF, 8, 31, c.norm[:]); err != nil {
		return err
	}
	if b, err = c.ml.load(modes>>2&3, b, &predefML, 9, 52, c.norm[:]); err != nil {
		return err
	}
	return c.sequences(b, nbSeq)
}

// sequences decodes nbSeq sequences from the bit stream b and follows the
// repeat offsets.
func (c *seqChecker) sequences(b []byte, nbSeq int) error {
	var r backReader
	if !r.init(b) {
		return errUnknown
	}
	ll, of, ml := &c.ll.cells, &c.of.cells, &c.ml.cells
	llState := r.read(c.ll.log)
	ofState := r.read(c.of.log)
	mlState := r.read(c.ml.log)
	for i := range nbSeq {
		o, m, l := of[ofState&511], ml[mlState&511], ll[llState&511]
		if o.sym > 31 || m.sym > 52 || l.sym > 35 {
			return errUnknown
		}
		ov := uint64(1)<<o.sym + r.read(uint(o.sym))
		// The lengths' extra bits: only whether the literals length is 0
		// matters (code 0, the only code for 0).
		r.read(uint(mlBits[m.sym] + llBits[l.sym]))
		if err := c.offset(ov, l.sym == 0); err != nil {
			return err
		}
		if r.overflow {
			return errUnknown
		}
		if i == nbSeq-1 {
			break
		}
		// The next states, in the order literals, match, offset: one read.
		v := r.read(uint(l.bits + m.bits + o.bits))
		ofState = uint64(o.state) + v&(1<<o.bits-1)
		v >>= o.bits
		mlState = uint64(m.state) + v&(1<<m.bits-1)
		v >>= m.bits
		llState = uint64(l.state) + v
	}
	if r.overflow {
		return errUnknown
	}
	return nil
}

// offset applies one sequence's Offset_Value ov to the repeat offsets.
func (c *seqChecker) offset(ov uint64, ll0 bool) error {
	if ov > 3 {
		c.rep = [3]uint64{ov - 3, c.rep[0], c.rep[1]}
		return nil
	}
	idx := ov - 1
	if ll0 {
		idx++
	}
	var off uint64
	if idx == 3 {
		off = c.rep[0] - 1
	} else {
		off = c.rep[idx]
	}
	if off == 0 {
		return errOffsetZero
	}
	switch idx {
	case 0:
	case 1:
		c.rep = [3]uint64{off, c.rep[0], c.rep[2]}
	default:
		c.rep = [3]uint64{off, c.rep[0], c.rep[1]}
	}
	return nil
}

// literalsSize is the size of the literals section at the start of b.
func literalsSize(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	typ, sf := b[0]&3, b[0]>>2&3
	if typ < 2 { // raw or RLE
		var hdr, size int
		switch sf {
		case 0, 2:
			hdr, size = 1, int(b[0]>>3)
		case 1:
			if len(b) < 2 {
				return 0, false
			}
			hdr, size = 2, int(b[0]>>4)+int(b[1])<<4
		default:
			if len(b) < 3 {
				return 0, false
			}
			hdr, size = 3, int(b[0]>>4)+int(b[1])<<4+int(b[2])<<12
		}
		if typ == 1 {
			return hdr + 1, true
		}
		return hdr + size, true
	}
	var h uint64
	hdr := [4]int{3, 3, 4, 5}[sf]
	if len(b) < hdr {
		return 0, false
	}
	for i := range hdr {
		h |= uint64(b[i]) << (8 * i)
	}
	var comp uint64
	switch sf {
	case 0, 1:
		comp = h >> 14 & 0x3FF
	case 2:
		comp = h >> 18 & 0x3FFF
	default:
		comp = h >> 22 & 0x3FFFF
	}
	return hdr + int(comp), true
}

// fseTable is an FSE decoding table.
type fseTable struct {
	log   uint
	ok    bool // loaded in this frame (a Repeat mode needs it)
	cells [512]fseCell
}

type fseCell struct {
	sym   uint8
	bits  uint8
	state uint16 // base of the next state
}

// load sets the table for mode (0 predefined, 1 RLE, 2 FSE_Compressed, 3
// Repeat) from what b starts with, and returns the rest of b.
func (t *fseTable) load(mode byte, b []byte, predef *predefTable, maxLog uint, maxSym int, norm []int16) ([]byte, error) {
	switch mode {
	case 0:
		t.build(predef.norm, predef.log)
	case 1:
		if len(b) < 1 || int(b[0]) > maxSym {
			return nil, errUnknown
		}
		t.log = 0
		t.cells[0] = fseCell{sym: b[0]}
		b = b[1:]
	case 2:
		n, log, used, ok := readNCount(b, norm[:maxSym+1], maxLog)
		if !ok || !t.build(norm[:n], log) {
			return nil, errUnknown
		}
		b = b[used:]
	case 3:
		if !t.ok {
			return nil, errUnknown
		}
	}
	t.ok = true
	return b, nil
}

// build makes the decoding table of the normalized counts norm (-1: less
// than 1) at accuracy log.
func (t *fseTable) build(norm []int16, log uint) bool {
	size := 1 << log
	if size > len(t.cells) {
		return false
	}
	t.log = log
	var next [maxFSESymbols]uint16
	high := size - 1
	for s, n := range norm {
		if n == -1 {
			t.cells[high].sym = uint8(s)
			high--
			next[s] = 1
		} else {
			next[s] = uint16(max(n, 0))
		}
	}
	step := size>>1 + size>>3 + 3
	pos := 0
	for s, n := range norm {
		for range max(int(n), 0) {
			t.cells[pos].sym = uint8(s)
			for pos = (pos + step) & (size - 1); pos > high; pos = (pos + step) & (size - 1) {
			}
		}
	}
	if pos != 0 {
		return false
	}
	for u := range size {
		s := t.cells[u].sym
		ns := next[s]
		next[s]++
		if ns == 0 {
			return false
		}
		nb := log - uint(bits.Len16(ns)-1)
		t.cells[u].bits = uint8(nb)
		t.cells[u].state = uint16(int(ns)<<nb - size)
	}
	return true
}

// readNCount reads an FSE table description (RFC 8878, 4.1.1) into norm;
// it returns the number of symbols, the accuracy log and the bytes used.
func readNCount(b []byte, norm []int16, maxLog uint) (n int, log uint, used int, ok bool) {
	if len(b) < 1 {
		return 0, 0, 0, false
	}
	var r fwdReader
	r.b = b
	log = uint(b[0]&15) + 5
	if log > maxLog {
		return 0, 0, 0, false
	}
	r.pos = 4
	remaining := 1<<log + 1
	threshold := 1 << log
	nbBits := log + 1
	sym := 0
	prev0 := false
	for remaining > 1 && sym < len(norm) {
		if prev0 {
			n0 := sym
			for {
				v, ok := r.read(2)
				if !ok {
					return 0, 0, 0, false
				}
				n0 += int(v)
				if v != 3 {
					break
				}
			}
			if n0 >= len(norm) {
				return 0, 0, 0, false
			}
			for sym < n0 {
				norm[sym] = 0
				sym++
			}
		}
		limit := 2*threshold - 1 - remaining
		low, ok := r.peek(nbBits - 1)
		if !ok {
			return 0, 0, 0, false
		}
		var count int
		if int(low) < limit {
			count = int(low)
			r.pos += int(nbBits) - 1
		} else {
			v, ok := r.peek(nbBits)
			if !ok {
				return 0, 0, 0, false
			}
			count = int(v)
			if count >= threshold {
				count -= limit
			}
			r.pos += int(nbBits)
		}
		count--
		if count < 0 {
			remaining += count
		} else {
			remaining -= count
		}
		if remaining < 1 {
			return 0, 0, 0, false
		}
		norm[sym] = int16(count)
		sym++
		prev0 = count == 0
		for remaining < threshold {
			nbBits--
			threshold >>= 1
		}
	}
	if remaining != 1 {
		return 0, 0, 0, false
	}
	return sym, log, (r.pos + 7) / 8, true
}

// fwdReader reads bits from the start of b, lowest first.
type fwdReader struct {
	b   []byte
	pos int // bits read
}

func (r *fwdReader) peek(k uint) (uint64, bool) {
	if r.pos+int(k) > 8*len(r.b) {
		return 0, false
	}
	var v uint64
	for i := range int(k) {
		p := r.pos + i
		v |= uint64(r.b[p>>3]>>(p&7)&1) << i
	}
	return v, true
}

func (r *fwdReader) read(k uint) (uint64, bool) {
	v, ok := r.peek(k)
	r.pos += int(k)
	return v, ok
}

// backReader reads a bit stream from its end, as sequences are read: the
// next bits are the highest of the n loaded into value. Reading past the
// start gives zeros and sets overflow.
type backReader struct {
	b        []byte
	off      int // b[:off] is not loaded yet
	value    uint64
	n        uint
	overflow bool
}

// init loads the end of b and skips its end mark (the highest set bit of
// the last byte) and the zeros above it.
func (r *backReader) init(b []byte) bool {
	if len(b) == 0 || b[len(b)-1] == 0 {
		return false
	}
	*r = backReader{b: b, off: len(b)}
	r.fill()
	r.n -= uint(9 - bits.Len8(b[len(b)-1]))
	return true
}

func (r *backReader) fill() {
	if r.n > 56 {
		return
	}
	if r.off >= 8 { // load as many whole bytes as fit, at once
		m := (63 - r.n) >> 3
		v := binary.LittleEndian.Uint64(r.b[r.off-8:])
		r.value = r.value<<(8*m) | v>>(64-8*m)
		r.off -= int(m)
		r.n += 8 * m
		return
	}
	for r.n <= 56 && r.off > 0 {
		r.off--
		r.value = r.value<<8 | uint64(r.b[r.off])
		r.n += 8
	}
}

// read returns the next k bits, k at most 56.
func (r *backReader) read(k uint) uint64 {
	if r.n < k {
		r.fill()
		if r.n < k {
			r.overflow = true
			r.n = 0
			return 0
		}
	}
	r.n -= k
	return r.value >> r.n & (1<<k - 1)
}

// predefTable is a predefined distribution (RFC 8878, 3.1.1.3.2.2).
type predefTable struct {
	log  uint
	norm []int16
}

var (
	predefLL = predefTable{6, []int16{4, 3, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 3, 2, 1, 1, 1, 1, 1, -1, -1, -1, -1}}
	predefML = predefTable{6, []int16{1, 4, 3, 2, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1, -1, -1}}
	predefOF = predefTable{5, []int16{1, 1, 1, 1, 1, 1, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, -1, -1, -1, -1, -1}}
)

// Literals_Length codes: baseline and extra bits; Match_Length codes:
// extra bits (RFC 8878, 3.1.1.3.2.1.1).
var (
	llBase = [36]uint32{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24, 28, 32, 40, 48, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536}
	llBits = [36]uint8{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	mlBits = [53]uint8{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 3, 3, 4, 4, 5, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
)
