package runner

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"
	"syscall"

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

	// The one decision over the outputs of every chain (see voter).
	voters, votes int
	decided       chan struct{}
	commit        bool // the decision, once decided is closed
}

type cause struct {
	err         error
	consequence bool // a stage stopped because another failed
}

func newGate() *gate {
	return &gate{done_: map[int]bool{}, settled: make(chan struct{}), decided: make(chan struct{})}
}

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
	g.decide()
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

// gateSink makes a sink's Commit wait for the gate and, with other outputs
// in the pipeline, take part in their one decision (see voter); everything
// else of the sink (its ReadFrom, Err, Unwrap, TwoPhase) is kept.
func gateSink(s stages.Sink, g *gate, arrive func() error) stages.Sink {
	v := g.newVoter(s)
	return stages.WrapSink(s, stages.SinkHooks{
		Commit: func(s stages.Sink) error {
			if err := arrive(); err != nil {
				s.Abort()
				return stages.ErrAborted
			}
			if err := settle(g.err); err != nil {
				s.Abort()
				return err
			}
			return v.commit(s)
		},
		Finish: func(stages.Sink) error { return v.finish() },
	})
}

// settle waits stages.SettleTime for a signal sent with the end of input
// (Ctrl-C or a kill of the process group) to fail the gate.
func settle(gateErr func() error) error {
	if stages.Settle(func() bool { return gateErr() != nil }) {
		return stages.ErrAborted
	}
	return nil
}

// gateWriter wraps a filter so that, if it commits output of its own, that
// Commit waits for the gate and takes part in the one decision, whichever
// direction the filter has: a Writer form is returned as a Writer, and a
// Reader-only filter is returned as a Reader whose Committer is gated (the
// chain adapts it with PipeWriter).
func gateWriter(f *stages.Filter, g *gate, arrive func() error) stages.Filter {
	gf := *f
	if f.Writer != nil {
		gf.Reader = nil
		gf.Writer = func(dst io.Writer) (io.WriteCloser, error) {
			w, err := f.Writer(dst)
			if err != nil {
				return nil, err
			}
			cm, ok := w.(stages.Committer)
			if !ok {
				return w, nil
			}
			// Its ReadFrom is not kept: the source's WriteTo (or the
			// chain's copy buffer) feeds the stage faster than a pass-through
			// stage's own large buffer does (measured: fpipe 'fread |
			// fsum -o | fsink', 0.19 s system time per 256 MiB against 0.32 s).
			return &gatedWriter{w, gatedCommitter{cm, g.newVoter(cm), arrive}}, nil
		}
		return gf
	}
	if f.Reader != nil {
		gf.Reader = func(src io.Reader) (io.ReadCloser, error) {
			r, err := f.Reader(src)
			if err != nil {
				return nil, err
			}
			if cm, ok := r.(stages.Committer); ok {
				return &gatedReader{r, gatedCommitter{cm, g.newVoter(cm), arrive}}, nil
			}
			return r, nil
		}
	}
	return gf
}

type gatedWriter struct {
	io.WriteCloser
	gatedCommitter
}

type gatedReader struct {
	io.ReadCloser
	gatedCommitter
}

// gatedCommitter is a Committer whose Commit waits for the gate and takes
// part in the one decision. It keeps the Committer's TwoPhase (doing
// nothing where the Committer has none).
type gatedCommitter struct {
	cm     stages.Committer
	v      *voter
	arrive func() error
}

var _ stages.TwoPhase = gatedCommitter{}

func (g gatedCommitter) Commit() error {
	if err := g.arrive(); err != nil {
		g.cm.Abort()
		return stages.ErrAborted
	}
	return g.v.commit(g.cm)
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

func (g gatedCommitter) Finish() error { return g.v.finish() }

// voter makes one output (a sink or a Committer with stages.TwoPhase) part
// of the pipeline's one decision, across chains: when the pipeline has
// several such outputs, each is prepared and committed with its old version
// kept, and votes; its Finish then waits until every output voted (all
// committed: each is finished) or the gate failed (a commit or a signal:
// each is rolled back). The decision, once taken, stays. An output without
// TwoPhase commits on its own, as before.
type voter struct {
	g     *gate
	tp    stages.TwoPhase // nil: not a voter
	multi bool            // there are several voters: hold the decision
	voted bool
}

// newVoter registers cm as a voter when it has TwoPhase. Every voter is
// registered before the gate settles: chains build their stages before they
// arrive.
func (g *gate) newVoter(cm stages.Committer) *voter {
	v := &voter{g: g}
	if tp, ok := cm.(stages.TwoPhase); ok {
		v.tp = tp
		g.mu.Lock()
		g.voters++
		g.mu.Unlock()
	}
	return v
}

func (v *voter) commit(cm stages.Committer) error {
	if v.tp == nil {
		return cm.Commit()
	}
	v.g.mu.Lock()
	v.multi = v.g.voters > 1
	v.g.mu.Unlock()
	if v.multi {
		if err := v.tp.Prepare(); err != nil {
			return err
		}
	}
	if err := cm.Commit(); err != nil {
		return err
	}
	if v.multi {
		v.voted = true
		v.g.vote()
	}
	return nil
}

func (v *voter) finish() error {
	if v.tp == nil {
		return nil
	}
	if v.voted && !v.g.decision() {
		if err := v.tp.Rollback(); err != nil {
			return err
		}
		return stages.ErrAborted
	}
	return v.tp.Finish()
}

// vote records that one voter committed.
func (g *gate) vote() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.votes++
	g.decide()
}

// decide takes the decision once it is known: commit when every voter
// committed before any failure, roll back on a failure before that.
func (g *gate) decide() {
	select {
	case <-g.decided:
		return
	default:
	}
	switch {
	case g.failed:
		g.commit = false
	case g.votes >= g.voters:
		g.commit = true
	default:
		return
	}
	close(g.decided)
}

// decision waits for the decision: true to keep every commit.
func (g *gate) decision() bool {
	<-g.decided
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.commit
}
