package fgz

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/gz"
)

// build parses words as fgz's command line and builds the stage, as the
// binary and the in-process runner do.
func build(t *testing.T, words ...string) (*cli.Stage, error) {
	t.Helper()
	b, fs, _, _, err := Tool.Parse(words, io.Discard)
	if err != nil {
		return nil, err
	}
	return b(fs.Args(), &cli.Env{Ctx: context.Background(), Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Tool: "fgz"})
}

// memSink publishes on Commit only.
type memSink struct {
	buf       bytes.Buffer
	committed bool
	aborted   bool
}

func (s *memSink) Write(p []byte) (int, error) { return s.buf.Write(p) }
func (s *memSink) Commit() error               { s.committed = true; return nil }
func (s *memSink) Abort() error                { s.aborted = true; return nil }

func run(t *testing.T, st *cli.Stage, in []byte) (*memSink, error) {
	t.Helper()
	s := &memSink{}
	c := stages.Chain{Source: bytes.NewReader(in), Filters: []stages.Filter{*st.Filter}, Sink: s}
	if st.Sink != nil {
		c.Sink = st.Sink
	}
	_, err := stages.Run(context.Background(), c)
	return s, err
}

func TestDefinitionRoundTrip(t *testing.T) {
	data := bytes.Repeat([]byte("the same words, built once\n"), 50000)
	for _, words := range [][]string{nil, {"-1"}, {"-9", "-p", "1"}, {"--level", "0", "-b", "64K"}, {"-c", "--threads=3"}} {
		st, err := build(t, words...)
		if err != nil {
			t.Fatalf("%v: %v", words, err)
		}
		z, err := run(t, st, data)
		if err != nil || !z.committed {
			t.Fatalf("%v: %v", words, err)
		}
		dst, _ := build(t, "-d")
		out, err := run(t, dst, z.buf.Bytes())
		if err != nil || !bytes.Equal(out.buf.Bytes(), data) {
			t.Fatalf("%v then -d: %v, %d bytes", words, err, out.buf.Len())
		}
	}
}

// TestDefinitionTest: -t brings its own sink, which discards; a bad CRC
// fails the chain.
func TestDefinitionTest(t *testing.T) {
	st, _ := build(t)
	z, _ := run(t, st, []byte("hello\n"))
	tst, err := build(t, "-t")
	if err != nil || tst.Sink == nil {
		t.Fatalf("-t: %v, sink %v", err, tst.Sink)
	}
	if _, err := run(t, tst, z.buf.Bytes()); err != nil {
		t.Fatalf("-t on good data: %v", err)
	}
	bad := bytes.Clone(z.buf.Bytes())
	bad[len(bad)-8] ^= 1
	tst, _ = build(t, "--test")
	if _, err := run(t, tst, bad); !errors.Is(err, gz.ErrChecksum) {
		t.Fatalf("-t on a bad CRC: %v", err)
	}
}

func TestDefinitionErrors(t *testing.T) {
	st, _ := build(t, "-d")
	s, err := run(t, st, nil)
	if err == nil || cli.Message(err) != "stdin: empty input, not gzip data" || !s.aborted || s.committed {
		t.Errorf("empty input: %v (message %q), sink aborted %v", err, cli.Message(err), s.aborted)
	}
	st, _ = build(t, "-d", "--max-output", "10")
	z, _ := build(t)
	zs, _ := run(t, z, []byte("0123456789abc"))
	s, err = run(t, st, zs.buf.Bytes())
	if !errors.Is(err, gz.ErrTooLarge) || s.buf.Len() != 10 || !s.aborted {
		t.Errorf("--max-output 10: %v, %d bytes out", err, s.buf.Len())
	}
	for _, words := range [][]string{{"x"}, {"--level", "12"}, {"-p", "0"}, {"-b", "1"}, {"-b", "2G"}, {"--max-output", "1"}, {"-d", "--max-output", "-1"}, {"-1=false"}} {
		_, err := build(t, words...)
		var ue *cli.UsageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: %v, want a usage error", words, err)
		}
	}
}
