package zst_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/sink"
	"github.com/fpipe/fpipe/stages/zst"
)

// Compress a stream and read it back.
func Example() {
	var z bytes.Buffer
	w, err := zst.NewWriter(&z, zst.Level(19))
	if err != nil {
		panic(err)
	}
	io.Copy(w, strings.NewReader(strings.Repeat("all work and no play\n", 1000)))
	if err := w.Close(); err != nil { // ends the frame; z stays open
		panic(err)
	}
	r, _ := zst.NewReader(&z)
	defer r.Close()
	n, err := io.Copy(io.Discard, r)
	fmt.Println(n, err)
	// Output: 21000 <nil>
}

// The errors name what is wrong and where.
func ExampleNewReader_errors() {
	var z bytes.Buffer
	w, _ := zst.NewWriter(&z)
	w.Write([]byte("some data\n"))
	w.Close()
	good := z.Bytes()
	for _, in := range [][]byte{
		nil,
		[]byte("plain text\n"),
		good[:len(good)-3],
		append(bytes.Clone(good), "garbage"...),
	} {
		r, _ := zst.NewReader(bytes.NewReader(in))
		_, err := io.Copy(io.Discard, r)
		fmt.Println(err)
	}
	// Output:
	// empty input, not zstd data
	// not in zstd format
	// unexpected end of zstd data at offset 20
	// trailing garbage after zstd data at offset 23
}

// MaxWindow refuses a frame that would need more memory than allowed,
// from its header.
func ExampleMaxWindow() {
	var z bytes.Buffer
	w, _ := zst.NewWriter(&z, zst.WindowLog(24))  // zstd --long=24
	w.Write(bytes.Repeat([]byte("data"), 100000)) // more than one block: a window is needed
	w.Close()
	r, _ := zst.NewReader(&z, zst.MaxWindow(8<<20))
	_, err := io.Copy(io.Discard, r)
	fmt.Println(errors.Is(err, zst.ErrWindow), err)
	// Output: true window too large in the frame at offset 0: it needs 16 MiB, more than the limit of 8 MiB
}

// A whole chain, as `fread db.sql | fzst | fsink db.sql.zst` and back:
// compress into a file that appears only once complete, then restore it.
func Example_chain() {
	dir, _ := os.MkdirTemp("", "zst-example-")
	defer os.RemoveAll(dir)
	dump := strings.Repeat("INSERT INTO t VALUES (1, 'x');\n", 10000)
	out, _ := sink.Create(filepath.Join(dir, "db.sql.zst"))
	_, err := stages.Run(context.Background(), stages.Chain{
		Source: strings.NewReader(dump),
		Filters: []stages.Filter{{Name: "fzst", Writer: func(dst io.Writer) (io.WriteCloser, error) {
			return zst.NewWriter(dst)
		}}},
		Sink: out,
	})
	fmt.Println("backup:", err)

	f, _ := os.Open(filepath.Join(dir, "db.sql.zst"))
	defer f.Close()
	restored, _ := sink.Create(filepath.Join(dir, "db.sql"))
	n, err := stages.Run(context.Background(), stages.Chain{
		Source: f,
		Filters: []stages.Filter{{Name: "fzst -d", Reader: func(src io.Reader) (io.ReadCloser, error) {
			return zst.NewReader(src)
		}}},
		Sink: restored,
	})
	st, _ := os.Stat(filepath.Join(dir, "db.sql"))
	fmt.Println("restore:", err, n < st.Size(), st.Size() == int64(len(dump)))
	// Output:
	// backup: <nil>
	// restore: <nil> true true
}
