package stages_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fpipe/fpipe/internal/stagetest"
	"github.com/fpipe/fpipe/stages"
)

// outcomeLog records, in order, what the watching stages of a chain and
// its sink were told.
type outcomeLog struct {
	mu     sync.Mutex
	events []string
	got    map[string][]stages.Outcome
}

func (l *outcomeLog) add(ev string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, ev)
}

func (l *outcomeLog) outcome(name string, o stages.Outcome) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events = append(l.events, name+".outcome")
	if l.got == nil {
		l.got = map[string][]stages.Outcome{}
	}
	l.got[name] = append(l.got[name], o)
}

func (l *outcomeLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.events, " ")
}

func (l *outcomeLog) of(name string) []stages.Outcome {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.got[name]
}

// watchW is a pass-through writer stage that watches the outcome.
type watchW struct {
	name string
	log  *outcomeLog
	dst  io.Writer
}

func (w *watchW) Write(p []byte) (int, error) { return w.dst.Write(p) }
func (w *watchW) Close() error                { w.log.add(w.name + ".close"); return nil }
func (w *watchW) WatchOutcome()               { w.log.add(w.name + ".watch") }
func (w *watchW) Outcome(o stages.Outcome)    { w.log.outcome(w.name, o) }

// watchR is the same as a reader stage.
type watchR struct {
	name string
	log  *outcomeLog
	src  io.Reader
}

func (r *watchR) Read(p []byte) (int, error) { return r.src.Read(p) }
func (r *watchR) Close() error               { r.log.add(r.name + ".close"); return nil }
func (r *watchR) WatchOutcome()              { r.log.add(r.name + ".watch") }
func (r *watchR) Outcome(o stages.Outcome)   { r.log.outcome(r.name, o) }

func watchWriter(name string, log *outcomeLog) stages.Filter {
	return stages.Filter{Name: name, Writer: func(dst io.Writer) (io.WriteCloser, error) {
		return &watchW{name, log, dst}, nil
	}}
}

func watchReader(name string, log *outcomeLog) stages.Filter {
	return stages.Filter{Name: name, Reader: func(src io.Reader) (io.ReadCloser, error) {
		return &watchR{name, log, src}, nil
	}}
}

// closeFails is a writer filter whose Close fails: a check at the end of
// the stream (fsum --verify), after the stages before it closed.
func closeFails(err error) stages.Filter {
	return stages.Filter{Name: "verify", Writer: func(dst io.Writer) (io.WriteCloser, error) {
		return stagetest.CloseErr{Writer: dst, Err: err}, nil
	}}
}

// sumOut is a writer filter with an output of its own (a sum file).
type sumOut struct{ io.Writer }

func (sumOut) Close() error  { return nil }
func (sumOut) Commit() error { return nil }
func (sumOut) Abort() error  { return nil }

