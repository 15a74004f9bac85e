package cli

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"sync"
	"syscall"
	"time"
)

// fatalSignals are the signals whose default action ends the process and
// that a program can catch. Not here: SIGPIPE (a tool whose reader went
// away ends quietly, as cat does), SIGKILL and SIGSTOP (cannot be caught),
// and SIGSEGV, SIGBUS, SIGFPE and SIGILL (the Go runtime's crashes; the
// relay's mark fails them closed anyway), SIGPROF (the Go runtime takes it
// for profiling and does not end), and signals 32 to 34, which the Go
// runtime keeps for the C libraries' threads (34 then ends the process as
// SIGKILL would). 35 to 64 are the other real-time signals.
var fatalSignals = func() []syscall.Signal {
	s := []syscall.Signal{
		syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT,
		syscall.SIGABRT, syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGALRM,
		syscall.SIGVTALRM, syscall.SIGXCPU, syscall.SIGXFSZ,
		syscall.SIGPWR, syscall.SIGSTKFLT, syscall.SIGSYS, syscall.SIGTRAP,
		syscall.SIGIO,
	}
	for rt := syscall.Signal(35); rt <= 64; rt++ {
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

// catcher catches the fatal signals while a tool runs, from before its
// stage is built (which may create a temporary file) to the end. On the
// first one it cancels the run, undoes what the stage prepared, prints why,
// and leaves the exit to the main path (Main returns 128+signal); if the
// main path is stuck, exit ends the process after exitGrace. A signal the
// stage handles itself (frate's SIGHUP) is left to it once the stage is
// built.
type catcher struct {
	tool   string
	stderr io.Writer
	cancel func()
	exit   func(code int, why string)
	ch     chan os.Signal
	quit   chan struct{} // closed by stop
	undone chan struct{} // closed once a caught signal's undo is done
	once   sync.Once

	mu      sync.Mutex
	sig     syscall.Signal // the signal caught, or 0
	built   bool           // setStage was called
	undo    []func() error
	handles []os.Signal
	forward func(os.Signal) // hands a signal of handles to the stage
	quiet   bool            // nothing to undo or tell: end as the signal would
	line    string          // what was printed, for the relay's note
}

// catchSignals starts catching Signals(). exit is called with 128+signal
// and the line printed if the main path does not return within exitGrace;
// it must end the process.
func catchSignals(tool string, stderr io.Writer, cancel func(), exit func(code int, why string)) *catcher {
	c := &catcher{tool: tool, stderr: stderr, cancel: cancel, exit: exit,
		ch: make(chan os.Signal, 1), quit: make(chan struct{}), undone: make(chan struct{})}
	signal.Notify(c.ch, Signals()...)
	go c.loop()
	return c
}

func (c *catcher) loop() {
	for {
		var s os.Signal
		select {
		case s = <-c.ch:
		case <-c.quit:
			return
		}
		c.mu.Lock()
		if c.sig == 0 && c.built && slices.Contains(c.handles, s) {
			// The stage's: it may have been sent before the stage was
			// built and only read now, so hand it over rather than
			// trusting that the stage's own catching was in place.
			if c.forward != nil {
				c.forward(s)
			}
			c.mu.Unlock()
			continue
		}
		if c.sig != 0 {
			c.mu.Unlock()
			continue
		}
		c.sig = s.(syscall.Signal)
		c.cancel()
		if c.built {
			c.stopLocked()
		}
		c.mu.Unlock()
	}
}

// setStage tells what a signal must undo, and which signals the stage
// handles itself; quiet, that the tool has nothing to undo and no pipe to
// tell, so that a signal ends it without a message, as it ends cat. A
// signal caught before is acted on now.
func (c *catcher) setStage(undo []func() error, handles []os.Signal, forward func(os.Signal), quiet bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.built, c.undo, c.handles, c.forward, c.quiet = true, undo, handles, forward, quiet
	if c.sig != 0 {
		c.stopLocked()
	}
}

// stopLocked undoes, prints why, and starts the exit's grace period.
func (c *catcher) stopLocked() {
	for _, u := range c.undo {
		if err := u(); err != nil {
			fmt.Fprintf(c.stderr, "%s: %s\n", c.tool, Message(err))
		}
	}
	c.line = fmt.Sprintf("%s: %s: stopped", c.tool, SignalName(c.sig))
	if len(c.undo) > 0 {
		c.line += ", nothing committed"
	}
	if !c.quiet {
		fmt.Fprintln(c.stderr, c.line)
	}
	close(c.undone)
	code, line := 128+int(c.sig), c.line
	go func() {
		select {
		case <-c.quit:
		case <-time.After(exitGrace):
			c.exit(code, line)
		}
	}()
}

// caught reports whether a signal was caught.
func (c *catcher) caught() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sig != 0
}

// result waits for the undo when a signal was caught, and returns the exit
// status and the line printed; 0 when none was.
func (c *catcher) result() (int, string) {
	c.mu.Lock()
	sig := c.sig
	c.mu.Unlock()
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
