package stages

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// tpOutput is an output with TwoPhase that logs what is done to it; its
// visible content is what the last successful Commit published, until a
// Rollback puts back the one before.
type tpOutput struct {
	name                  string
	log                   *eventLog
	prepareErr, commitErr error
	buf                   bytes.Buffer
	visible, kept         string
	committed             bool
}

func (o *tpOutput) Write(p []byte) (int, error) { return o.buf.Write(p) }
func (o *tpOutput) Prepare() error {
	o.log.add(o.name + ".prepare")
	return o.prepareErr
}
func (o *tpOutput) Commit() error {
	o.log.add(o.name + ".commit")
	if o.commitErr != nil {
		return o.commitErr
	}
	o.kept, o.visible, o.committed = o.visible, o.buf.String(), true
	return nil
}
func (o *tpOutput) Rollback() error {
	o.log.add(o.name + ".rollback")
	if o.committed {
		o.visible, o.committed = o.kept, false
	}
	return nil
}
func (o *tpOutput) Finish() error { o.log.add(o.name + ".finish"); return nil }
func (o *tpOutput) Abort() error  { o.log.add(o.name + ".abort"); return nil }

// tpFilter passes bytes through and publishes an output of its own.
type tpFilter struct {
	io.Writer
	*tpOutput
}

func (f tpFilter) Write(p []byte) (int, error) { f.tpOutput.Write(p); return f.Writer.Write(p) }
func (tpFilter) Close() error                  { return nil }

func TestRunOneDecision(t *testing.T) {
	t.Parallel()
	fail := errors.New("read-only file system")
	tests := []struct {
		name          string
		sumPrepareErr error
		sumCommitErr  error
		wantEvents    string
		wantErr       string
		wantSink      string // visible after Run
	}{
		{name: "all commit", wantSink: "data",
			wantEvents: "sink.prepare sum.prepare sink.commit sum.commit sink.finish sum.finish"},
		{name: "the later commit fails", sumCommitErr: fail, wantSink: "old", wantErr: "sum: read-only file system",
			wantEvents: "sink.prepare sum.prepare sink.commit sum.commit sum.rollback sink.rollback sum.abort sink.abort"},
		{name: "a prepare fails", sumPrepareErr: fail, wantSink: "old", wantErr: "sum: read-only file system",
			wantEvents: "sink.prepare sum.prepare sum.abort sink.abort"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			log := &eventLog{}
			s := &tpOutput{name: "sink", log: log, visible: "old"}
			sum := &tpOutput{name: "sum", log: log, prepareErr: tt.sumPrepareErr, commitErr: tt.sumCommitErr}
			c := Chain{
				Source: strings.NewReader("data"),
				Sink:   s,
				Filters: []Filter{{Name: "sum", Writer: func(dst io.Writer) (io.WriteCloser, error) {
					return tpFilter{dst, sum}, nil
				}}},
			}
			_, err := Run(context.Background(), c)
			if got := strings.Join(log.events, " "); got != tt.wantEvents {
				t.Errorf("events %q, want %q", got, tt.wantEvents)
			}
			if (err == nil) != (tt.wantErr == "") || (err != nil && err.Error() != tt.wantErr) {
				t.Errorf("Run() = %v, want %q", err, tt.wantErr)
			}
			if s.visible != tt.wantSink {
				t.Errorf("sink shows %q, want %q", s.visible, tt.wantSink)
			}
		})
	}
	t.Run("one output that can be taken back is not prepared", func(t *testing.T) {
		t.Parallel()
		log := &eventLog{}
		s := &tpOutput{name: "sink", log: log}
		other := plainCommitter{log}
		c := Chain{Source: strings.NewReader("x"), Sink: s, Filters: []Filter{{Name: "sum", Writer: func(dst io.Writer) (io.WriteCloser, error) {
			return struct {
				io.Writer
				plainCommitter
			}{dst, other}, nil
		}}}}
		if _, err := Run(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(log.events, " "); got != "sink.commit other.commit sink.finish" {
			t.Errorf("events %q, want sink.commit other.commit sink.finish", got)
		}
	})
	t.Run("one output commits alone", func(t *testing.T) {
		t.Parallel()
		log := &eventLog{}
		s := &tpOutput{name: "sink", log: log}
		if _, err := Run(context.Background(), Chain{Source: strings.NewReader("x"), Sink: s}); err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(log.events, " "); got != "sink.commit sink.finish" {
			t.Errorf("events %q, want sink.commit sink.finish (no Prepare: the Commit is final)", got)
		}
	})
}