// TestOutcome: Run tells every watching stage, once, in chain order and
// after the commit or the abort, what it returns, and whether something
// that publishes was committed.
func TestOutcome(t *testing.T) {
	mismatch := errors.New("sha256 mismatch")
	full := errors.New("no space left on device")
	refused := errors.New("empty input would replace a non-empty file")
	for _, c := range []struct {
		name      string
		src       io.Reader
		last      []stages.Filter // after the two watchers
		sink      func(log *outcomeLog) stages.Sink
		wantErr   error
		committed bool
		order     string // the events, without the watches
	}{
		{name: "committed", sink: memSink(nil, nil), committed: true,
			order: "a.close b.close sink.commit a.outcome b.outcome"},
		{name: "stdout: nothing published", sink: func(*outcomeLog) stages.Sink { return stages.StdoutSink(io.Discard) },
			order: "a.close b.close a.outcome b.outcome"},
		{name: "stdout wrapped", sink: func(*outcomeLog) stages.Sink {
			return stages.WrapSink(stages.WrapSink(stages.StdoutSink(io.Discard), stages.SinkHooks{}), stages.SinkHooks{})
		}, order: "a.close b.close a.outcome b.outcome"},
		{name: "stdout with a sum file", last: []stages.Filter{{Name: "sum", Writer: func(dst io.Writer) (io.WriteCloser, error) {
			return sumOut{dst}, nil
		}}}, sink: func(*outcomeLog) stages.Sink { return stages.StdoutSink(io.Discard) }, committed: true,
			order: "a.close b.close a.outcome b.outcome"},
		{name: "a later stage fails at its end", last: []stages.Filter{closeFails(mismatch)}, sink: memSink(nil, nil),
			wantErr: mismatch, order: "a.close b.close sink.abort a.outcome b.outcome"},
		{name: "the sink fails to write", sink: memSink(full, nil), wantErr: full,
			order: "a.close b.close sink.abort a.outcome b.outcome"},
		{name: "the sink refuses to commit", sink: memSink(nil, refused), wantErr: refused,
			order: "a.close b.close sink.commit sink.abort a.outcome b.outcome"},
		{name: "the source fails", src: stagetest.ErrAfter([]byte("abc"), 3, io.ErrUnexpectedEOF), sink: memSink(nil, nil),
			wantErr: io.ErrUnexpectedEOF, order: "a.close b.close sink.abort a.outcome b.outcome"},
		{name: "a stage fails to build", last: []stages.Filter{{Name: "bad", Writer: func(io.Writer) (io.WriteCloser, error) {
			return nil, errors.New("bad option")
		}}}, sink: memSink(nil, nil), wantErr: errors.New("bad: bad option"), order: "sink.abort"},
	} {
		t.Run(c.name, func(t *testing.T) {
			log := &outcomeLog{}
			src := c.src
			if src == nil {
				src = strings.NewReader(strings.Repeat("x", 10000))
			}
			filters := append([]stages.Filter{watchWriter("a", log), watchReader("b", log)}, c.last...)
			_, err := stages.Run(context.Background(), stages.Chain{Source: src, Filters: filters, Sink: c.sink(log)})
			switch {
			case c.wantErr == nil && err != nil:
				t.Fatalf("Run = %v, want nil", err)
			case c.wantErr != nil && !errors.Is(err, c.wantErr) && (err == nil || err.Error() != c.wantErr.Error()):
				t.Fatalf("Run = %v, want %v", err, c.wantErr)
			}
			if got := strings.Join(strings.Fields(strings.NewReplacer("a.watch", "", "b.watch", "").Replace(log.String())), " "); got != c.order {
				t.Errorf("events %q, want %q", got, c.order)
			}
			built := 2
			if c.order == "sink.abort" { // the chain failed to build: the watchers after the bad stage were never built
				built = 0
			}
			for _, name := range []string{"a", "b"}[:built] {
				got := log.of(name)
				if len(got) != 1 {
					t.Fatalf("%s: told %d outcomes, want 1", name, len(got))
				}
				if got[0].Err != err || got[0].Committed != c.committed {
					t.Errorf("%s: Outcome(%v, committed %v), want (%v, committed %v)", name, got[0].Err, got[0].Committed, err, c.committed)
				}
			}
		})
	}
}

// memSink returns a MemSink that fails to write with writeErr, or to
// commit with commitErr, and records its commit and abort.
func memSink(writeErr, commitErr error) func(log *outcomeLog) stages.Sink {
	return func(log *outcomeLog) stages.Sink {
		return &stagetest.MemSink{WriteErr: writeErr, Limit: 100, CommitErr: commitErr,
			OnEvent: func(ev string) { log.add("sink." + ev) }}
	}
}

// TestOutcomeBuildFailure: a watching stage built before a stage that
// fails to build (the stack is built from the sink up) is told the error.
func TestOutcomeBuildFailure(t *testing.T) {
	log := &outcomeLog{}
	bad := stages.Filter{Name: "bad", Writer: func(io.Writer) (io.WriteCloser, error) { return nil, errors.New("bad option") }}
	_, err := stages.Run(context.Background(), stages.Chain{Source: strings.NewReader("x"),
		Filters: []stages.Filter{bad, watchWriter("a", log)}, Sink: stages.StdoutSink(io.Discard)})
	if err == nil || err.Error() != "bad: bad option" {
		t.Fatalf("Run = %v, want bad: bad option", err)
	}
	if got := log.of("a"); len(got) != 1 || got[0].Err != err || got[0].Committed {
		t.Errorf("a: outcomes %v, want one with %v", got, err)
	}
	if got := log.String(); got != "a.watch a.close a.outcome" {
		t.Errorf("events %q", got)
	}
}

// TestOutcomeWatchFirst: a stage is told to watch before any byte reaches
// it, so that its Close knows to wait.
func TestOutcomeWatchFirst(t *testing.T) {
	log := &outcomeLog{}
	f := stages.Filter{Writer: func(dst io.Writer) (io.WriteCloser, error) {
		return &watchW{"a", log, writeLogger{dst, log}}, nil
	}}
	if _, err := stages.Run(context.Background(), stages.Chain{Source: strings.NewReader("x"), Filters: []stages.Filter{f},
		Sink: stages.StdoutSink(io.Discard)}); err != nil {
		t.Fatal(err)
	}
	if got, want := log.String(), "a.watch write a.close a.outcome"; got != want {
		t.Errorf("events %q, want %q", got, want)
	}
}

