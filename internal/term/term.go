// Package term tells whether a file is a terminal, and how wide it is.
//
// It asks through os.File.SyscallConn, never os.File.Fd: Fd puts the file
// into blocking mode, which would change how a tool's standard input or
// output behaves for the rest of the run (stages/read relies on that mode
// to splice).
package term

import (
	"os"

	"golang.org/x/sys/unix"
)

// IsTerminal reports whether x is an *os.File open on a terminal.
func IsTerminal(x any) bool {
	_, ok := Terminal(x)
	return ok
}

// Terminal returns the descriptor of x, and true, when x is an *os.File
// open on a terminal; else -1 and false. The descriptor is valid while the
// file is open.
func Terminal(x any) (fd int, ok bool) {
	f, isFile := x.(*os.File)
	if !isFile {
		return -1, false
	}
	rc, err := f.SyscallConn()
	if err != nil {
		return -1, false
	}
	var terr error
	if err := rc.Control(func(u uintptr) {
		fd = int(u)
		_, terr = unix.IoctlGetTermios(fd, unix.TCGETS)
	}); err != nil || terr != nil {
		return -1, false
	}
	return fd, true
}

// Columns is the width of the terminal open on fd, or 80 when it cannot be
// told.
func Columns(fd int) int {
	ws, err := unix.IoctlGetWinsize(fd, unix.TIOCGWINSZ)
	if err != nil || ws.Col == 0 {
		return 80
	}
	return int(ws.Col)
}
