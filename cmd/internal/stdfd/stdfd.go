// Package stdfd gives back to a command the standard descriptors it was
// started without.
//
// When a Go program starts with descriptor 0, 1 or 2 closed (`fread f >&-`),
// the runtime opens /dev/null on it before any Go code runs, so that the
// next file the program opens does not become its standard output. The
// price is that writes to a closed standard output then succeed: a tool
// would exit 0 having written nothing, where cat fails with "write error:
// Bad file descriptor". Restore makes such a descriptor fail as a closed
// one does (EBADF), while keeping it taken.
package stdfd

import "golang.org/x/sys/unix"

// Restore finds the standard descriptors that the runtime opened on
// /dev/null because they were closed at the start, and reopens each on
// /dev/null in the one direction it is not used in: standard output and
// error read-only, standard input write-only. Their writes (reads) then fail
// with EBADF, as on a closed descriptor, and the numbers stay taken. Call it
// first thing in main.
//
// What the runtime opens is told apart from a /dev/null the caller gave:
// the runtime opens /dev/null read-write, once per closed descriptor. A
// shell's `>/dev/null` is write-only and `</dev/null` read-only; a daemon
// (daemon(3), start-stop-daemon) opens it read-write once and shares it
// between 0, 1 and 2. The only caller's /dev/null taken for a closed one is
// a read-write one opened for that descriptor alone (`1<>/dev/null`).
func Restore() {
	for fd := 0; fd < 3; fd++ {
		if openedAtStart(fd) {
			reopen(fd)
		}
	}
}

// openedAtStart reports whether fd looks like what the runtime opens for a
// closed standard descriptor: /dev/null, read-write, shared with no other
// standard descriptor.
func openedAtStart(fd int) bool {
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		return false
	}
	if st.Mode&unix.S_IFMT != unix.S_IFCHR || st.Rdev != unix.Mkdev(1, 3) {
		return false
	}
	fl, err := unix.FcntlInt(uintptr(fd), unix.F_GETFL, 0)
	if err != nil || fl&unix.O_ACCMODE != unix.O_RDWR {
		return false
	}
	for other := 0; other < 3; other++ {
		if other != fd && shared(fd, other) {
			return false
		}
	}
	return true
}

// shared reports whether descriptors a and b share one open file
// description (dup, dup2, or inherited as one), by flipping O_APPEND on a
// for a moment (a is /dev/null, where it changes nothing) and seeing
// whether b's flags follow.
func shared(a, b int) bool {
	fa, err := unix.FcntlInt(uintptr(a), unix.F_GETFL, 0)
	if err != nil {
		return false
	}
	fb, err := unix.FcntlInt(uintptr(b), unix.F_GETFL, 0)
	if err != nil {
		return false
	}
	if _, err := unix.FcntlInt(uintptr(a), unix.F_SETFL, fa^unix.O_APPEND); err != nil {
		return true // cannot tell: take it as the caller's
	}
	fb2, err := unix.FcntlInt(uintptr(b), unix.F_GETFL, 0)
	unix.FcntlInt(uintptr(a), unix.F_SETFL, fa)
	return err != nil || (fb^fb2)&unix.O_APPEND != 0
}

// reopen puts /dev/null on fd in the direction that fails.
func reopen(fd int) {
	mode := unix.O_RDONLY
	if fd == 0 {
		mode = unix.O_WRONLY
	}
	nfd, err := unix.Open("/dev/null", mode|unix.O_CLOEXEC, 0)
	if err != nil {
		return // keep the runtime's /dev/null: never leave the number free
	}
	unix.Dup3(nfd, fd, 0)
	unix.Close(nfd)
}
