package cli

import (
	"os"
	"os/signal"
	"slices"
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

// caught reports whether a write into standard output or error (one of
// files) found its pipe broken. The kernel sends SIGPIPE for every broken
// pipe, fpipe's pipes to its children included, so the signal alone does
// not say which.
func (p *pipeCatcher) caught(files ...*os.File) bool {
	if p == nil {
		return false
	}
	select {
	case <-p.ch:
	default:
		return false
	}
	return slices.ContainsFunc(files, broken)
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
		if broken(f) {
			f.Write([]byte{'\n'})
		}
	}
}

// broken reports whether f is the write end of a pipe whose reader is
// gone.
func broken(f *os.File) bool {
	if f == nil {
		return false
	}
	fds := []unix.PollFd{{Fd: int32(f.Fd())}}
	n, err := unix.Poll(fds, 0)
	return err == nil && n > 0 && fds[0].Revents&unix.POLLERR != 0
}
