package relay

import (
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary act as the reader of a pipe in another
// process (a reader in this process cannot be told from the writer).
func TestMain(m *testing.M) {
	switch os.Getenv("RELAY_TEST_READER") {
	case "":
		os.Exit(m.Run())
	case "confirm", "refuse", "done":
		io.Copy(io.Discard, os.Stdin)
		if st, atEnd := Check(os.Stdin); !atEnd || st != Waiting {
			os.Exit(3)
		}
		switch os.Getenv("RELAY_TEST_READER") {
		case "confirm":
			Confirm(os.Stdin)
		case "done":
			ConfirmDone(os.Stdin)
		default:
			Refuse(os.Stdin)
		}
		os.Exit(0)
	case "partial":
		os.Stdin.Read(make([]byte, 10))
		os.Exit(0)
	}
}

func pipe(t *testing.T) (r, w *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return r, w
}

func TestMarks(t *testing.T) {
	if !enabled {
		t.Skip("memory pages are not 4 KiB")
	}
	r, w := pipe(t)
	if got := Get(r); got != Unmarked {
		t.Fatalf("Get(new pipe) = %v, want unmarked", got)
	}
	o, err := Begin(w)
	if err != nil || o == nil {
		t.Fatalf("Begin(pipe) = %v, %v", o, err)
	}
	if got := Get(r); got != Running {
		t.Errorf("after Begin: %v, want running", got)
	}
	if st, atEnd := Check(r); st != Running || atEnd {
		t.Errorf("Check with the writer open = %v, %v, want running, false", st, atEnd)
	}
	// A second writer of ours on a pipe still running keeps the mark.
	o2, err := Begin(w)
	if err != nil || !o2.inherit {
		t.Errorf("Begin(running pipe) = %+v, %v, want it to inherit the mark", o2, err)
	}
	if err := o2.Clean(); err != nil || Get(r) != Running {
		t.Errorf("Clean after inheriting: %v, mark %v, want running", err, Get(r))
	}
	if err := o.Clean(); err != nil || Get(r) != Clean {
		t.Errorf("Clean: %v, mark %v, want clean", err, Get(r))
	}
	o.Fail()
	if got := Get(r); got != Running {
		t.Errorf("Fail after a change: %v, want running", got)
	}
	w.Close()
	if st, atEnd := Check(r); st != Running || !atEnd {
		t.Errorf("Check at the end = %v, %v, want running, true", st, atEnd)
	}
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	if o, err := Begin(f); o != nil || err != nil {
		t.Errorf("Begin(regular file) = %v, %v, want nil, nil", o, err)
	}
}

// TestBeginDrains: a second writer after a clean one shrinks the pipe to
// "running" once the reader has drained what does not fit.
func TestBeginDrains(t *testing.T) {
	if !enabled {
		t.Skip("memory pages are not 4 KiB")
	}
	r, w := pipe(t)
	o, _ := Begin(w)
	o.Clean()
	w.Write(make([]byte, 900<<10))
	go func() {
		time.Sleep(50 * time.Millisecond)
		io.ReadFull(r, make([]byte, 900<<10))
	}()
	o2, err := Begin(w)
	if err != nil || o2.inherit || Get(r) != Running {
		t.Errorf("Begin(clean pipe holding 900 KiB) = %+v, %v, mark %v, want running", o2, err, Get(r))
	}
}

func TestNoReader(t *testing.T) {
	r, w := pipe(t)
	o, _ := Begin(w)
	o.Clean()
	w.Write(make([]byte, 900<<10))
	r.Close()
	if _, err := Begin(w); err == nil || !errors.Is(err, ErrCannotMark) {
		t.Errorf("Begin with nobody to drain the pipe = %v, want ErrCannotMark", err)
	}
}

func TestConfirmRefuse(t *testing.T) {
	r, w := pipe(t)
	if err := Refuse(r); err != nil || Get(r) != Unmarked {
		t.Errorf("Refuse on a pipe nobody waits on: %v, mark %v, want it untouched", err, Get(r))
	}
	o, _ := Begin(w)
	o.Clean()
	control(w, func(fd int) error { return setSize(context.Background(), fd, sizeWaiting, false) })
	if err := Refuse(r); err != nil || Get(r) != Refused {
		t.Errorf("Refuse: %v, mark %v, want refused", err, Get(r))
	}
	if err := Confirm(r); err != nil || Get(r) != Committed {
		t.Errorf("Confirm: %v, mark %v, want committed", err, Get(r))
	}
	if err := ConfirmDone(r); err != nil || Get(r) != Done {
		t.Errorf("ConfirmDone: %v, mark %v, want done", err, Get(r))
	}
}

// TestAwait: a writer that only reports the verdict learns which mark the
// reader left, and does not wait for a program that is not ours to read
// the pipe: one that holds it without reading does not hold it up.
func TestAwait(t *testing.T) {
	if !enabled {
		t.Skip("memory pages are not 4 KiB")
	}
	for _, tt := range []struct {
		reader    string
		untilRead bool
		want      State
		wantErr   error
		within    time.Duration
	}{
		{"confirm", true, Committed, nil, 5 * time.Second},
		{"done", true, Done, nil, 5 * time.Second},
		{"refuse", true, Refused, ErrRefused, 5 * time.Second},
		{"cat", false, Unmarked, nil, 5 * time.Second},
		{"sleep", false, Unmarked, nil, 1500 * time.Millisecond}, // not 5 s
	} {
		t.Run(tt.reader, func(t *testing.T) {
			r, w := pipe(t)
			var c *exec.Cmd
			switch tt.reader {
			case "cat":
				c = exec.Command("cat")
				c.Stdout = io.Discard
			case "sleep":
				c = exec.Command("sleep", "5")
			default:
				c = exec.Command(os.Args[0])
				c.Env = append(os.Environ(), "RELAY_TEST_READER="+tt.reader)
			}
			c.Stdin = r
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			defer func() { c.Process.Kill(); c.Wait() }()
			r.Close()
			o, err := Begin(w)
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte(strings.Repeat("data\n", 100)))
			time.Sleep(50 * time.Millisecond) // exec'd and reading
			start := time.Now()
			st, err := o.Await(context.Background(), tt.untilRead)
			if st != tt.want || !errors.Is(err, tt.wantErr) {
				t.Errorf("Await with a %s reader = %v, %v, want %v, %v", tt.reader, st, err, tt.want, tt.wantErr)
			}
			if d := time.Since(start); d > tt.within {
				t.Errorf("Await with a %s reader took %v, want within %v", tt.reader, d, tt.within)
			}
			if !o.Released() {
				t.Errorf("Await with a %s reader: not released", tt.reader)
			}
		})
	}
}

