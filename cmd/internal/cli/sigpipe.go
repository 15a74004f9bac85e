package cli

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// pipeCatcher turns the SIGPIPE of a write into a broken standard output
// or error into an error (EPIPE) while a stage that has something to undo
// runs: Go's default would end the process at once, leaving the temporary
// file of fsum -o behind when the reader of its standard output exits
// early (fsum -o s | head -c1). Once the stage has undone what it
// prepared, die() ends the process by SIGPIPE, as it would have ended.
type pipeCatcher struct{ ch chan os.Signal }

// catchPipe starts catching SIGPIPE, unless it was ignored when the
// process started (systemd's IgnoreSIGPIPE): writes then fail with EPIPE
// anyway. A nil catcher catches nothing.
func catchPipe() *pipeCatcher {
	if signal.Ignored(syscall.SIGPIPE) {
		return nil
	}
	p := &pipeCatcher{ch: make(chan os.Signal, 1)}
	signal.Notify(p.ch, syscall.SIGPIPE)
	return p
}

// caught reports whether a write into standard output or error found its
// pipe broken.
func (p *pipeCatcher) caught() bool {
	if p == nil {
		return false
	}
	select {
	case <-p.ch:
		return true
	default:
		return false
	}
}

// stop ends the catching.
func (p *pipeCatcher) stop() {
	if p != nil {
		signal.Stop(p.ch)
	}
}

// dieOfSIGPIPE ends the process by SIGPIPE, as Go does on a write into a
// broken standard output or error: it writes again into the one whose
// reader is gone (a byte nobody can read), with SIGPIPE no longer caught.
// It returns if neither is broken any more.
func dieOfSIGPIPE() {
	signal.Reset(syscall.SIGPIPE)
	for _, f := range []*os.File{os.Stdout, os.Stderr} {
		fds := []unix.PollFd{{Fd: int32(f.Fd())}}
		if n, err := unix.Poll(fds, 0); err == nil && n > 0 && fds[0].Revents&unix.POLLERR != 0 {
			f.Write([]byte{'\n'})
		}
	}
}
