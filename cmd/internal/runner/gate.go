package runner

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/fpipe/fpipe/stages"
)

// gate holds every commit until all the pipeline's participants (each run
// of in-process stages, each child) have finished their part cleanly, and
// releases them with the first cause as soon as one fails.
type gate struct {
	mu      sync.Mutex
	n       int
	done_   map[int]bool
	sealed  bool
	failed  bool
	causes  []cause
	settled chan struct{}
}

type cause struct {
	err         error
	consequence bool // a stage stopped because another failed
}

func newGate() *gate { return &gate{done_: map[int]bool{}, settled: make(chan struct{})} }

// add registers a participant and returns its id.
func (g *gate) add() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.n++
	return g.n - 1
}

// seal says that every participant has been added.
func (g *gate) seal() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.sealed = true
	g.check()
}

// done records that participant id finished its part cleanly.
func (g *gate) done(id int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.done_[id] = true
	g.check()
}

func (g *gate) check() {
	if !g.failed && g.sealed && len(g.done_) >= g.n {
		g.settle()
	}
}

func (g *gate) settle() {
	select {
	case <-g.settled:
	default:
		close(g.settled)
	}
}

// fail records err as participant id's end (id -1: not a participant, such
// as a signal) and releases everyone.
func (g *gate) fail(id int, err error) {
	g.record(err, isConsequence(err))
}

// failChild is fail for a child, whose death by SIGPIPE, or by our own
// SIGTERM or SIGKILL once the pipeline is failing, is a consequence.
func (g *gate) failChild(id int, err error, ps *os.ProcessState) {
	conseq := false
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		switch ws.Signal() {
		case syscall.SIGPIPE:
			conseq = true
		case syscall.SIGTERM, syscall.SIGKILL:
			g.mu.Lock()
			conseq = g.failed
			g.mu.Unlock()
		}
	}
	g.record(err, conseq)
}

func (g *gate) record(err error, conseq bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.causes = append(g.causes, cause{err, conseq})
	g.failed = true
	g.settle()
}

// wait blocks until the gate settles and returns the first cause, or nil
// when everyone finished cleanly.
func (g *gate) wait() error {
	<-g.settled
	return g.err()
}

// err is the first cause: the earliest failure that is not a consequence
// of another, or failing that the earliest failure.
func (g *gate) err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, c := range g.causes {
		if !c.consequence {
			return c.err
		}
	}
	if len(g.causes) > 0 {
		return g.causes[0].err
	}
	return nil
}

// isConsequence tells errors that only say a stage was stopped, or lost its
// reader or writer, because something else failed.
func isConsequence(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, stages.ErrAborted) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.ErrClosedPipe) || errors.Is(err, os.ErrClosed)
}

// gateSink makes a sink's Commit wait for the gate.
func gateSink(s stages.Sink, arrive, gateErr func() error) stages.Sink {
	g := &gatedSink{Sink: s, arrive: arrive, gateErr: gateErr}
	if rf, ok := s.(io.ReaderFrom); ok {
		return &gatedSinkRF{g, rf}
	}
	return g
}

type gatedSink struct {
	stages.Sink
	arrive  func() error
	gateErr func() error
}

func (g *gatedSink) Commit() error {
	if err := g.arrive(); err != nil {
		g.Sink.Abort()
		return stages.ErrAborted
	}
	if err := g.settle(); err != nil {
		g.Sink.Abort()
		return err
	}
	return g.Sink.Commit()
}

// settleTime: see cli's; a signal sent with the end of input (Ctrl-C or a
// kill of the process group) gets this long to be handled before the commit.
const settleTime = 5 * time.Millisecond

// settle waits settleTime for a signal to fail the gate.
func (g *gatedSink) settle() error {
	deadline := time.Now().Add(settleTime)
	for time.Now().Before(deadline) {
		if err := g.gateErr(); err != nil {
			return stages.ErrAborted
		}
		time.Sleep(500 * time.Microsecond)
	}
	if err := g.gateErr(); err != nil {
		return stages.ErrAborted
	}
	return nil
}

// Err passes on the sink's sticky write error, which the chain uses to name it.
func (g *gatedSink) Err() error {
	if e, ok := g.Sink.(interface{ Err() error }); ok {
		return e.Err()
	}
	return nil
}

type gatedSinkRF struct {
	*gatedSink
	rf io.ReaderFrom
}

func (g *gatedSinkRF) ReadFrom(r io.Reader) (int64, error) { return g.rf.ReadFrom(r) }

// gateWriter wraps a filter's writer so that, if it commits output of its
// own, that Commit waits for the gate. It returns nil for a filter that
// has only a Reader form.
func gateWriter(f *stages.Filter, arrive func() error) stages.WriteFilter {
	if f.Writer == nil {
		return nil
	}
	return func(dst io.Writer) (io.WriteCloser, error) {
		w, err := f.Writer(dst)
		if err != nil {
			return nil, err
		}
		if cm, ok := w.(stages.Committer); ok {
			return &gatedCommitter{WriteCloser: w, cm: cm, arrive: arrive}, nil
		}
		return w, nil
	}
}

type gatedCommitter struct {
	io.WriteCloser
	cm     stages.Committer
	arrive func() error
}

func (g *gatedCommitter) Commit() error {
	if err := g.arrive(); err != nil {
		g.cm.Abort()
		return stages.ErrAborted
	}
	return g.cm.Commit()
}

func (g *gatedCommitter) Abort() error { return g.cm.Abort() }
