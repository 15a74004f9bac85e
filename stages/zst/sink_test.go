package zst_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/fpipe/fpipe/internal/stagetest"
	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/sink"
	"github.com/fpipe/fpipe/stages/zst"
	"github.com/fpipe/fpipe/tests/gendump/dump"
)

// dumpBytes is the first n bytes of the project's synthetic database dump.
func dumpBytes(t testing.TB, n int64) []byte {
	t.Helper()
	b, err := io.ReadAll(dump.NewReader(1, n))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestCorruptIntoSink runs, in one process through stages.Run, a
// frame with a bad checksum (then a truncated one, then one with trailing
// garbage) through the zstd reader into the sink: the decoder hands over
// nearly all the data before it checks the checksum, yet the destination
// is left untouched.
func TestCorruptIntoSink(t *testing.T) {
	t.Parallel()
	data := dumpBytes(t, 3<<20)
	var z bytes.Buffer
	w, _ := zst.NewWriter(&z)
	w.Write(data)
	w.Close()
	good := z.Bytes()
	n := len(good)
	badSum := bytes.Clone(good)
	badSum[n-4] ^= 0x40
	for _, tc := range []struct {
		name string
		in   []byte
		kind error
		msg  string
	}{
		{"checksum", badSum, zst.ErrChecksum, fmt.Sprintf("fzst -d: content checksum mismatch at offset %d", n-4)},
		{"truncated", good[:n-5], zst.ErrTruncated, fmt.Sprintf("fzst -d: unexpected end of zstd data at offset %d", n-5)},
		{"trailing", append(bytes.Clone(good), "x"...), zst.ErrTrailing, fmt.Sprintf("fzst -d: trailing garbage after zstd data at offset %d", n)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			old, ino := stagetest.OldFile(t, dir, "restored.sql")
			src := filepath.Join(dir, "in.zst")
			if err := os.WriteFile(src, tc.in, 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(src)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sw, err := sink.Create(filepath.Join(dir, "restored.sql"))
			if err != nil {
				t.Fatal(err)
			}
			cs := &stagetest.CountingSink{Sink: sw}
			_, err = stages.Run(context.Background(), stages.Chain{
				Source: f, SourceName: "in.zst",
				Filters: []stages.Filter{{Name: "fzst -d", Reader: func(src io.Reader) (io.ReadCloser, error) {
					return zst.NewReader(src)
				}}},
				Sink: cs, SinkName: "restored.sql",
			})
			if !errors.Is(err, tc.kind) || err.Error() != tc.msg {
				t.Fatalf("Run: %v; want %q", err, tc.msg)
			}
			if tc.kind != zst.ErrTrailing && cs.N() < int64(len(data))*9/10 {
				t.Errorf("only %d of %d bytes reached the sink before the error; the test shows nothing", cs.N(), len(data))
			}
			t.Logf("%d of %d bytes had reached the sink when %v", cs.N(), len(data), err)
			stagetest.CheckIntact(t, dir, "restored.sql", old, ino)
		})
	}
}
