package sink_test

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing/iotest"

	"github.com/fpipe/fpipe/stages/sink"
)

// A stream replaces the destination only when it ended cleanly.
func ExampleCreate() {
	dir, err := os.MkdirTemp("", "sink-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	backup := filepath.Join(dir, "backup.sql")
	os.WriteFile(backup, []byte("yesterday's backup\n"), 0o644)

	// A clean stream: Commit puts it in place.
	w, err := sink.Create(backup)
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := io.Copy(w, strings.NewReader("today's backup\n")); err != nil {
		w.Abort()
		fmt.Println(err)
		return
	}
	if err := w.Commit(); err != nil {
		fmt.Println(err)
		return
	}
	b, _ := os.ReadFile(backup)
	fmt.Print(string(b))

	// A stream that fails halfway: Abort, and the backup stays as it was.
	w, err = sink.Create(backup)
	if err != nil {
		fmt.Println(err)
		return
	}
	failing := io.MultiReader(strings.NewReader("half of tomorrow"), iotest.ErrReader(errors.New("database went away")))
	if _, err := io.Copy(w, failing); err != nil {
		w.Abort()
		fmt.Println("aborted:", err)
	}
	b, _ = os.ReadFile(backup)
	fmt.Print(string(b))
	// Output:
	// today's backup
	// aborted: database went away
	// today's backup
}

// An empty stream never replaces a non-empty file unless AllowEmpty says so.
func ExampleAllowEmpty() {
	dir, err := os.MkdirTemp("", "sink-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "data")
	os.WriteFile(name, []byte("keep me\n"), 0o644)

	w, err := sink.Create(name)
	if err != nil {
		fmt.Println(err)
		return
	}
	err = w.Commit() // nothing written
	fmt.Println(errors.Is(err, sink.ErrEmpty))
	b, _ := os.ReadFile(name)
	fmt.Print(string(b))

	w, err = sink.Create(name, sink.AllowEmpty())
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(w.Commit())
	fi, _ := os.Stat(name)
	fmt.Println(fi.Size())
	// Output:
	// true
	// keep me
	// <nil>
	// 0
}
