package stages_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing/iotest"

	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/gz"
	"github.com/fpipe/fpipe/stages/meter"
	"github.com/fpipe/fpipe/stages/read"
	"github.com/fpipe/fpipe/stages/sink"
	"github.com/fpipe/fpipe/stages/sum"
	"github.com/fpipe/fpipe/stages/throttle"
	"github.com/fpipe/fpipe/stages/zst"
)

// memorySink is a Sink that keeps what it is given and publishes it only on
// Commit, as a file sink renames its temporary file.
type memorySink struct {
	pending   bytes.Buffer
	published string
	done      bool
}

func (s *memorySink) Write(p []byte) (int, error) { return s.pending.Write(p) }

func (s *memorySink) Commit() error {
	s.published, s.done = s.pending.String(), true
	return nil
}

func (s *memorySink) Abort() error {
	s.pending.Reset()
	return nil
}

// upper is a WriteFilter that upper-cases ASCII text.
func upper(dst io.Writer) (io.WriteCloser, error) { return upperWriter{dst}, nil }

type upperWriter struct{ dst io.Writer }

func (u upperWriter) Write(p []byte) (int, error) { return u.dst.Write(bytes.ToUpper(p)) }
func (upperWriter) Close() error                  { return nil }

// lineCounter is a WriteFilter that passes bytes through and, on Close,
// adds a line with the number of lines it saw.
func lineCounter(dst io.Writer) (io.WriteCloser, error) { return &counter{dst: dst}, nil }

type counter struct {
	dst   io.Writer
	lines int
}

func (c *counter) Write(p []byte) (int, error) {
	n, err := c.dst.Write(p)
	c.lines += bytes.Count(p[:n], []byte("\n"))
	return n, err
}

func (c *counter) Close() error {
	_, err := fmt.Fprintf(c.dst, "%d lines\n", c.lines)
	return err
}

func ExampleRun() {
	sink := &memorySink{}
	n, err := stages.Run(context.Background(), stages.Chain{
		Source:     strings.NewReader("hello\nstreaming\nworld\n"),
		SourceName: "fread",
		Filters: []stages.Filter{
			{Name: "upper", Writer: upper},
			{Name: "wc", Writer: lineCounter},
		},
		Sink:     sink,
		SinkName: "fsink",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("read %d bytes\n", n)
	fmt.Print(sink.published)
	// Output:
	// read 22 bytes
	// HELLO
	// STREAMING
	// WORLD
	// 3 lines
}

// A source that fails half way aborts the sink: nothing is published, and
// the error names the stage it came from.
func ExampleRun_failure() {
	sink := &memorySink{}
	_, err := stages.Run(context.Background(), stages.Chain{
		Source:     io.MultiReader(strings.NewReader("hello\n"), iotest.ErrReader(errors.New("disk read error"))),
		SourceName: "fread",
		Filters:    []stages.Filter{{Name: "upper", Writer: upper}},
		Sink:       sink,
		SinkName:   "fsink",
	})
	fmt.Println(err)
	fmt.Println("published:", sink.done)
	// Output:
	// fread: disk read error
	// published: false
}

// Pipe turns a writer stage into a reader; an error on the way reaches the
// reader in place of io.EOF.
func ExamplePipe() {
	r := stages.Pipe(strings.NewReader("one\ntwo\n"), lineCounter)
	defer r.Close()
	out, err := io.ReadAll(r)
	fmt.Printf("%q %v\n", out, err)
	// Output:
	// "one\ntwo\n2 lines\n" <nil>
}

// Writer and reader filters mix in one chain, in any order; Filters[0] is
// next to the source. Here, from the source on: a digest of the plain text
// (writer), gzip (writer), gunzip (reader), a rate (writer), zstd (writer),
// unzstd (reader) and a meter (reader), each built by its package's
// one-call Filter. The sum line is committed only after the sink.
func ExampleRun_mixed() {
	var sums, log strings.Builder
	sink := &memorySink{}
	gunzip := gz.DecompressFilter()
	gunzip.Name = "gunzip"
	m := meter.Filter(meter.Output(&log))
	m.Writer = nil // as a reader filter
	_, err := stages.Run(context.Background(), stages.Chain{
		Source: strings.NewReader("hello\nstreaming\nworld\n"),
		Filters: []stages.Filter{
			sum.Filter(sum.Name("text"), sum.Output(stages.StdoutSink(&sums))),
			gz.Filter(gz.Level(1)),
			gunzip,
			throttle.Filter(64 << 20),
			zst.Filter(),
			zst.DecompressFilter(),
			m,
		},
		Sink: sink,
	})
	fmt.Println(err)
	fmt.Print(sink.published)
	fmt.Print(sums.String())
	// Output:
	// <nil>
	// hello
	// streaming
	// world
	// 9460dcc7f5d803d057ec7e81a7dacf8c3ae96240eef9eb3f278fe61dbf221932  text
}

// backup is the README's example: dump compressed into dest, with its
// sum file dest.sha256, both or neither.
func backup(ctx context.Context, dump, dest string) error {
	src, err := read.NewReader([]string{dump})
	if err != nil {
		return err
	}
	defer src.Close()
	sums, err := sink.Create(dest + ".sha256")
	if err != nil {
		return err
	}
	dst, err := sink.Create(dest)
	if err != nil {
		sums.Abort()
		return err
	}
	// Run commits dest and its sum file only if every stage succeeded;
	// otherwise it aborts both and the old files stay as they were.
	_, err = stages.Run(ctx, stages.Chain{
		Source: src,
		Filters: []stages.Filter{
			gz.Filter(gz.Level(9)),
			sum.Filter(sum.Name(filepath.Base(dest)), sum.Output(sums)),
		},
		Sink: dst,
	})
	return err
}

// The README's example, compiled and run here.
func Example_backup() {
	dir, err := os.MkdirTemp("", "example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	dump := filepath.Join(dir, "db.dump")
	if err := os.WriteFile(dump, []byte("CREATE TABLE t (x int);\n"), 0o600); err != nil {
		panic(err)
	}
	dest := filepath.Join(dir, "backup.gz")
	fmt.Println(backup(context.Background(), dump, dest))
	line, err := os.ReadFile(dest + ".sha256")
	fmt.Printf("%s %v\n", bytes.Fields(line)[1], err)

	// A failed run keeps the last good backup and its sum file.
	err = backup(context.Background(), filepath.Join(dir, "missing"), dest)
	fmt.Println(strings.ReplaceAll(err.Error(), dir, "DIR"))
	again, _ := os.ReadFile(dest + ".sha256")
	fmt.Println(bytes.Equal(again, line))
	// Output:
	// <nil>
	// backup.gz <nil>
	// open DIR/missing: no such file or directory
	// true
}