// plainCommitter is a Committer without TwoPhase, with a Close.
type plainCommitter struct{ log *eventLog }

func (c plainCommitter) Commit() error { c.log.add("other.commit"); return nil }
func (c plainCommitter) Abort() error  { c.log.add("other.abort"); return nil }
func (plainCommitter) Close() error    { return nil }

// plainOutput is a Sink with none of the optional interfaces.
type plainOutput struct{ io.Writer }

func (plainOutput) Commit() error { return nil }
func (plainOutput) Abort() error  { return nil }

type rfOutput struct{ plainOutput }

func (rfOutput) ReadFrom(io.Reader) (int64, error) { return 0, nil }
func (rfOutput) Err() error                        { return io.ErrShortWrite }
func (rfOutput) Unwrap() io.Writer                 { return io.Discard }

type rfTPOutput struct{ *tpOutput }

func (rfTPOutput) ReadFrom(io.Reader) (int64, error) { return 0, nil }

func TestWrapSinkKeepsInterfaces(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		s            Sink
		h            SinkHooks
		rf, tp       bool
		err          error
		unwrapsToArg bool // Unwrap returns the sink itself
	}{
		{name: "plain", s: plainOutput{io.Discard}, unwrapsToArg: true},
		{name: "ReaderFrom, Err, Unwrap", s: rfOutput{}, rf: true, err: io.ErrShortWrite},
		{name: "ReaderFrom hidden", s: rfOutput{}, h: SinkHooks{NoReadFrom: true}, err: io.ErrShortWrite},
		{name: "TwoPhase", s: &tpOutput{}, tp: true, unwrapsToArg: true},
		{name: "ReaderFrom and TwoPhase", s: rfTPOutput{&tpOutput{}}, rf: true, tp: true, unwrapsToArg: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := WrapSink(tt.s, tt.h)
			if _, ok := w.(io.ReaderFrom); ok != tt.rf {
				t.Errorf("io.ReaderFrom: %v, want %v", ok, tt.rf)
			}
			if _, ok := w.(TwoPhase); ok != tt.tp {
				t.Errorf("TwoPhase: %v, want %v", ok, tt.tp)
			}
			if got := w.(ErrReporter).Err(); got != tt.err {
				t.Errorf("Err() = %v, want %v", got, tt.err)
			}
			u := w.(Unwrapper).Unwrap()
			if tt.unwrapsToArg && u != io.Writer(tt.s) {
				t.Errorf("Unwrap() = %v, want the sink", u)
			}
			if !tt.unwrapsToArg && u != io.Discard {
				t.Errorf("Unwrap() = %v, want the sink's own Unwrap", u)
			}
		})
	}
	t.Run("hooks", func(t *testing.T) {
		t.Parallel()
		log := &eventLog{}
		inner := &tpOutput{name: "inner", log: log, commitErr: errors.New("full")}
		w := WrapSink(inner, SinkHooks{
			Commit: func(s Sink) error { log.add("hook"); return s.Commit() },
			Errors: func(err error) error { return Named("fsink", err) },
		})
		err := w.Commit()
		if got := strings.Join(log.events, " "); got != "hook inner.commit" {
			t.Errorf("events %q", got)
		}
		if err == nil || err.Error() != "fsink: full" {
			t.Errorf("Commit() = %v, want fsink: full", err)
		}
	})
}
