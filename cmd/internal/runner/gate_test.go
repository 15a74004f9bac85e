package runner

import (
	"errors"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/fpipe/fpipe/stages"
)

// committingReader is a Reader-only filter stage with output of its own.
type committingReader struct {
	io.Reader
	events *[]string
}

func (r committingReader) Close() error  { return nil }
func (r committingReader) Commit() error { *r.events = append(*r.events, "commit"); return nil }
func (r committingReader) Abort() error  { *r.events = append(*r.events, "abort"); return nil }

// TestGateHoldsEveryCommitter: a Committer waits for the gate whichever
// direction its filter has, and is aborted when the gate fails.
func TestGateHoldsEveryCommitter(t *testing.T) {
	t.Parallel()
	for _, gateFails := range []bool{false, true} {
		var events []string
		arrive := func() error {
			events = append(events, "arrive")
			if gateFails {
				return errors.New("stage 1 failed")
			}
			return nil
		}
		f := &stages.Filter{Reader: func(src io.Reader) (io.ReadCloser, error) {
			return committingReader{src, &events}, nil
		}}
		g := gateWriter(f, newGate(), arrive)
		if g.Writer != nil || g.Reader == nil {
			t.Fatalf("gateWriter changed the filter's direction")
		}
		r, err := g.Reader(strings.NewReader("x"))
		if err != nil {
			t.Fatal(err)
		}
		cm, ok := r.(stages.Committer)
		if !ok {
			t.Fatalf("the gated reader is no Committer")
		}
		err = cm.Commit()
		want, wantErr := "arrive commit", error(nil)
		if gateFails {
			want, wantErr = "arrive abort", stages.ErrAborted
		}
		if got := strings.Join(events, " "); got != want || !errors.Is(err, wantErr) && err != wantErr {
			t.Errorf("gate fails %v: events %q, Commit() = %v, want %q, %v", gateFails, got, err, want, wantErr)
		}
	}
}

// tpCommitter is a Committer with TwoPhase that logs what is done to it.
type tpCommitter struct {
	name   string
	events *[]string
	err    error // Commit fails with it
}

var eventsMu sync.Mutex

func (c tpCommitter) log(e string) {
	eventsMu.Lock()
	defer eventsMu.Unlock()
	*c.events = append(*c.events, c.name+"."+e)
}
func (c tpCommitter) Prepare() error            { c.log("prepare"); return nil }
func (c tpCommitter) Commit() error             { c.log("commit"); return c.err }
func (c tpCommitter) Rollback() error           { c.log("rollback"); return nil }
func (c tpCommitter) Finish() error             { c.log("finish"); return nil }
func (c tpCommitter) Abort() error              { c.log("abort"); return nil }
func (c tpCommitter) Write([]byte) (int, error) { return 0, nil }

// TestGateOneDecision: outputs of two chains are one decision: each is
// prepared and committed, and finished only when all committed; when one
// fails, the other is rolled back.
func TestGateOneDecision(t *testing.T) {
	t.Parallel()
	for _, fails := range []bool{false, true} {
		var events []string
		g := newGate()
		part := g.add()
		g.seal()
		arrive := func() error { g.done(part); return g.wait() }
		s := gateSink(tpCommitter{"sink", &events, nil}, g, arrive)
		var sumErr error
		if fails {
			sumErr = errors.New("read-only file system")
		}
		sum := gatedCommitter{tpCommitter{"sum", &events, sumErr}, g.newVoter(tpCommitter{"sum", &events, sumErr}), arrive}
		if err := s.Commit(); err != nil {
			t.Fatalf("sink Commit() = %v", err)
		}
		finished := make(chan error)
		go func() { finished <- s.(stages.TwoPhase).Finish() }()
		if err := sum.Commit(); (err != nil) != fails {
			t.Fatalf("sum Commit() = %v", err)
		}
		if fails { // the chain of the sum file fails: the gate learns it
			g.fail(part, sumErr)
		}
		err := <-finished
		if !fails {
			sum.Finish()
		}
		want := "sink.prepare sink.commit sum.prepare sum.commit sink.finish sum.finish"
		if fails {
			want = "sink.prepare sink.commit sum.prepare sum.commit sink.rollback"
			if !errors.Is(err, stages.ErrAborted) {
				t.Errorf("sink Finish() = %v, want ErrAborted", err)
			}
		}
		eventsMu.Lock()
		got := strings.Join(events, " ")
		eventsMu.Unlock()
		if got != want {
			t.Errorf("sum fails %v: events %q, want %q", fails, got, want)
		}
	}
}
