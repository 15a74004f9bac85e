package gz_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/gz"
)

func ExampleNewWriter() {
	var compressed bytes.Buffer
	w, err := gz.NewWriter(&compressed, gz.Level(9))
	if err != nil {
		panic(err)
	}
	io.WriteString(w, strings.Repeat("fpipe ", 1000))
	if err := w.Close(); err != nil {
		panic(err)
	}
	// The header: magic, deflate, FLG FEXTRA, MTIME 0, XFL 2 (level 9),
	// OS 3; XLEN 8 and one subfield, 'F' 'P', 4 bytes: the member's length.
	fmt.Printf("% x\n", compressed.Bytes()[:20])

	r, err := gz.NewReader(&compressed)
	if err != nil {
		panic(err)
	}
	n, err := io.Copy(io.Discard, r)
	fmt.Println(n, err)
	// Output:
	// 1f 8b 08 04 00 00 00 00 02 03 08 00 46 50 04 00 3e 00 00 00
	// 6000 <nil>
}

func ExampleNewReader_errors() {
	var good bytes.Buffer
	w, _ := gz.NewWriter(&good)
	io.WriteString(w, "hello\n")
	w.Close()

	for _, in := range [][]byte{
		good.Bytes(),
		good.Bytes()[:good.Len()-3],
		append(bytes.Clone(good.Bytes()), 0, 0, 0),
		append(bytes.Clone(good.Bytes()), "junk"...),
		[]byte("plain text"),
	} {
		r, _ := gz.NewReader(bytes.NewReader(in))
		_, err := io.Copy(io.Discard, r)
		fmt.Println(err)
	}
	// Output:
	// <nil>
	// unexpected end of gzip data at offset 68
	// <nil>
	// trailing garbage after gzip data at offset 71
	// not in gzip format
}

// memorySink publishes what it was given only on Commit.
type memorySink struct {
	pending   bytes.Buffer
	published []byte
}

func (s *memorySink) Write(p []byte) (int, error) { return s.pending.Write(p) }
func (s *memorySink) Commit() error               { s.published = s.pending.Bytes(); return nil }
func (s *memorySink) Abort() error                { s.pending.Reset(); return nil }

// A whole chain: compress, then decompress, into a sink. A corrupt stream
// fails the chain, and the sink is aborted, although the decoder handed
// out the data before it found the bad CRC.
func Example_chain() {
	compress := stages.Filter{Name: "fgz", Writer: func(dst io.Writer) (io.WriteCloser, error) {
		return gz.NewWriter(dst, gz.Level(1))
	}}
	decompress := stages.Filter{Name: "fgz -d", Reader: func(src io.Reader) (io.ReadCloser, error) {
		return gz.NewReader(src)
	}}
	text := strings.Repeat("all or nothing\n", 100)

	s := &memorySink{}
	_, err := stages.Run(context.Background(), stages.Chain{
		Source:  strings.NewReader(text),
		Filters: []stages.Filter{compress, decompress},
		Sink:    s,
	})
	fmt.Println(err, string(s.published) == text)

	// Flip a bit of the stored CRC-32 of a compressed copy (the stream
	// ends with the data's member, then an empty one of 30 bytes).
	var z bytes.Buffer
	w, _ := gz.NewWriter(&z)
	io.WriteString(w, text)
	w.Close()
	bad := z.Bytes()
	bad[len(bad)-30-8] ^= 1

	s = &memorySink{}
	_, err = stages.Run(context.Background(), stages.Chain{
		Source:  bytes.NewReader(bad),
		Filters: []stages.Filter{decompress},
		Sink:    s,
	})
	fmt.Println(errors.Is(err, gz.ErrChecksum), s.published == nil)
	fmt.Println(err)
	// Output:
	// <nil> true
	// true true
	// fgz -d: crc32 mismatch at offset 50: trailer says dd3cced0, data has dd3cced1
}
