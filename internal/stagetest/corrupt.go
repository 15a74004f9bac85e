package stagetest

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Corrupt is a damaged stream that a decoder must refuse.
type Corrupt struct {
	Name string
	In   []byte // the damaged stream
	Kind error  // what the run must fail with (errors.Is)
	// Msg is the run's error message; one that ends in ": " is its start.
	Msg string
	// Late says the damage is found only at the end (a checksum in a
	// trailer), so that nearly all the data reaches the sink first.
	Late bool
}

// IntoSink shows that a decoder's late refusal never reaches a committed
// file. For each case, in parallel, it writes c.In to a file, makes a sink
// with create on a destination that holds yesterday's backup (OldFile), and
// calls run, which must copy the file through the decoder into the sink and
// fail as c says. For a Late case, at least latePercent percent of total
// bytes must have reached the sink before the failure (else the test would
// show nothing).
// The destination must be left intact (CheckIntact).
func IntoSink(t *testing.T, total int64, latePercent int64, cases []Corrupt, create func(path string) (Sink, error), run func(src *os.File, dst *CountingSink) error) {
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			old, ino := OldFile(t, dir, "restored")
			src := filepath.Join(dir, "in")
			if err := os.WriteFile(src, c.In, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(src)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			s, err := create(filepath.Join(dir, "restored"))
			if err != nil {
				t.Fatal(err)
			}
			cs := &CountingSink{Sink: s}
			err = run(f, cs)
			if !errors.Is(err, c.Kind) || !matches(err.Error(), c.Msg) {
				t.Fatalf("run: %v; want %q", err, c.Msg)
			}
			if c.Late && cs.N() < total*latePercent/100 {
				t.Errorf("only %d of %d bytes reached the sink before the error; the test shows nothing", cs.N(), total)
			}
			t.Logf("%d of %d bytes had reached the sink when %v", cs.N(), total, err)
			CheckIntact(t, dir, "restored", old, ino)
		})
	}
}

func matches(msg, want string) bool {
	if strings.HasSuffix(want, ": ") {
		return strings.HasPrefix(msg, want)
	}
	return msg == want
}