// TestHandoff runs the test binary as the reader of a pipe that this
// process hands off.
func TestHandoff(t *testing.T) {
	if !enabled {
		t.Skip("memory pages are not 4 KiB")
	}
	tests := []struct {
		reader string
		want   error
	}{
		{"confirm", nil},
		{"done", nil},
		{"refuse", ErrRefused},
		{"partial", ErrNotRead},
		{"cat", nil}, // not ours, read everything
	}
	for _, tt := range tests {
		t.Run(tt.reader, func(t *testing.T) {
			r, w := pipe(t)
			var c *exec.Cmd
			if tt.reader == "cat" {
				c = exec.Command("cat")
				c.Stdout = io.Discard
			} else {
				c = exec.Command(os.Args[0])
				c.Env = append(os.Environ(), "RELAY_TEST_READER="+tt.reader)
			}
			c.Stdin = r
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			r.Close()
			o, err := Begin(w)
			if err != nil {
				t.Fatal(err)
			}
			w.Write([]byte(strings.Repeat("data\n", 1000)))
			// Wait until the reader has taken what it wants, so that the
			// outcome does not depend on timing.
			time.Sleep(50 * time.Millisecond)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			err = o.Handoff(ctx)
			if !errors.Is(err, tt.want) && !(tt.want == ErrNotRead && err != nil) {
				t.Errorf("Handoff with a %s reader = %v, want %v", tt.reader, err, tt.want)
			}
			c.Wait()
		})
	}
}

func TestNotes(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("XDG_RUNTIME_DIR", "")
	r, w := pipe(t)
	if err := Leave(w, "fread: missing: no such file or directory\n"); err != nil {
		t.Fatalf("Leave: %v", err)
	}
	if why, ok := Take(r); !ok || why != "fread: missing: no such file or directory" {
		t.Errorf("Take = %q, %v, want the reason", why, ok)
	}
	if why, ok := Take(r); ok {
		t.Errorf("Take after Take = %q, want no note", why)
	}
	// A FIFO: a note on an earlier FIFO with the same inode is not read.
	dir := t.TempDir()
	fifo := filepath.Join(dir, "q")
	syscall.Mkfifo(fifo, 0o600)
	fr, _ := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	defer fr.Close()
	fw, err := os.OpenFile(fifo, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer fw.Close()
	prefix, birth, ok := pipeKey(fw)
	if !ok {
		t.Fatal("pipeKey(FIFO) not ok")
	}
	d, err := openFolder()
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	os.WriteFile(filepath.Join(d.Name(), prefix+"1-1"), []byte("1.000000000\nstale"), 0o600)
	if why, ok := Take(fr); ok && birth != "" {
		t.Errorf("Take found the stale note %q (birth %s)", why, birth)
	}
}

func TestFolderChecks(t *testing.T) {
	uid := os.Geteuid()
	base := t.TempDir()
	os.Chmod(base, 0o755)
	if d, err := openChain(base, []string{"a", "fpipe"}, uid); err != nil {
		t.Errorf("openChain(fresh) = %v", err)
	} else {
		d.Close()
	}
	// Open to others: refused.
	os.Mkdir(filepath.Join(base, "open"), 0o777)
	os.Chmod(filepath.Join(base, "open"), 0o777)
	if _, err := openChain(base, []string{"open"}, uid); err == nil {
		t.Errorf("openChain(0777 folder) = nil, want an error")
	}
	// A link: refused.
	os.Symlink(filepath.Join(base, "a"), filepath.Join(base, "link"))
	if _, err := openChain(base, []string{"link", "fpipe"}, uid); err == nil {
		t.Errorf("openChain(through a link) = nil, want an error")
	}
	if uid == 0 {
		os.Mkdir(filepath.Join(base, "theirs"), 0o700)
		os.Chown(filepath.Join(base, "theirs"), 65534, 65534)
		if _, err := openChain(base, []string{"theirs"}, uid); err == nil {
			t.Errorf("openChain(another user's folder) = nil, want an error")
		}
	}
}

func TestRuntimeDir(t *testing.T) {
	uid := os.Geteuid()
	dir := t.TempDir()
	os.Chmod(dir, 0o700)
	if err := checkRuntimeDir(dir, uid); err != nil {
		t.Errorf("checkRuntimeDir(0700 folder) = %v", err)
	}
	os.Chmod(dir, 0o755)
	if err := checkRuntimeDir(dir, uid); err == nil {
		t.Errorf("checkRuntimeDir(0755 folder) = nil, want an error")
	}
	os.Chmod(dir, 0o700)
	link := filepath.Join(t.TempDir(), "link")
	os.Symlink(dir, link)
	if err := checkRuntimeDir(link, uid); err == nil {
		t.Errorf("checkRuntimeDir(link) = nil, want an error")
	}
}
