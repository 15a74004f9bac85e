package sum

import (
	"fmt"
	"hash"
	"io"
	"testing"

	zeebo "github.com/zeebo/blake3"
	luke "lukechampine.com/blake3"
)

// BenchmarkWriter is the stage's pass-through cost per algorithm, in
// writes of a pipe's size.
func BenchmarkWriter(b *testing.B) {
	buf := make([]byte, 64<<10)
	for _, a := range All {
		b.Run(a.String(), func(b *testing.B) {
			w, _ := NewWriter(io.Discard, Algorithms(a))
			b.SetBytes(int64(len(buf)))
			b.ReportAllocs()
			for b.Loop() {
				w.Write(buf)
			}
		})
	}
}

// BenchmarkBLAKE3Libraries is how the BLAKE3 library was chosen: the two
// well-kept Go implementations, on the chunk sizes a stream sees (a pipe
// gives at most 64 KiB per read by default, 1 MiB when grown).
// zeebo/blake3 won on this machine (see doc.go).
func BenchmarkBLAKE3Libraries(b *testing.B) {
	for _, lib := range []struct {
		name string
		new  func() hash.Hash
	}{
		{"zeebo", func() hash.Hash { return zeebo.New() }},
		{"lukechampine", func() hash.Hash { return luke.New(32, nil) }},
	} {
		for _, size := range []int{16 << 10, 64 << 10, 256 << 10, 1 << 20} {
			buf := make([]byte, size)
			b.Run(fmt.Sprintf("%s/%dKiB", lib.name, size>>10), func(b *testing.B) {
				h := lib.new()
				b.SetBytes(int64(size))
				for b.Loop() {
					h.Write(buf)
				}
			})
		}
	}
}
