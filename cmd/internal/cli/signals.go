package cli

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// fatalSignals are the signals whose default action ends the process and
// that a program can catch. Not here: SIGPIPE (a tool whose reader went
// away ends quietly, as cat does), SIGKILL and SIGSTOP (cannot be caught),
// and SIGSEGV, SIGBUS, SIGFPE and SIGILL (the Go runtime's crashes; the
// relay's mark fails them closed anyway). Signals 32 and 33 belong to the C
// library's threads; 34 to 64 are the real-time signals.
var fatalSignals = func() []syscall.Signal {
	s := []syscall.Signal{
		syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGABRT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM,
		syscall.SIGVTALRM, syscall.SIGPROF, syscall.SIGXCPU, syscall.SIGXFSZ,
		syscall.SIGPWR, syscall.SIGSTKFLT, syscall.SIGSYS, syscall.SIGTRAP,
		syscall.SIGIO,
	}
	for rt := syscall.Signal(34); rt <= 64; rt++ {
		s = append(s, rt)
	}
	return s
}()

// Signals are the signals every tool catches to stop cleanly: SIGTERM
// always, and every other catchable signal that would end the process
// (SIGINT, SIGHUP, SIGQUIT, SIGABRT, SIGUSR1, ...) unless it was ignored
// when the process started (nohup, & in a non-interactive shell): an
// ignored signal would not have ended it.
func Signals() []os.Signal {
	var sigs []os.Signal
	for _, s := range fatalSignals {
		if s == syscall.SIGTERM || !signal.Ignored(s) {
			sigs = append(sigs, s)
		}
	}
	return sigs
}

// exitGrace is how long the handler of a caught signal, after undoing,
// waits for the main path to return before it ends the process itself: a
// read of a terminal or of a pipe whose writer sleeps cannot be
// interrupted.
const exitGrace = 300 * time.Millisecond

// catcher catches the fatal signals while a tool runs. On the first one it
// cancels the run, undoes what was prepared, prints why, and leaves the
// exit to the main path (Main returns 128+signal); if the main path is
// stuck, exit ends the process after exitGrace.
type catcher struct {
	ch     chan os.Signal
	sig    atomic.Int32  // the signal caught, or 0
	undone chan struct{} // closed once the handler has undone and printed
	quit   chan struct{} // closed by stop
	once   sync.Once
	line   string // what the handler printed, for the relay's note
}

// catchSignals starts catching Signals() except handled. exit is called
// with 128+signal and the line printed if the main path does not return
// within exitGrace; it must end the process.
func catchSignals(tool string, stderr io.Writer, cancel func(), undo []func() error, handled []os.Signal, exit func(code int, why string)) *catcher {
	c := &catcher{ch: make(chan os.Signal, 1), undone: make(chan struct{}), quit: make(chan struct{})}
	var sigs []os.Signal
	for _, s := range Signals() {
		if !slices.Contains(handled, s) {
			sigs = append(sigs, s)
		}
	}
	if len(sigs) == 0 {
		return c
	}
	signal.Notify(c.ch, sigs...)
	go func() {
		var s os.Signal
		select {
		case s = <-c.ch:
		case <-c.quit:
			return
		}
		sig := s.(syscall.Signal)
		c.sig.Store(int32(sig))
		cancel()
		for _, u := range undo {
			if err := u(); err != nil {
				fmt.Fprintf(stderr, "%s: %s\n", tool, Message(err))
			}
		}
		line := fmt.Sprintf("%s: %s: stopped", tool, SignalName(sig))
		if len(undo) > 0 {
			line += ", nothing committed"
		}
		fmt.Fprintln(stderr, line)
		c.line = line
		close(c.undone)
		select {
		case <-c.quit:
		case <-time.After(exitGrace):
			exit(128+int(sig), line)
		}
	}()
	return c
}

// caught reports whether a signal was caught.
func (c *catcher) caught() bool { return c.sig.Load() != 0 }

// result waits for the handler to finish undoing when a signal was caught,
// and returns the exit status and the line printed; 0 when none was.
func (c *catcher) result() (int, string) {
	sig := c.sig.Load()
	if sig == 0 {
		return 0, ""
	}
	<-c.undone
	return 128 + int(sig), c.line
}

// stop ends the catching; a signal after it has its default effect.
func (c *catcher) stop() {
	c.once.Do(func() {
		signal.Stop(c.ch)
		close(c.quit)
	})
}

// SignalName is "SIGTERM" for syscall.SIGTERM.
func SignalName(s syscall.Signal) string {
	switch s {
	case syscall.SIGINT:
		return "SIGINT"
	case syscall.SIGTERM:
		return "SIGTERM"
	case syscall.SIGHUP:
		return "SIGHUP"
	case syscall.SIGQUIT:
		return "SIGQUIT"
	case syscall.SIGABRT:
		return "SIGABRT"
	case syscall.SIGUSR1:
		return "SIGUSR1"
	case syscall.SIGUSR2:
		return "SIGUSR2"
	case syscall.SIGALRM:
		return "SIGALRM"
	case syscall.SIGPIPE:
		return "SIGPIPE"
	case syscall.SIGKILL:
		return "SIGKILL"
	}
	if s >= 34 && s <= 64 {
		return fmt.Sprintf("SIGRTMIN+%d", s-34)
	}
	return s.String()
}
