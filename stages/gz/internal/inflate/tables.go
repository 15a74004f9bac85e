package inflate

import "math/bits"

// A table entry resolves one Huffman code (RFC 1951 section 3.2) in one
// lookup: the code's length, what the symbol is, and for lengths and
// distances the base value and the extra bits that follow the code, so
// that one shift drops the code and its extra bits together.
//
//	bits 0-7   bits of the code and its extra bits; for a link, the
//	           subtable's index bits
//	bits 8-11  kind: fLit, fLen, fEnd, fLink; none: an invalid symbol
//	bits 12-15 bits of the code
//	bits 16-31 literal byte, base length or distance, or subtable offset
//
// The info tables below hold kind, value and the number of extra bits in
// bits 12-15; build puts the code's length there.
//
// A code longer than the table's root bits is found through a link in the
// root table to a subtable indexed by the bits after the root's. An entry
// of zero is a bit pattern no code of an incomplete code starts with.
const (
	fLit  = 1 << 8 // a literal byte, or a code length in the code-length code
	fLen  = 1 << 9 // a match length (litlen table) or a valid distance
	fEnd  = 1 << 10
	fLink = 1 << 11
)

const (
	litRoot  = 10 // root bits of literal/length tables
	distRoot = 8  // root bits of distance tables
	clenRoot = 7  // the code-length code has codes of up to 7 bits: no links
	maxBits  = 15
	numLit   = 288 // literal/length symbols, 286 and 287 invalid
	numDist  = 32  // distance symbols, 30 and 31 invalid
)

var (
	litInfo  [numLit]uint32
	distInfo [numDist]uint32
	clenInfo [19]uint32

	fixedLit  []uint32
	fixedDist []uint32
)

func init() {
	for s := range 256 {
		litInfo[s] = fLit | uint32(s)<<16
	}
	litInfo[256] = fEnd
	base, s := uint32(3), 257
	for extra := range uint32(6) {
		n := 4
		if extra == 0 {
			n = 8
		}
		for range n {
			if s == 285 {
				break
			}
			litInfo[s] = fLen | extra<<12 | base<<16
			base += 1 << extra
			s++
		}
	}
	litInfo[285] = fLen | 258<<16
	base = 1
	for d := range 30 {
		extra := uint32(0)
		if d >= 4 {
			extra = uint32(d/2 - 1)
		}
		distInfo[d] = fLen | extra<<12 | base<<16
		base += 1 << extra
	}
	for s := range clenInfo {
		clenInfo[s] = fLit | uint32(s)<<16
	}
	var lens [numLit]uint8
	for s := range lens {
		switch {
		case s < 144:
			lens[s] = 8
		case s < 256:
			lens[s] = 9
		case s < 280:
			lens[s] = 7
		default:
			lens[s] = 8
		}
	}
	var ok bool
	if fixedLit, ok = build(nil, lens[:], litInfo[:], litRoot); !ok {
		panic("inflate: fixed literal table")
	}
	var dl [numDist]uint8
	for s := range dl {
		dl[s] = 5
	}
	if fixedDist, ok = build(nil, dl[:], distInfo[:], distRoot); !ok {
		panic("inflate: fixed distance table")
	}
}

// build makes the lookup table of the canonical Huffman code with the
// given code lengths (0: symbol unused) in t's storage, and reports whether
// the code is valid. As in Go's compress/flate, a code must be complete,
// except that a single code of one bit and an empty code are accepted
// (using an unassigned pattern is then an error when it is met).
func build(t []uint32, lengths []uint8, info []uint32, root uint) ([]uint32, bool) {
	var count [maxBits + 1]int
	for _, l := range lengths {
		count[l]++
	}
	count[0] = 0
	maxLen := 0
	left := 1
	for l := 1; l <= maxBits; l++ {
		left <<= 1
		left -= count[l]
		if left < 0 {
			return t, false // over-subscribed
		}
		if count[l] > 0 {
			maxLen = l
		}
	}
	if left > 0 && maxLen != 0 && !(maxLen == 1 && count[1] == 1) {
		// Incomplete. left counts patterns of 15 bits; scale it to maxLen.
		return t, false
	}
	size := 1 << root
	if cap(t) < size {
		t = make([]uint32, size, size+size/2)
	}
	t = t[:size]
	clear(t)
	if maxLen == 0 {
		return t, true
	}

	// Canonical codes, bit-reversed: DEFLATE sends a code's first bit in
	// the lowest position of the bit buffer.
	var next [maxBits + 2]int
	code := 0
	for l := 1; l <= maxBits; l++ {
		code = (code + count[l-1]) << 1
		next[l] = code
	}
	var rev [numLit]uint16
	var subMax [1 << litRoot]uint8
	mask := 1<<root - 1
	for s, l := range lengths {
		if l == 0 {
			continue
		}
		c := next[l]
		next[l]++
		r := bits.Reverse16(uint16(c)) >> (16 - l)
		rev[s] = r
		if uint(l) > root {
			p := int(r) & mask
			subMax[p] = max(subMax[p], l)
		}
	}
	if maxLen > int(root) {
		off := size
		for p := range size {
			if subMax[p] == 0 {
				continue
			}
			sb := int(subMax[p]) - int(root)
			t[p] = fLink | uint32(sb) | uint32(off)<<16
			off += 1 << sb
		}
		if cap(t) < off {
			nt := make([]uint32, off, off+off/2)
			copy(nt, t)
			t = nt
		} else {
			t = t[:off]
			clear(t[size:])
		}
	}
	for s, l := range lengths {
		if l == 0 {
			continue
		}
		e := info[s]
		e = e&^0xf000 | uint32(l)<<12 | (uint32(l) + e>>12&0xf)
		r := int(rev[s])
		if uint(l) <= root {
			for i := r; i < size; i += 1 << l {
				t[i] = e
			}
			continue
		}
		link := t[r&mask]
		sb := int(link & 0xff)
		base := int(link >> 16)
		step := 1 << (uint(l) - root)
		for i := r >> root; i < 1<<sb; i += step {
			t[base+i] = e
		}
	}
	return t, true
}
