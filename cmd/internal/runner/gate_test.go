package runner

import (
	"errors"
	"io"
	"strings"
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
		g := gateWriter(f, arrive)
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
