package zst

import (
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// off0 is zstd's golden decompression error off0.bin.zst (zstd
// tests/golden-decompression-errors): one compressed block, one literal and
// two sequences with predefined tables whose second asks for
// Repeated_Offset1 - 1 = 0.
var off0 = []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00, 0x45, 0x00, 0x00, 0x08, 0x00, 0x02, 0x00, 0x2f, 0x43, 0x0b, 0xae}

func TestOffsetZero(t *testing.T) {
	t.Parallel()
	afterGood := cat(compress(t, text(1000)), off0)
	for _, tc := range []struct {
		name string
		in   []byte
	}{
		{"off0.bin.zst", off0},
		{"after a good frame", afterGood},
	} {
		for way, decode := range map[string]func([]byte, ...ReaderOption) ([]byte, error){"Read": unzst, "WriteTo": unzstWT} {
			got, err := decode(tc.in)
			var ze *Error
			if !errors.Is(err, ErrCorrupt) || !errors.As(err, &ze) || !strings.Contains(err.Error(), "offset 0") {
				t.Errorf("%s %s = %d bytes, %v; want ErrCorrupt, offset 0", way, tc.name, len(got), err)
			}
			if bytes.Count(got, []byte{0}) > 1 { // nothing of the bad frame
				t.Errorf("%s %s: %d NUL bytes out", way, tc.name, bytes.Count(got, []byte{0}))
			}
		}
	}
}

// TestSeqCheckerFollowsRealData: on what real encoders write, the checker
// follows every block (it gives up on none) and refuses none.
func TestSeqCheckerFollowsRealData(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	mixed := text(1 << 20)
	for i := 0; i < len(mixed); i += 4096 { // some incompressible patches
		for j := i; j < min(i+512, len(mixed)); j++ {
			mixed[j] = byte(rng.Uint32())
		}
	}
	inputs := map[string][]byte{"text": text(1 << 20), "mixed": mixed, "short": []byte("abcabcabcabcabd"), "zeros": make([]byte, 1<<20)}
	type enc struct {
		name string
		data []byte
		in   string
	}
	var encs []enc
	for in, data := range inputs {
		for _, l := range []int{1, 3, 6, 9, 19} {
			encs = append(encs, enc{"Writer level " + strconv.Itoa(l), compress(t, data, Level(l)), in})
		}
		if _, err := exec.LookPath("zstd"); err == nil && !testing.Short() {
			for _, args := range [][]string{{"-1"}, {"-3"}, {"-9"}, {"-19"}, {"--ultra", "-22"}, {"--fast=5"}, {"-3", "--long=27"}, {"-5", "--no-check"}} {
				c := exec.Command("zstd", append(args, "-c", "-q")...)
				c.Stdin = bytes.NewReader(data)
				out, err := c.Output()
				if err != nil {
					t.Fatalf("zstd %v: %v", args, err)
				}
				encs = append(encs, enc{"zstd " + strings.Join(args, " "), out, in})
			}
		}
	}
	for _, e := range encs {
		// IgnoreChecksum: the frames' sequences are checked although they
		// have a checksum.
		r, err := NewReader(bytes.NewReader(e.data), MaxWindow(1<<28), IgnoreChecksum(true))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(r)
		if err != nil || !bytes.Equal(got, inputs[e.in]) {
			t.Errorf("%s of %s: %d bytes, %v", e.name, e.in, len(got), err)
		}
		if r.seq.stopped != 0 {
			t.Errorf("%s of %s: the checker gave up on %d frames (followed %d blocks)", e.name, e.in, r.seq.stopped, r.seq.followed)
		}
		if (e.in == "text" || e.in == "mixed") && r.seq.followed == 0 {
			t.Errorf("%s of %s: no block followed", e.name, e.in)
		}
		r.Close()
	}
}

// goldenErrors are inputs of the shapes of zstd's golden decompression
// errors (tests/golden-decompression-errors), built here from what each
// file is: off0.bin.zst itself; a block that declares no sequences and
// has bytes after that (zeroSeq_extraneous.zst); a Huffman literals stream
// whose last byte, which holds the stream's end mark, is 0
// (truncated_huff_state.zst).
func goldenErrors(t testing.TB) map[string][]byte {
	zeroSeq := cat([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x00}, block(true, 2, []byte{0x08, 'a', 0x00, 0x00, 0x00}, 5))
	// A frame of our Writer whose first block's literals are one
	// Huffman-coded stream.
	fr := compress(t, text(700), Level(3))
	fhd := fr[4]
	hdr := 5 + [4]int{0, 1, 2, 4}[fhd&3] + [4]int{0, 2, 4, 8}[fhd>>6]
	if fhd&(1<<5) == 0 {
		hdr++
	} else if fhd>>6 == 0 {
		hdr++
	}
	content := fr[hdr+3:]
	if content[0]&3 != 2 || content[0]>>2&3 != 0 {
		t.Fatalf("the first block's literals are of type %d, size format %d; want one Huffman stream", content[0]&3, content[0]>>2&3)
	}
	h := uint32(content[0]) | uint32(content[1])<<8 | uint32(content[2])<<16
	comp := int(h >> 14 & 0x3FF)
	huff := bytes.Clone(fr)
	huff[hdr+3+3+comp-1] = 0
	if huff[4]&(1<<2) != 0 { // no checksum: the stream itself must be refused
		huff[4] &^= 1 << 2
		huff = huff[:len(huff)-4]
	}
	return map[string][]byte{"off0": off0, "zeroSeq_extraneous": zeroSeq, "truncated_huff_state": huff}
}

func TestGoldenErrors(t *testing.T) {
	t.Parallel()
	for name, in := range goldenErrors(t) {
		for way, decode := range map[string]func([]byte, ...ReaderOption) ([]byte, error){"Read": unzst, "WriteTo": unzstWT} {
			got, err := decode(in)
			if !errors.Is(err, ErrCorrupt) {
				t.Errorf("%s %s = %d bytes, %v; want corrupt data", way, name, len(got), err)
			}
		}
	}
}

// TestOffsetZeroChecksum: a frame with a checksum is not checked by the
// sequence checker, and is refused all the same: the made-up bytes fail
// its checksum. Read with IgnoreChecksum, it is checked.
func TestOffsetZeroChecksum(t *testing.T) {
	t.Parallel()
	in := append([]byte{}, off0...)
	in[4] |= 1 << 2
	in = append(in, 0x12, 0x34, 0x56, 0x78) // not the checksum of 18 NUL bytes
	if _, err := unzst(in); !errors.Is(err, ErrChecksum) {
		t.Errorf("with a checksum: %v, want ErrChecksum", err)
	}
	if _, err := unzst(in, IgnoreChecksum(true)); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "offset 0") {
		t.Errorf("with a checksum, ignored: %v, want ErrCorrupt, offset 0", err)
	}
}
