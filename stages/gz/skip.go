package gz

import (
	"encoding/binary"
	"errors"
	"io"
)

// Skip discards the next n bytes of output and returns how many it
// discarded: n, or fewer with the error that stopped it (io.EOF if the data
// ended first). Members as the Writer makes them that lie wholly within
// those n bytes are read but not inflated, so skipping through the Writer's
// output costs little more than reading it; their CRC-32 is not checked.
// Other data is decoded and discarded.
func (z *Reader) Skip(n int64) (int64, error) {
	if n < 0 {
		return 0, errors.New("negative skip")
	}
	var buf []byte
	left := n
	for left > 0 {
		left = z.skipMembers(left)
		if left == 0 {
			break
		}
		if buf == nil {
			buf = make([]byte, 32<<10)
		}
		k, err := z.Read(buf[:min(left, int64(len(buf)))])
		left -= int64(k)
		if err != nil {
			return n - left, err
		}
	}
	return n, nil
}

// skipMembers consumes whole members of the Writer's, at a member boundary,
// while their data fits in left; it returns what is left to skip. The
// first member that does not fit goes to the parallel path's queue.
func (z *Reader) skipMembers(left int64) int64 {
	if z.err != nil || z.inBody || len(z.queue) > 0 || z.threads == 0 || z.parOff {
		return left
	}
	z.parInit()
	for left > 0 {
		n, ok := z.ourMember()
		if !ok {
			return left
		}
		s := z.slots[z.head]
		if !z.readSlot(s, n) {
			return left
		}
		size := int64(binary.LittleEndian.Uint32(s.in[n-4:]))
		if size > left {
			z.queue = append(z.queue, s)
			z.startSlot(s, size)
			return left
		}
		left -= size
		z.members++
		z.lastOurs = size > 0
	}
	return left
}

// readSlot reads a member of n bytes into s; on a short read it queues s
// for the hand-over and returns false.
func (z *Reader) readSlot(s *slot, n int) bool {
	s.off, s.pos, s.readErr, s.big, s.started, s.ok = z.pos(), 0, nil, false, false, false
	if cap(s.in) < n {
		s.in = make([]byte, n)
	}
	k, err := io.ReadFull(z.br, s.in[:n])
	s.in = s.in[:k]
	if err != nil {
		s.readErr = err
		z.queue = append(z.queue, s)
		z.parStop = true
		return false
	}
	return true
}

// startSlot has a queued slot's member decoded, or marks it for the
// hand-over if it is too large.
func (z *Reader) startSlot(s *slot, size int64) {
	switch {
	case size > MaxParallelBlock:
		s.big = true
		z.parStop = true
	case size < inlineBelow:
		s.ok = s.inflate()
	default:
		s.started = true
		go s.decode(z.sem)
	}
}

// DiscardRest reads the rest of the input to its end without decoding or
// checking it, and returns the source's error if it fails (nil at its
// end). Read and WriteTo then return io.EOF. It is for a consumer that has
// what it wanted and must still take all of its input (a stage of an
// fpipe chain that stops early fails the chain).
func (z *Reader) DiscardRest() error {
	z.parWait()
	_, err := io.Copy(io.Discard, z.br)
	z.ra.stop()
	if z.err == nil {
		z.err = io.EOF
	}
	z.queue = z.queue[:0]
	z.inBody = false
	return err
}
