package fgz

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/fpipe/fpipe/cmd/internal/cli"
	"github.com/fpipe/fpipe/internal/stagetest"
	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/gz"
	"github.com/fpipe/fpipe/stages/sink"
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

func run(t *testing.T, st *cli.Stage, in []byte) (*stagetest.MemSink, error) {
	t.Helper()
	s := &stagetest.MemSink{}
	c := stages.Chain{Source: bytes.NewReader(in), Filters: []stages.Filter{*st.Filter}, Sink: s}
	if st.Sink != nil {
		c.Sink = st.Sink
	}
	_, err := stages.Run(context.Background(), c)
	return s, err
}

func TestDefinitionRoundTrip(t *testing.T) {
	data := bytes.Repeat([]byte("the same words, built once\n"), 50000)
	for _, words := range [][]string{nil, {"-1"}, {"-9", "-p", "1"}, {"--level", "0", "-b", "64K"}, {"-c", "--threads=3"}, {"--single-member", "-p", "2"}} {
		st, err := build(t, words...)
		if err != nil {
			t.Fatalf("%v: %v", words, err)
		}
		z, err := run(t, st, data)
		if err != nil || !z.Committed() {
			t.Fatalf("%v: %v", words, err)
		}
		dst, _ := build(t, "-d")
		out, err := run(t, dst, z.Taken())
		if err != nil || !bytes.Equal(out.Taken(), data) {
			t.Fatalf("%v then -d: %v, %d bytes", words, err, len(out.Taken()))
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
	if _, err := run(t, tst, z.Taken()); err != nil {
		t.Fatalf("-t on good data: %v", err)
	}
	bad := bytes.Clone(z.Taken())
	bad[len(bad)-8] ^= 1
	tst, _ = build(t, "--test")
	if _, err := run(t, tst, bad); !errors.Is(err, gz.ErrChecksum) {
		t.Fatalf("-t on a bad CRC: %v", err)
	}
}

func TestDefinitionErrors(t *testing.T) {
	st, _ := build(t, "-d")
	s, err := run(t, st, nil)
	if err == nil || cli.Message(err) != "stdin: empty input, not gzip data" || !s.Aborted() || s.Committed() {
		t.Errorf("empty input: %v (message %q), sink aborted %v", err, cli.Message(err), s.Aborted())
	}
	st, _ = build(t, "-d", "--max-output", "10")
	z, _ := build(t)
	zs, _ := run(t, z, []byte("0123456789abc"))
	s, err = run(t, st, zs.Taken())
	if !errors.Is(err, gz.ErrTooLarge) || s.Written() != 10 || !s.Aborted() {
		t.Errorf("--max-output 10: %v, %d bytes out", err, s.Written())
	}
	for _, words := range [][]string{{"-S", "", "x"}, {"-S", "a/b", "x"}, {"--max-output", "1"}, {"-d", "--max-output", "-1"}, {"-1=false"}, {"-d", "--single-member"}} {
		_, err := build(t, words...)
		var ue *cli.UsageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: %v, want a usage error", words, err)
		}
	}
	// A value the stage refuses: the flag, the value, why; once each.
	for _, tc := range []struct {
		words []string
		msg   string
	}{
		{[]string{"--level", "12"}, "--level 12: out of range 0-9"},
		{[]string{"-p", "0"}, "--threads 0: out of range 1-1024"},
		{[]string{"-p", "1025"}, "--threads 1025: out of range 1-1024"},
		{[]string{"-b", "1"}, "--block-size 1: out of range 64KiB-256MiB"},
		{[]string{"-b", "2G"}, "--block-size 2GiB: out of range 64KiB-256MiB"},
		{[]string{"-b", "8P"}, "--block-size 8PiB: out of range 64KiB-256MiB"},
		{[]string{"-d", "-p", "0"}, "--threads 0: out of range 1-1024"},
		{[]string{"-t", "--threads=2000"}, "--threads 2000: out of range 1-1024"},
	} {
		_, err := build(t, tc.words...)
		var ue *cli.UsageError
		if !errors.As(err, &ue) || err.Error() != tc.msg {
			t.Errorf("%v: %v, want the usage error %q", tc.words, err, tc.msg)
		}
	}
}

// TestDefinitionParallelIntoSink: fgz -d decodes fgz's members on several
// threads; a damaged member far into the stream fails the chain, and the
// file sink leaves the destination as it was and no temporary file,
// although many members' data had been written before the damage showed.
func TestDefinitionParallelIntoSink(t *testing.T) {
	var data bytes.Buffer
	for i := 0; data.Len() < 3<<20; i++ {
		fmt.Fprintf(&data, "row %d: the same words, built once\n", i*i%7919)
	}
	st, _ := build(t, "-b", "64K")
	z, err := run(t, st, data.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	good := z.Taken()
	// Member 30's CRC: walk the members by the lengths in their headers.
	off := 0
	for range 30 {
		off += int(binary.LittleEndian.Uint32(good[off+16:]))
	}
	next := off + int(binary.LittleEndian.Uint32(good[off+16:]))
	bad := bytes.Clone(good)
	bad[next-8] ^= 1

	dir := t.TempDir()
	dst := filepath.Join(dir, "restored")
	if err := os.WriteFile(dst, []byte("yesterday\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in      []byte
		threads string
		wantErr error
	}{{bad, "1", gz.ErrChecksum}, {bad, "4", gz.ErrChecksum}, {good[:next], "2", gz.ErrTruncated}, {good, "3", nil}} {
		dec, err := build(t, "-d", "-p", tc.threads)
		if err != nil {
			t.Fatal(err)
		}
		w, err := sink.Create(dst)
		if err != nil {
			t.Fatal(err)
		}
		_, err = stages.Run(context.Background(), stages.Chain{Source: bytes.NewReader(tc.in), Filters: []stages.Filter{*dec.Filter}, Sink: w})
		got, _ := os.ReadFile(dst)
		entries, _ := os.ReadDir(dir)
		if tc.wantErr == nil {
			if err != nil || !bytes.Equal(got, data.Bytes()) {
				t.Errorf("-p %s, good stream: %v, %d bytes in the destination", tc.threads, err, len(got))
			}
			continue
		}
		var ge *gz.Error
		if !errors.Is(err, tc.wantErr) || !errors.As(err, &ge) {
			t.Errorf("-p %s: %v, want %v", tc.threads, err, tc.wantErr)
		} else if want := int64(next - 8); tc.wantErr == gz.ErrChecksum && ge.Offset != want {
			t.Errorf("-p %s: offset %d, want %d", tc.threads, ge.Offset, want)
		}
		if string(got) != "yesterday\n" || len(entries) != 1 {
			t.Errorf("-p %s: destination %q, %d entries in the folder; want it untouched, alone", tc.threads, got[:min(len(got), 20)], len(entries))
		}
	}
}

// TestDefinitionOffsetLength: -d --offset N --length M writes bytes N to
// N+M of the data, on fgz's members and on a single member; an offset past
// the end writes nothing and succeeds.
func TestDefinitionOffsetLength(t *testing.T) {
	var data bytes.Buffer
	for i := 0; data.Len() < 1<<20; i++ {
		fmt.Fprintf(&data, "line %d\n", i)
	}
	for _, format := range [][]string{{"-b", "64K"}, {"--single-member"}} {
		st, _ := build(t, format...)
		z, err := run(t, st, data.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ off, n, wantFrom, wantTo int }{
			{0, 10, 0, 10}, {65536, 65536, 65536, 131072}, {200001, 5, 200001, 200006},
			{data.Len() - 3, 100, data.Len() - 3, data.Len()}, {data.Len() + 10, 5, 0, 0}, {300000, -1, 300000, data.Len()},
		} {
			words := []string{"-d", "--offset", fmt.Sprint(tc.off)}
			if tc.n >= 0 {
				words = append(words, "--length", fmt.Sprint(tc.n))
			}
			dec, err := build(t, words...)
			if err != nil {
				t.Fatal(err)
			}
			out, err := run(t, dec, z.Taken())
			if err != nil || !bytes.Equal(out.Taken(), data.Bytes()[tc.wantFrom:tc.wantTo]) {
				t.Errorf("%v, fgz %v: %v, %d bytes; want bytes %d-%d", format, words, err, len(out.Taken()), tc.wantFrom, tc.wantTo)
			}
		}
	}
	for _, words := range [][]string{{"--offset", "5"}, {"-t", "--length", "5"}, {"-d", "--offset", "-1"}} {
		if _, err := build(t, words...); err == nil {
			t.Errorf("%v: no usage error", words)
		}
	}
}
