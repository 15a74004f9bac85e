package relay

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// The marks, as pipe buffer sizes. The kernel keeps sizes in whole powers
// of two of pages, and the default is 16 pages (64 KiB); growing a pipe is
// limited by /proc/sys/fs/pipe-max-size (1 MiB by default) for unprivileged
// users, and shrinking fails (EBUSY) while more is buffered than fits.
// Running → clean is a growth, so a writer can always end cleanly. Waiting
// is reached by shrinking, once the reader has drained the pipe enough;
// committed and refused too, by a reader at the end of its input, when the
// pipe is empty. 1 MiB, the size programs that grow their pipes usually
// ask for, means clean, as for a program that is not ours.
const (
	sizeRunning   = 512 << 10
	sizeClean     = 1 << 20
	sizeWaiting   = 256 << 10
	sizeCommitted = 4 << 10
	sizeRefused   = 8 << 10
	sizeDone      = 16 << 10
)

// State is what a pipe's mark says.
type State int

const (
	// Unmarked: a writer that is not ours (or that could not mark).
	Unmarked State = iota
	// Running: a writer of ours has not ended cleanly.
	Running
	// Clean: the writers of ours ended cleanly.
	Clean
	// Waiting: the writer ended cleanly and waits for the reader's verdict.
	Waiting
	// Committed: the reader (and everything after it) committed.
	Committed
	// Refused: the reader (or a stage after it) did not commit.
	Refused
	// Done: the reader and the stages after it ended cleanly, and none of
	// them commits anything (the last writes to a file or terminal, or
	// into a program that is not ours).
	Done
)

func (s State) String() string {
	switch s {
	case Running:
		return "running"
	case Clean:
		return "clean"
	case Waiting:
		return "waiting"
	case Committed:
		return "committed"
	case Refused:
		return "refused"
	case Done:
		return "done"
	}
	return "unmarked"
}

func stateOf(size int) State {
	switch size {
	case sizeRunning:
		return Running
	case sizeClean:
		return Clean
	case sizeWaiting:
		return Waiting
	case sizeCommitted:
		return Committed
	case sizeRefused:
		return Refused
	case sizeDone:
		return Done
	}
	return Unmarked
}

// enabled: the marks are distinct sizes only with 4 KiB pages.
var enabled = os.Getpagesize() == 4096

