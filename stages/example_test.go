package stages_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing/iotest"

	"github.com/fpipe/fpipe/stages"
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
