// Package zerocopy moves bytes between files inside the kernel: splice(2)
// where one side is a pipe. Callers fall back to read/write (or to
// os.File.ReadFrom, which uses copy_file_range between regular files) where
// it reports that it did not handle the copy.
//
// PipeSize is also the one figure for "a pipe's worth" across the module:
// the buffer GrowPipe asks for, and the buffer of the tools that copy
// through one of their own.
package zerocopy

import (
	"errors"
	"io/fs"
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// PipeSize is the pipe buffer GrowPipe asks for, and the most a pipe is
// taken to hold: the default /proc/sys/fs/pipe-max-size (1 MiB), the
// largest buffer an unprivileged user can ask for. The pass-through tools
// (fpv, frate) read into a buffer of this size, so that one read takes what
// the stage before wrote in several (fewer system calls and context
// switches than with cat's 128 KiB); a reader that drops pages from the
// cache lags this far behind.
const PipeSize = 1 << 20

// spliceChunk is the most one splice call moves.
const spliceChunk = 1 << 20

// IsPipe reports whether f is a pipe or FIFO.
func IsPipe(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&fs.ModeNamedPipe != 0
}

// GrowPipe asks the kernel for a PipeSize buffer on the pipe f (either end)
// when the pipe still has the kernel's default size: a pipe that someone
// sized on purpose keeps its size (the shell-pipe relay of fpipe's tools
// marks pipes with their size). It is a hint: errors are ignored.
func GrowPipe(f *os.File) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		if cur, err := unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0); err == nil && cur <= 16*os.Getpagesize() {
			unix.FcntlInt(fd, unix.F_SETPIPE_SZ, PipeSize)
		}
	})
}

// Splice moves up to n bytes (n < 0: until end of input) from src to dst,
// one of which must be a pipe, and returns how many it moved. handled is
// false when the kernel refused before moving anything (splice not
// supported for these files, or a non-blocking descriptor that would
// block); the caller then copies the usual way. After a partial move,
// handled is true and err says why it stopped. A write error is an
// *fs.PathError naming dst; EPIPE on standard output or error raises SIGPIPE
// as os.File.Write does.
func Splice(dst, src *os.File, n int64) (moved int64, handled bool, err error) {
	srcRC, err := src.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	dstRC, err := dst.SyscallConn()
	if err != nil {
		return 0, false, nil
	}
	var sfd, dfd int
	srcRC.Control(func(fd uintptr) { sfd = int(fd) })
	dstRC.Control(func(fd uintptr) { dfd = int(fd) })
	for n != 0 {
		want := int64(spliceChunk)
		if n > 0 && n < want {
			want = n
		}
		k, serr := unix.Splice(sfd, nil, dfd, nil, int(want), unix.SPLICE_F_MOVE)
		if serr == unix.EINTR {
			continue
		}
		if serr != nil {
			if moved == 0 && (serr == unix.EINVAL || serr == unix.ENOSYS || serr == unix.EAGAIN || serr == unix.EOPNOTSUPP) {
				return 0, false, nil
			}
			if serr == unix.EAGAIN {
				return moved, true, errWouldBlock
			}
			return moved, true, classify(dst, src, serr)
		}
		if k == 0 {
			return moved, true, nil // end of input
		}
		moved += k
		if n > 0 {
			n -= k
		}
	}
	runtime.KeepAlive(src)
	runtime.KeepAlive(dst)
	return moved, true, nil
}

// errWouldBlock tells the caller to finish with ordinary reads and writes.
var errWouldBlock = errors.New("zerocopy: would block")

// WouldBlock reports whether Splice stopped because a non-blocking
// descriptor had to wait; the caller goes on the usual way.
func WouldBlock(err error) bool { return err == errWouldBlock }

// classify decides which side an errno belongs to. splice does not say:
// errors that only writing can cause are the destination's, and so is any
// other error when the source is the pipe (pipes do not fail to read).
func classify(dst, src *os.File, e error) error {
	switch e {
	case unix.EPIPE:
		if dst == os.Stdout || dst == os.Stderr {
			dst.Write([]byte{0}) // lets package os raise SIGPIPE, as for any write
		}
		return &fs.PathError{Op: "write", Path: dst.Name(), Err: syscall.EPIPE}
	case unix.ENOSPC, unix.EDQUOT, unix.EFBIG, unix.EROFS:
		return &fs.PathError{Op: "write", Path: dst.Name(), Err: e}
	}
	if IsPipe(src) && !IsPipe(dst) {
		return &fs.PathError{Op: "write", Path: dst.Name(), Err: e}
	}
	return &fs.PathError{Op: "read", Path: src.Name(), Err: e}
}
