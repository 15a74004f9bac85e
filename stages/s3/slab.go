package s3

import "golang.org/x/sys/unix"

// The part buffers live outside the Go heap, in an anonymous mapping: in
// the heap, 48 MiB of live buffers would let the garbage collector wait
// for another 48 MiB of garbage before it runs (GOGC=100), and a long
// upload's peak RSS would double. Pages are only resident once written.

// newSlab maps n bytes of zeroed memory.
func newSlab(n int64) ([]byte, error) {
	return unix.Mmap(-1, 0, int(n), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
}

// dropSlab gives the slab's pages back to the kernel. After a failure a
// request cut off may still be read by the HTTP transport's writer, so the
// mapping stays (reads then see zeros, of an upload that is aborted);
// after a clean Commit every part was answered and the mapping goes.
func dropSlab(b []byte, unmap bool) {
	if b == nil {
		return
	}
	if unmap {
		unix.Munmap(b)
		return
	}
	unix.Madvise(b, unix.MADV_DONTNEED)
}
