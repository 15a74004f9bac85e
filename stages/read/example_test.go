package read_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/fpipe/fpipe/stages/read"
)

// exampleFiles writes two small files and returns their names.
func exampleFiles() (dir string, names []string) {
	dir, err := os.MkdirTemp("", "read-example-")
	if err != nil {
		panic(err)
	}
	for _, f := range []struct{ name, text string }{
		{"a.txt", "alpha\n"},
		{"b.txt", "bravo\n"},
	} {
		name := filepath.Join(dir, f.name)
		if err := os.WriteFile(name, []byte(f.text), 0o644); err != nil {
			panic(err)
		}
		names = append(names, name)
	}
	return dir, names
}

// Files and standard input ("-") read one after another, like cat.
func ExampleNewReader() {
	dir, names := exampleFiles()
	defer os.RemoveAll(dir)

	r, err := read.NewReader([]string{names[0], "-", names[1]},
		read.Input(strings.NewReader("from stdin\n")))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	if _, err := io.Copy(os.Stdout, r); err != nil {
		fmt.Println(err)
	}
	// Output:
	// alpha
	// from stdin
	// bravo
}

// Offset and Length cut the whole stream, as dd's skip and count in bytes.
func ExampleOffset() {
	dir, names := exampleFiles()
	defer os.RemoveAll(dir)

	// "alpha\nbravo\n" from byte 3, for 6 bytes.
	r, err := read.NewReader(names, read.Offset(3), read.Length(6))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, r); err != nil {
		fmt.Println(err)
	}
	fmt.Printf("%q\n", b.String())
	// Output: "ha\nbra"
}

// With Report, an input that cannot be read is reported and skipped, and
// the stream ends with a *SkippedError.
func ExampleReport() {
	dir, names := exampleFiles()
	defer os.RemoveAll(dir)

	r, err := read.NewReader([]string{names[0], filepath.Join(dir, "nope"), names[1]},
		read.Report(func(err error) {
			fmt.Println("skipped:", filepath.Base(err.(*os.PathError).Path))
		}))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer r.Close()
	var b strings.Builder
	_, err = io.Copy(&b, r)
	fmt.Print(b.String())
	var se *read.SkippedError
	fmt.Println(errors.As(err, &se), err)
	// Output:
	// skipped: nope
	// alpha
	// bravo
	// true 1 input could not be read
}
