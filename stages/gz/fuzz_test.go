package gz

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

// FuzzReader: no input makes the Reader panic or hang; Read and WriteTo
// agree; the parallel path gives the sequential decoder's output and error,
// to the offset; what decodes, re-encodes with the Writer and decodes back
// to the same bytes. Seeds: the files in testdata, the table tests' shapes
// and the Writer's members, whole, cut and damaged.
func FuzzReader(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.gz"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	hello := []byte("Hello, gzip world.\n")
	a := member(f, header{name: "n", comment: "c", extra: []byte("xy"), hcrc: true}, hello)
	f.Add([]byte{})
	f.Add([]byte{0x1f})
	f.Add([]byte{0x1f, 0x8b, 8, 0})
	f.Add(a)
	f.Add(cat(a, a))
	f.Add(cat(a, make([]byte, 9)))
	f.Add(cat(a, []byte("junk")))
	f.Add(compress(f, nil))
	f.Add(compress(f, text(70<<10), BlockSize(MinBlockSize)))
	small := compress(f, []byte("Hello, members.\n"))
	f.Add(small)
	f.Add(cat(small, small))
	f.Add(small[:len(small)-memberMin])
	f.Add(cat(small[:len(small)-memberMin], a))
	// Several of the Writer's members, small enough for a fast fuzzer.
	var ms [][]byte
	for i := range 4 {
		m := compress(f, text(2000+i*500))
		ms = append(ms, m[:len(m)-memberMin])
	}
	members := cat(append(ms, small[len(small)-memberMin:])...)
	f.Add(members)
	bad := bytes.Clone(members)
	bad[len(bad)/2] ^= 4
	f.Add(bad)
	f.Add(members[:len(members)/2])
	f.Add(cat([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3}, noEndOfBlock(), make([]byte, 8)))
	f.Fuzz(func(t *testing.T, in []byte) {
		const limit = 1 << 20 // a bomb stops here; keeps each run short
		got, err := gunzipErr(in, MaxOutput(limit), InputBuffer(4096))
		got2, err2 := gunzipWT(in, MaxOutput(limit))
		if !bytes.Equal(got, got2) || errors.Is(err, ErrTooLarge) != errors.Is(err2, ErrTooLarge) || (err == nil) != (err2 == nil) {
			t.Fatalf("Read: %d bytes, %v; WriteTo: %d bytes, %v", len(got), err, len(got2), err2)
		}
		for _, wt := range []bool{false, true} {
			seq, seqErr := decodeWith(in, 0, wt, MaxOutput(limit))
			par, parErr := decodeWith(in, 3, wt, MaxOutput(limit))
			if !bytes.Equal(seq, par) || seqErr != parErr {
				t.Fatalf("WriteTo %v: sequential %d bytes, %q; parallel %d bytes, %q", wt, len(seq), seqErr, len(par), parErr)
			}
		}
		if err != nil {
			var ge *Error
			if errors.As(err, &ge) && (ge.Offset < 0 || ge.Offset > int64(len(in))) {
				t.Fatalf("offset %d outside the input of %d bytes: %v", ge.Offset, len(in), err)
			}
			return
		}
		level := 6
		if len(got) > 64<<10 {
			level = 1 // fast enough for the fuzzer's minimisation
		}
		again, err := gunzipErr(compress(t, got, BlockSize(MinBlockSize), Level(level)))
		if err != nil || !bytes.Equal(again, got) {
			t.Fatalf("re-encoded data: %d bytes, %v; want %d bytes", len(again), err, len(got))
		}
	})
}
