package s3

import (
	"errors"
	"fmt"
	"io"
)

const (
	// MaxParts is S3's limit on the parts of one upload.
	MaxParts = 10000
	// MinPartSize is S3's smallest part but the last.
	MinPartSize = 5 << 20
	// MaxPartSize is S3's largest part.
	MaxPartSize = 5 << 30
	// chunkSize is the unit of the buffer pool: a part is a list of chunks.
	chunkSize = 1 << 20
	// DefaultBufferMemory is the default part-buffer pool.
	DefaultBufferMemory = 48 << 20
	// MinBufferMemory is the smallest pool: two of the smallest parts.
	MinBufferMemory = 2 * 5 << 20
	// growEvery is how many parts pass between two doublings of the part
	// size of a stream of unknown length.
	growEvery = 1000
)

// ErrTooLong is returned by Write when a stream would need more than
// MaxParts parts of the largest size the buffer memory allows.
var ErrTooLong = errors.New("stream longer than 10,000 parts of the largest part the buffer memory holds (give a size hint or more memory)")

// partPlan chooses part sizes: a part must fit in the pool, so the
// largest part is the pool itself (then one part is sent while none is
// filled); the first are small enough that a few are in flight at once.
type partPlan struct {
	first, max int64
	hinted     bool
}

func newPlan(pool, hint int64) (partPlan, error) {
	largest := min(pool/chunkSize*chunkSize, MaxPartSize)
	first := min(max(pool/3/chunkSize*chunkSize, MinPartSize), 16<<20, largest)
	if hint > 0 {
		need := PartSizeFor(hint)
		if need > largest {
			return partPlan{}, fmt.Errorf("size hint %d needs parts of %d bytes; the buffer memory holds %d", hint, need, largest)
		}
		return partPlan{first: max(first, need), max: max(first, need), hinted: true}, nil
	}
	return partPlan{first: first, max: largest}, nil
}

// PartSizeFor returns the part size a SizeHint of n gives: room for 5%
// more than n in MaxParts parts, in whole MiB. The buffer memory must hold
// one such part.
func PartSizeFor(n int64) int64 {
	need := (n + n/20 + MaxParts - 1) / MaxParts
	return (need + chunkSize - 1) / chunkSize * chunkSize
}

// size returns the size of part i (0-based).
func (p partPlan) size(i int) int64 {
	if p.hinted {
		return p.first
	}
	s := p.first
	for n := i / growEvery; n > 0 && s < p.max; n-- {
		s *= 2
	}
	return min(s, p.max)
}

// capacity is the longest stream the plan can take.
func (p partPlan) capacity() int64 {
	var t int64
	for i := 0; i < MaxParts; i++ {
		t += p.size(i)
	}
	return t
}

// MaxStreamSize returns the longest stream of unknown length that a
// Writer with the given buffer memory can upload.
func MaxStreamSize(bufferMemory int64) int64 {
	p, err := newPlan(bufferMemory, 0)
	if err != nil {
		return 0
	}
	return p.capacity()
}

// part is one part being filled or sent: chunks from the pool.
type part struct {
	num    int
	chunks [][]byte
	n      int64 // bytes in the part
	want   int64 // its planned size
	crc    uint32
}

// reader returns a fresh reader over the part's bytes.
func (p *part) reader() io.Reader {
	return &chunkReader{chunks: p.chunks, left: p.n}
}

type chunkReader struct {
	chunks [][]byte
	i, off int
	left   int64
}

func (r *chunkReader) Read(b []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	c := r.chunks[r.i][r.off:]
	if int64(len(c)) > r.left {
		c = c[:r.left]
	}
	n := copy(b, c)
	r.off += n
	r.left -= int64(n)
	if r.off == len(r.chunks[r.i]) {
		r.i, r.off = r.i+1, 0
	}
	return n, nil
}

// WriteTo lets net/http send chunks without copying them.
func (r *chunkReader) WriteTo(w io.Writer) (int64, error) {
	var t int64
	for r.left > 0 {
		c := r.chunks[r.i][r.off:]
		if int64(len(c)) > r.left {
			c = c[:r.left]
		}
		n, err := w.Write(c)
		t += int64(n)
		r.off += n
		r.left -= int64(n)
		if r.off == len(r.chunks[r.i]) {
			r.i, r.off = r.i+1, 0
		}
		if err != nil {
			return t, err
		}
	}
	return t, nil
}
