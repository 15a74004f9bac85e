package gz

import (
	"encoding/binary"
	"errors"
	"hash/crc32"
	"testing"
)

// noEndOfBlock is a deflate stream whose one dynamic block has codes for
// 'a' and 'b' only, no end-of-block code, then the symbols of "abba"
// repeated: it can never end. The block's header ends in its byte 138.
func noEndOfBlock() []byte {
	var b []byte
	var nb uint
	put := func(v uint32, n uint) { // low bit first
		for i := range n {
			if nb%8 == 0 {
				b = append(b, 0)
			}
			b[len(b)-1] |= byte(v>>i&1) << (nb % 8)
			nb++
		}
	}
	put(1, 1)  // final
	put(2, 2)  // dynamic
	put(0, 5)  // 257 literal/length codes
	put(0, 5)  // 1 distance code
	put(15, 4) // 19 code-length code lengths, in the order 16, 17, 18, 0, 8, ...
	put(0, 3)  // 16, 17 and 18 unused
	put(0, 3)
	put(0, 3)
	for range 16 { // 0-15 of 4 bits: symbol s is code s
		put(4, 3)
	}
	code4 := func(s uint32) { // a 4-bit code, first bit its highest
		for i := 3; i >= 0; i-- {
			put(s>>uint(i)&1, 1)
		}
	}
	for s := range 258 {
		if s == 'a' || s == 'b' {
			code4(1)
		} else {
			code4(0)
		}
	}
	for range 50 {
		put(0, 1) // 'a'
		put(1, 1) // 'b'
		put(1, 1)
		put(0, 1)
	}
	return b
}

// TestReaderNoEndOfBlock: a member whose block has no end-of-block code
// fails as corrupt at the block's header, on one thread and several,
// without decoding the trailer and the next member as its data.
func TestReaderNoEndOfBlock(t *testing.T) {
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[:], crc32.ChecksumIEEE(nil))
	bad := cat([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}, noEndOfBlock(), trailer[:])
	next := compress(t, []byte("the next member\n"))
	in := cat(bad, next)
	for _, threads := range []int{0, 2} {
		for _, wt := range []bool{false, true} {
			got, errText := decodeWith(in, threads, wt)
			if len(got) != 0 || errText != "corrupt deflate data at offset 148" {
				t.Fatalf("threads %d, WriteTo %v: %q, %q; want no data, corrupt at offset 148", threads, wt, got, errText)
			}
		}
	}
	_, err := gunzipErr(in)
	var ge *Error
	if !errors.As(err, &ge) || ge.Err != ErrCorrupt || ge.Offset != 148 {
		t.Fatalf("error %v, want ErrCorrupt at offset 148", err)
	}
}
