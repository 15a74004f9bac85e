package sum_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fpipe/fpipe/stages"
	"github.com/fpipe/fpipe/stages/sum"
)

// A Writer passes its stream through unchanged; at the end its lines are
// those sha256sum would print for the same bytes.
func ExampleNewWriter() {
	w, err := sum.NewWriter(io.Discard, sum.Name("hello.txt"), sum.Algorithms(sum.SHA256, sum.CRC32C))
	if err != nil {
		panic(err)
	}
	io.WriteString(w, "hello\n")
	if err := w.Close(); err != nil {
		panic(err)
	}
	fmt.Printf("%s", w.AppendLines(nil))
	// Output:
	// 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  hello.txt
	// 353dd8be  hello.txt
}

// A Reader checks a stream against an expected digest: a damaged stream
// ends with a *MismatchError in place of io.EOF.
func ExampleNewReader() {
	want := sum.Sum{Algorithm: sum.SHA256}
	l, _, _ := sum.NewParser(sum.SHA256, false).Parse([]byte("SHA256 (b.gz) = 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03"))
	want.Digest = l.Digest
	r, _ := sum.NewReader(strings.NewReader("hellO\n"), sum.Name(l.Name), sum.Expect(want))
	_, err := io.Copy(io.Discard, r)
	fmt.Println(err)
	// Output:
	// b.gz: sha256 mismatch: want 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03, got 0655937a5582c55b9ac610ed7ce474ed9be0a0fbefe9afcba31b36040be5530b
}

// A whole chain: source → sum → sink, with the sum lines committed after
// the sink, only when everything ended cleanly (here to standard output; a
// stages/sink.Writer makes it an atomic file).
func ExampleFilter() {
	_, err := stages.Run(context.Background(), stages.Chain{
		Source: strings.NewReader("hello\n"),
		Filters: []stages.Filter{sum.Filter(
			sum.Name("backup"), sum.WithFormat(sum.Format{Tag: true}),
			sum.Output(stages.StdoutSink(os.Stdout)),
		)},
		Sink: stages.StdoutSink(io.Discard),
	})
	fmt.Println(err)
	// Output:
	// SHA256 (backup) = 5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03
	// <nil>
}

// A Parser reads the lines of sha256sum, sha256sum --tag, md5 -r and b3sum.
func ExampleParser() {
	p := sum.NewParser(sum.SHA256, false)
	for _, line := range []string{
		"# a comment",
		`\5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03  two\nlines`,
		"MD5 (x) = B1946AC92492D2347C6235B4D2611184",
		"not a sum",
	} {
		l, ok, err := p.Parse([]byte(line))
		switch {
		case errors.Is(err, sum.ErrMalformed):
			fmt.Println("malformed")
		case ok:
			fmt.Printf("%v %q %x\n", l.Algorithm, l.Name, l.Digest[:4])
		default:
			fmt.Println("no sum")
		}
	}
	// Output:
	// no sum
	// sha256 "two\nlines" 5891b5b5
	// md5 "x" b1946ac9
	// malformed
}
