package gz

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"

	"github.com/fpipe/fpipe/stages/gz/internal/inflate"
)

// MaxParallelBlock is the largest member, in bytes of data, that a Reader
// decodes in parallel with the members around it (the Writer's default
// block size). A larger member is decoded as a stream, in order.
const MaxParallelBlock = DefaultBlockSize

// inlineBelow: a member with less data is decoded on the caller's
// goroutine (a stream of tiny members would spend its time switching).
const inlineBelow = 64 << 10

// maxParallelMember bounds the compressed length of a member decoded in
// parallel: stored blocks add 5 bytes per 64 KiB to the data.
const maxParallelMember = MaxParallelBlock + 64<<10

// The parallel path. A member whose header is the Writer's (FEXTRA with
// the 'F' 'P' subfield, which gives the member's length) is read whole into
// a slot and decoded by a goroutine into a buffer of the length its
// trailer gives; the goroutine also checks that the deflate data ends just
// before the trailer and that the CRC-32 matches. Slots are emitted in
// order, each only once it decoded cleanly. Anything else -- a member
// without the subfield, a larger one, bad data, a short input, the output
// limit -- hands the input back to the sequential decoder at the start of
// that member, with the bytes read ahead put back in front of the rest, so
// the output and the error (kind and offset) are those of the sequential
// decoder, which then reads the rest of the stream. A member that is not
// the Writer's, met at a member boundary, needs no hand-over: the
// sequential decoder reads it, and the parallel path takes up again after.
// All of it runs on the caller's goroutine except the decoding.

// slot is one member on its way through the parallel path.
type slot struct {
	in      []byte // the whole member, header to trailer
	out     []byte // its data once decoded
	pos     int    // bytes of out already returned by Read
	off     int64  // input offset of the member's first byte
	readErr error  // reading in failed (in holds what was read): hand over
	big     bool   // data larger than MaxParallelBlock: hand over
	started bool   // a goroutine decodes it; done receives when it ends
	ok      bool   // decoded and checked
	done    chan struct{}
	fl      *inflate.Decoder
}

// ourMember reports whether the input continues with a member as the
// Writer makes them, small enough for the parallel path, and its length.
func (z *Reader) ourMember() (int, bool) {
	h, err := z.br.Peek(memberHeaderLen)
	if err != nil {
		if err != io.EOF && len(h) < memberHeaderLen {
			// Keep a failure of the source for the sequential decoder,
			// which meets it next (Peek does not keep it).
			z.cr.perr = err
		}
		return 0, false
	}
	if h[0] != 0x1f || h[1] != 0x8b || h[2] != 8 || h[3] != flagExtra ||
		h[10] != 8 || h[11] != 0 || h[12] != subfieldID1 || h[13] != subfieldID2 || h[14] != 4 || h[15] != 0 {
		return 0, false
	}
	n := binary.LittleEndian.Uint32(h[16:])
	if n < memberMin || n > maxParallelMember {
		return 0, false
	}
	return int(n), true
}

// parFill reads members into free slots and starts their decoding, until
// the slots are all in use or the input continues otherwise.
func (z *Reader) parFill() {
	for !z.parStop && len(z.queue) < len(z.slots) {
		n, ok := z.ourMember()
		if !ok {
			z.parStop = true
			return
		}
		s := z.slots[(z.head+len(z.queue))%len(z.slots)]
		if !z.readSlot(s, n) {
			return
		}
		z.queue = append(z.queue, s)
		z.startSlot(s, int64(binary.LittleEndian.Uint32(s.in[n-4:])))
		if s.big {
			return
		}
	}
}

// decode inflates the slot's member and checks it; ok tells the result.
func (s *slot) decode(sem chan struct{}) {
	sem <- struct{}{}
	s.ok = s.inflate()
	<-sem
	s.done <- struct{}{}
}

func (s *slot) inflate() bool {
	n := len(s.in)
	body := s.in[memberHeaderLen : n-8]
	if s.fl == nil {
		s.fl = inflate.NewDecoder()
	}
	size := int(binary.LittleEndian.Uint32(s.in[n-4:]))
	if cap(s.out) < size {
		s.out = make([]byte, size, max(size, MaxParallelBlock))
	}
	s.out = s.out[:size]
	// ErrTooLong: more data than the trailer says.
	k, used, err := s.fl.DecodeAll(s.out, body)
	return err == nil && k == size && used == len(body) &&
		crc32.ChecksumIEEE(s.out) == binary.LittleEndian.Uint32(s.in[n-8:])
}

// wait waits for the slot's decoding, if any.
func (s *slot) wait() {
	if s.started {
		<-s.done
		s.started = false
	}
}

// parFront returns the next member decoded in parallel, ready to emit, or
// nil when the sequential decoder is to read on (at a member boundary).
func (z *Reader) parFront() *slot {
	if z.threads == 0 || z.parOff {
		return nil // threads 0: tests compare with the sequential decoder
	}
	z.parInit()
	if len(z.queue) == 0 {
		z.parStop = false
	}
	z.parFill()
	if len(z.queue) == 0 {
		return nil
	}
	s := z.queue[0]
	s.wait()
	if s.pos == 0 && (!s.ok || z.out+int64(len(s.out)) > z.max) {
		z.handOver()
		return nil
	}
	return s
}

// parInit allocates the slots on first use.
func (z *Reader) parInit() {
	if z.slots == nil {
		z.slots = make([]*slot, z.threads+1)
		for i := range z.slots {
			z.slots[i] = &slot{done: make(chan struct{}, 1)}
		}
		z.sem = make(chan struct{}, z.threads)
	}
}

// parDone drops the front slot once all of its data was emitted.
func (z *Reader) parDone(s *slot) {
	z.queue = z.queue[1:]
	z.head = (z.head + 1) % len(z.slots)
	z.members++
	z.lastOurs = len(s.out) > 0
	if len(z.queue) > 0 {
		z.parFill()
	}
}

// parWait waits for every slot being decoded.
func (z *Reader) parWait() {
	for _, s := range z.queue {
		s.wait()
	}
}

// handOver gives the input back to the sequential decoder at the start of
// the front slot's member: the members read ahead and what the buffer
// holds are put back in front of the rest of the input.
func (z *Reader) handOver() {
	z.parWait()
	var back [][]byte
	var readErr error
	for _, s := range z.queue {
		back = append(back, s.in)
		s.in = nil // now the input's; the slot gets a new buffer
		if s.readErr != nil {
			readErr = s.readErr
		}
	}
	if n := z.br.Buffered(); n > 0 {
		b, _ := z.br.Peek(n)
		back = append(back, bytes.Clone(b))
	}
	z.cr.pending = append(back, z.cr.pending...)
	if readErr != nil && readErr != io.ErrUnexpectedEOF && readErr != io.EOF {
		z.cr.perr = readErr
	}
	z.cr.n = z.queue[0].off
	z.br.Reset(&z.cr)
	z.queue = z.queue[:0]
	z.head = 0
	// The rest of the stream is decoded in order: a stream that hands over
	// at every member would otherwise be read twice, and its buffered input
	// copied each time.
	z.parOff = true
}