type writeLogger struct {
	w   io.Writer
	log *outcomeLog
}

func (w writeLogger) Write(p []byte) (int, error) { w.log.add("write"); return w.w.Write(p) }

// TestOutcomeCancel: when the context ends, the watching stages are told
// ctx's error before Run returns, promptly, while the copy is still stuck
// in a source that nothing can end; a Close that comes later changes
// nothing.
func TestOutcomeCancel(t *testing.T) {
	for _, blockSink := range []bool{false, true} {
		t.Run(fmt.Sprintf("blocked sink %v", blockSink), func(t *testing.T) {
			log := &outcomeLog{}
			src := newBlockedReader([]byte("some data"))
			sink := newRecSink()
			var source io.Reader = unclosable{src}
			if blockSink {
				sink.block = true
				source = src
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := stages.Run(ctx, stages.Chain{Source: source,
					Filters: []stages.Filter{watchWriter("a", log), watchReader("b", log)}, Sink: sink})
				done <- err
			}()
			if blockSink {
				<-sink.writing
			} else {
				<-src.blocked
			}
			start := time.Now()
			cancel()
			var err error
			select {
			case err = <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("Run did not return")
			}
			if d := time.Since(start); d > prompt {
				t.Errorf("Run returned %v after the cancel, want within %v", d, prompt)
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Run = %v, want context.Canceled", err)
			}
			for _, name := range []string{"a", "b"} {
				if got := log.of(name); len(got) != 1 || got[0].Err != err || got[0].Committed {
					t.Errorf("%s: outcomes %v, want one with %v", name, got, err)
				}
			}
			if ev := log.String(); !strings.Contains(ev, "a.outcome b.outcome") {
				t.Errorf("events %q: not a then b", ev)
			}
			close(sink.release)
			src.Close()
			time.Sleep(20 * time.Millisecond)
			for _, name := range []string{"a", "b"} {
				if got := log.of(name); len(got) != 1 {
					t.Errorf("%s: %d outcomes after the copy ended, want 1", name, len(got))
				}
			}
		})
	}
}

// TestHoldOutcome: Run tells a held stage to watch, but never the
// outcome; deliver does, once, to every stage built before it.
func TestHoldOutcome(t *testing.T) {
	log := &outcomeLog{}
	held, deliver := stages.HoldOutcome(watchWriter("a", log))
	heldR, deliverR := stages.HoldOutcome(watchReader("b", log))
	if held.Name != "a" || held.Reader != nil || heldR.Writer != nil {
		t.Errorf("HoldOutcome changed the filter: %+v, %+v", held, heldR)
	}
	sink := &stagetest.MemSink{}
	_, err := stages.Run(context.Background(), stages.Chain{Source: strings.NewReader("x"),
		Filters: []stages.Filter{held, heldR, watchWriter("c", log)}, Sink: sink})
	if err != nil {
		t.Fatal(err)
	}
	if got := log.String(); got != "c.watch b.watch a.watch a.close b.close c.close c.outcome" {
		t.Errorf("events after Run %q", got)
	}
	later := errors.New("a later stage failed")
	deliver(stages.Outcome{Err: later})
	deliver(stages.Outcome{}) // once only
	deliverR(stages.Outcome{Err: later})
	if got := log.of("a"); len(got) != 1 || got[0].Err != later {
		t.Errorf("a: outcomes %v, want one with %v", got, later)
	}
	if got := log.of("b"); len(got) != 1 || got[0].Err != later {
		t.Errorf("b: outcomes %v, want one with %v", got, later)
	}
	if got := log.of("c"); len(got) != 1 || got[0].Err != nil || !got[0].Committed {
		t.Errorf("c: outcomes %v, want one committed", got)
	}
	// A stage built after deliver is not told by Run either: one Run.
	_, err = stages.Run(context.Background(), stages.Chain{Source: strings.NewReader("x"),
		Filters: []stages.Filter{held}, Sink: stages.StdoutSink(io.Discard)})
	if got := log.of("a"); err != nil || len(got) != 1 {
		t.Errorf("a built after deliver: Run = %v, outcomes %v", err, got)
	}
}
