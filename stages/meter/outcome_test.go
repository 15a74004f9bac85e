package meter

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/fpipe/fpipe/internal/stagetest"
	"github.com/fpipe/fpipe/stages"
)

// slowCommit is a sink whose Commit takes a while (an fsync), then
// succeeds or fails.
type slowCommit struct {
	stagetest.MemSink
	wait time.Duration
}

func (s *slowCommit) Commit() error {
	time.Sleep(s.wait)
	return s.MemSink.Commit()
}

// verifyAtEnd is a filter after the meter that fails at the end of the
// stream (fsum --verify), once the meter has closed.
func verifyAtEnd(err error) stages.Filter {
	return stages.Filter{Name: "fsum", Writer: func(dst io.Writer) (io.WriteCloser, error) {
		return stagetest.CloseErr{Writer: dst, Err: err}, nil
	}}
}

// TestOutcomeLastLine: in a stages.Run, the last line waits for the run's
// outcome and says it, with the figures of the stream's end (not counting
// the time the commit took).
func TestOutcomeLastLine(t *testing.T) {
	refused := errors.New("empty input would replace a non-empty file")
	for _, c := range []struct {
		name  string
		after []stages.Filter
		sink  stages.Sink
		show  Display
		want  string
	}{
		{"committed", nil, &slowCommit{wait: 5 * time.Second}, Lines,
			"1.00 MiB in 0:00:01.00, 1.00 MiB/s average: committed\n"},
		{"nothing to commit", nil, stages.StdoutSink(io.Discard), Lines,
			"1.00 MiB in 0:00:01.00, 1.00 MiB/s average: done\n"},
		{"a later stage fails", []stages.Filter{verifyAtEnd(errors.New("sha256 mismatch"))}, &slowCommit{}, Lines,
			"1.00 MiB in 0:00:01.00, 1.00 MiB/s average: failed: fsum: sha256 mismatch\n"},
		{"the commit is refused", nil, &slowCommit{MemSink: stagetest.MemSink{CommitErr: refused}, wait: time.Second}, Lines,
			"1.00 MiB in 0:00:01.00, 1.00 MiB/s average: failed: " + refused.Error() + "\n"},
		{"terminal", nil, &slowCommit{wait: 5 * time.Second}, Terminal,
			"1.00 MiB in 0:00:01.00, 1.00 MiB/s average: committed"},
		{"numeric", []stages.Filter{verifyAtEnd(errors.New("sha256 mismatch"))}, &slowCommit{}, Numeric, "0\n"},
		{"numeric committed", nil, &slowCommit{}, Numeric, "100\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var out screen
				src := &slowSource{n: mib, after: time.Second}
				filters := append([]stages.Filter{Filter(Output(&out), Show(c.show), TimeFormat(""), Interval(time.Hour))}, c.after...)
				_, err := stages.Run(context.Background(), stages.Chain{Source: src, Filters: filters, Sink: c.sink})
				if failed := strings.Contains(c.want, "failed") || c.want == "0\n"; (err != nil) != failed {
					t.Errorf("Run = %v", err)
				}
				got := out.String()
				if c.show == Terminal {
					got = got[strings.LastIndex(got, "\r")+1:]
					got = strings.TrimRight(got, " \n")
				}
				if got != c.want {
					t.Errorf("output %q, want %q", got, c.want)
				}
			})
		})
	}
}

// slowSource gives n zero bytes after a while, then ends.
type slowSource struct {
	n     int
	after time.Duration
	slept bool
}

func (s *slowSource) Read(p []byte) (int, error) {
	if !s.slept {
		time.Sleep(s.after)
		s.slept = true
	}
	if s.n == 0 {
		return 0, io.EOF
	}
	n := min(len(p), s.n)
	clear(p[:n])
	s.n -= n
	return n, nil
}

// TestOutcomeCancel: a cancelled run still ends with a last line, at once,
// though a Write of the meter is stuck in the stage after it.
func TestOutcomeCancel(t *testing.T) {
	var out stagetest.SyncBuffer
	pr, pw := io.Pipe() // nobody reads: the meter's Write blocks
	defer pr.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := stages.Run(ctx, stages.Chain{Source: strings.NewReader("some data"),
			Filters: []stages.Filter{Filter(Output(&out), TimeFormat(""), Describe(func(err error) string {
				if errors.Is(err, context.Canceled) {
					return "interrupted"
				}
				return err.Error()
			}))},
			Sink: stages.StdoutSink(struct{ io.Writer }{pw})})
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(time.Second):
		t.Fatal("Run did not return")
	}
	if got := out.String(); !strings.HasPrefix(got, "0 B in 0:00:00.") || !strings.HasSuffix(got, " average: failed: interrupted\n") || strings.Count(got, "\n") != 1 {
		t.Errorf("output %q, want one last line that says interrupted", got)
	}
	pr.Close() // the stuck Write ends; the stream's Close comes late
	time.Sleep(20 * time.Millisecond)
	if got := out.String(); strings.Count(got, "\n") != 1 {
		t.Errorf("output %q after the late Close, want the one line", got)
	}
}

// TestOutcomeOutsideRun: a meter that nobody told to watch writes its last
// line at Close, and a later Outcome changes nothing; one told to watch
// writes nothing at Close and its last line at Outcome, once.
func TestOutcomeOutsideRun(t *testing.T) {
	var out screen
	w, _ := NewWriter(io.Discard, Output(&out), TimeFormat(""))
	w.Write([]byte("abc"))
	w.Close()
	w.Outcome(stages.Outcome{Err: errors.New("late")})
	if got := out.String(); !strings.HasSuffix(got, ": done\n") || strings.Count(got, "\n") != 1 {
		t.Errorf("output %q", got)
	}

	out = screen{}
	r, _ := NewReader(strings.NewReader("abc"), Output(&out), TimeFormat(""))
	r.WatchOutcome()
	io.ReadAll(r)
	r.Close()
	if got := out.String(); got != "" {
		t.Errorf("output %q at Close, want nothing yet", got)
	}
	r.Outcome(stages.Outcome{Committed: true})
	r.Outcome(stages.Outcome{Err: errors.New("twice")})
	if got := out.String(); !strings.HasPrefix(got, "3 B in ") || !strings.HasSuffix(got, ": committed\n") || strings.Count(got, "\n") != 1 {
		t.Errorf("output %q", got)
	}
}

// TestOutcomeShort: short of the expected size, the last line says so
// after its verdict.
func TestOutcomeShort(t *testing.T) {
	var out screen
	_, err := stages.Run(context.Background(), stages.Chain{Source: strings.NewReader("abc"),
		Filters: []stages.Filter{Filter(Output(&out), TimeFormat(""), Size(6))}, Sink: &stagetest.MemSink{}})
	if got := out.String(); err != nil || !strings.HasSuffix(got, ": committed, short of the expected 6 B (50%)\n") {
		t.Errorf("Run = %v, output %q", err, got)
	}
}