// IsPipe reports whether f is a pipe or FIFO.
func IsPipe(f *os.File) bool {
	if f == nil {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&fs.ModeNamedPipe != 0
}

// control runs fn with f's descriptor.
func control(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}

func getSize(fd int) (int, error) { return unix.FcntlInt(uintptr(fd), unix.F_GETPIPE_SZ, 0) }

// ErrNoReader: the pipe has no reader any more.
var ErrNoReader = errors.New("the stage after is gone")

// setSize sets the pipe's buffer to size exactly. With wait, it retries
// while the pipe holds more than the new size (EBUSY), as long as someone
// reads it (fd must then be a write end), until ctx is done.
func setSize(ctx context.Context, fd, size int, wait bool) error {
	delay := 200 * time.Microsecond
	for {
		got, err := unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, size)
		switch {
		case err == nil && got != size:
			return fmt.Errorf("the kernel gave %d bytes for %d", got, size)
		case err == nil:
			return nil
		case err == unix.EINTR:
			continue
		case err != unix.EBUSY || !wait:
			return err
		case !hasReader(fd):
			return ErrNoReader
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
		delay = min(2*delay, 20*time.Millisecond)
	}
}

// hasReader reports whether the pipe that fd writes has a reader left
// (poll reports POLLERR on a write end that has none).
func hasReader(fd int) bool {
	pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
	for {
		if _, err := unix.Poll(pfd, 0); err != unix.EINTR {
			break
		}
	}
	return pfd[0].Revents&unix.POLLERR == 0
}

// Get returns the mark of the pipe f (either end).
func Get(f *os.File) State {
	var st State
	control(f, func(fd int) error {
		if n, err := getSize(fd); err == nil {
			st = stateOf(n)
		}
		return nil
	})
	return st
}

// Out is the writing end of a pipe that a tool of ours marks.
type Out struct {
	f        *os.File
	inherit  bool // found running at start: an earlier writer of ours failed, or runs
	released bool // Handoff let go of the write end
}

// ErrCannotMark says that the pipe could not be marked.
var ErrCannotMark = errors.New("cannot mark the pipe")

// Begin marks the pipe f, the tool's standard output, "running". Call it
// before writing anything. It returns nil when f is not a pipe. When the
// pipe is already "running", an earlier writer of ours on the same pipe did
// not end cleanly (or another one is writing now): Begin leaves the mark,
// and [Out.Clean] will not clear it. Growing a pipe may be refused
// (pipe-max-size, pipe-user-pages-soft): the error says so, and the Out
// returned can still be used.
func Begin(f *os.File) (*Out, error) {
	if !IsPipe(f) {
		return nil, nil
	}
	o := &Out{f: f}
	if !enabled {
		return o, fmt.Errorf("%w: memory pages are not 4 KiB", ErrCannotMark)
	}
	err := control(f, func(fd int) error {
		cur, err := getSize(fd)
		if err != nil {
			return err
		}
		if cur == sizeRunning {
			o.inherit = true
			return nil
		}
		return setSize(context.Background(), fd, sizeRunning, true)
	})
	if err != nil {
		return o, fmt.Errorf("%w: %w", ErrCannotMark, explain(err))
	}
	return o, nil
}

// explain adds the likely cause to EPERM from F_SETPIPE_SZ.
func explain(err error) error {
	if errors.Is(err, syscall.EPERM) {
		return fmt.Errorf("%w (the limits in /proc/sys/fs/pipe-max-size and pipe-user-pages-soft)", err)
	}
	return err
}

// Clean marks the pipe "clean": everything this tool wrote is complete.
// Call it last, just before the process exits. It does nothing when Begin
// found the pipe "running" or after Handoff.
func (o *Out) Clean() error {
	if o == nil || o.inherit || o.released || !enabled {
		return nil
	}
	err := control(o.f, func(fd int) error {
		return setSize(context.Background(), fd, sizeClean, false)
	})
	if err != nil {
		return fmt.Errorf("%w as complete: %w", ErrCannotMark, explain(err))
	}
	return nil
}

// Fail puts the "running" mark back if something changed it, so that the
// reader fails. It is a best effort: the mark set by Begin normally stays.
func (o *Out) Fail() {
	if o == nil || o.released || !enabled {
		return
	}
	control(o.f, func(fd int) error {
		if cur, err := getSize(fd); err == nil && cur != sizeRunning {
			setSize(context.Background(), fd, sizeRunning, false)
		}
		return nil
	})
}

// Check reads the mark of the pipe f, the tool's standard input, and
// whether the input is at its end (no writer left and nothing buffered).
// Only a mark read at the end is the writers' last word.
func Check(f *os.File) (st State, atEnd bool) {
	if !IsPipe(f) || !enabled {
		return Unmarked, false
	}
	control(f, func(fd int) error {
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			_, err := unix.Poll(pfd, 0)
			if err != unix.EINTR {
				break
			}
		}
		atEnd = pfd[0].Revents&unix.POLLHUP != 0 && pfd[0].Revents&unix.POLLIN == 0
		if n, err := getSize(fd); err == nil {
			st = stateOf(n)
		}
		return nil
	})
	return st, atEnd
}

// Confirm marks the pipe f, the tool's standard input, "committed": the
// verdict a waiting writer before it is waiting for. Call it only after the
// input was read to its end, the mark said [Waiting], and this tool (and
// every stage after it) committed.
func Confirm(f *os.File) error { return verdict(f, sizeCommitted) }

// ConfirmDone marks the pipe f, the tool's standard input, "done": as
// Confirm, for a tool that commits nothing and whose output goes to a file,
// a terminal or a program that is not ours (or to a tool of ours that said
// "done"). A waiting writer takes it as Confirm's verdict; a writer that
// reports it (fpv) says "done" rather than "committed".
func ConfirmDone(f *os.File) error { return verdict(f, sizeDone) }

// Refuse marks the pipe f, the tool's standard input, "refused" when the
// writer before it waits for a verdict ([Waiting]): this tool, or a stage
// after it, did not commit. It is a best effort: it fails while the pipe
// holds more than 8 KiB, which the writer also sees.
func Refuse(f *os.File) error {
	if Get(f) != Waiting {
		return nil
	}
	return verdict(f, sizeRefused)
}

func verdict(f *os.File, size int) error {
	if !enabled || !IsPipe(f) {
		return nil
	}
	return control(f, func(fd int) error {
		return setSize(context.Background(), fd, size, false)
	})
}
