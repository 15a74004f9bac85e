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

// gateSink makes a sink's Commit wait for the gate; everything else of the
// sink (its ReadFrom, Err, Unwrap, TwoPhase) is kept.
func gateSink(s stages.Sink, arrive, gateErr func() error) stages.Sink {
	return stages.WrapSink(s, stages.SinkHooks{Commit: func(s stages.Sink) error {
		if err := arrive(); err != nil {
			s.Abort()
			return stages.ErrAborted
		}
		if err := settle(gateErr); err != nil {
			s.Abort()
			return err
		}
		return s.Commit()
	}})
}

// settle waits stages.SettleTime for a signal sent with the end of input
// (Ctrl-C or a kill of the process group) to fail the gate.
func settle(gateErr func() error) error {
	deadline := time.Now().Add(stages.SettleTime)
	for time.Now().Before(deadline) {
		if err := gateErr(); err != nil {
			return stages.ErrAborted
		}
		time.Sleep(500 * time.Microsecond)
	}
	if err := gateErr(); err != nil {
		return stages.ErrAborted
	}
	return nil
}

// gateWriter wraps a filter so that, if it commits output of its own, that
// Commit waits for the gate, whichever direction the filter has: a Writer
// form is returned as a Writer, and a Reader-only filter is returned as a
// Reader whose Committer is gated (the chain adapts it with PipeWriter).
func gateWriter(f *stages.Filter, arrive func() error) stages.Filter {
	g := *f
	if f.Writer != nil {
		g.Reader = nil
		g.Writer = func(dst io.Writer) (io.WriteCloser, error) {
			w, err := f.Writer(dst)
			if err != nil {
				return nil, err
			}
			cm, ok := w.(stages.Committer)
			if !ok {
				return w, nil
			}
			gw := &gatedWriter{w, gatedCommitter{cm: cm, arrive: arrive}}
			if rf, ok := w.(io.ReaderFrom); ok { // keep the stage's fast path
				return &gatedWriterRF{gw, rf}, nil
			}
			return gw, nil
		}
		return g
	}
	if f.Reader != nil {
		g.Reader = func(src io.Reader) (io.ReadCloser, error) {
			r, err := f.Reader(src)
			if err != nil {
				return nil, err
			}
			if cm, ok := r.(stages.Committer); ok {
				return &gatedReader{r, gatedCommitter{cm: cm, arrive: arrive}}, nil
			}
			return r, nil
		}
	}
	return g
}

type gatedWriter struct {
	io.WriteCloser
	gatedCommitter
}

type gatedWriterRF struct {
	*gatedWriter
	rf io.ReaderFrom
}

func (g *gatedWriterRF) ReadFrom(r io.Reader) (int64, error) { return g.rf.ReadFrom(r) }

type gatedReader struct {
	io.ReadCloser
	gatedCommitter
}

// gatedCommitter is a Committer whose Commit waits for the gate. It keeps
// the Committer's TwoPhase (doing nothing where the Committer has none).
type gatedCommitter struct {
	cm     stages.Committer
	arrive func() error
}

var _ stages.TwoPhase = gatedCommitter{}

func (g gatedCommitter) Commit() error {
	if err := g.arrive(); err != nil {
		g.cm.Abort()
		return stages.ErrAborted
	}
	return g.cm.Commit()
}

func (g gatedCommitter) Abort() error { return g.cm.Abort() }

func (g gatedCommitter) Prepare() error {
	if tp, ok := g.cm.(stages.TwoPhase); ok {
		return tp.Prepare()
	}
	return nil
}

func (g gatedCommitter) Rollback() error {
	if tp, ok := g.cm.(stages.TwoPhase); ok {
		return tp.Rollback()
	}
	return nil
}

func (g gatedCommitter) Finish() error {
	if tp, ok := g.cm.(stages.TwoPhase); ok {
		return tp.Finish()
	}
	return nil
}
