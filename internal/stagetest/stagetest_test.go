package stagetest

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

var boom = errors.New("boom")

func TestFailWriter(t *testing.T) {
	w := &FailWriter{N: 5, Err: boom}
	for _, c := range []struct {
		in  string
		n   int
		err error
	}{{"abc", 3, nil}, {"de", 2, nil}, {"", 0, nil}, {"f", 0, boom}, {"g", 0, boom}} {
		if n, err := w.Write([]byte(c.in)); n != c.n || err != c.err {
			t.Errorf("Write(%q) = %d, %v, want %d, %v", c.in, n, err, c.n, c.err)
		}
	}
	w = &FailWriter{N: 5, Err: boom}
	if n, err := w.Write([]byte("abcdefgh")); n != 5 || err != boom || w.Taken() != 5 {
		t.Errorf("crossing Write = %d, %v (taken %d), want 5, boom", n, err, w.Taken())
	}
	if n, err := (&FailWriter{Err: boom}).Write([]byte("a")); n != 0 || err != boom {
		t.Errorf("Write to FailWriter{N: 0} = %d, %v, want 0, boom", n, err)
	}
}

func TestShortWriterAndCopy(t *testing.T) {
	if n, err := (ShortWriter{}).Write(make([]byte, 10)); n != 5 || err != nil {
		t.Errorf("ShortWriter.Write(10 bytes) = %d, %v, want 5, nil", n, err)
	}
	if _, err := io.Copy(ShortWriter{}, strings.NewReader("abcd")); err != io.ErrShortWrite {
		t.Errorf("io.Copy into ShortWriter = %v, want io.ErrShortWrite", err)
	}
}

func TestHiding(t *testing.T) {
	if _, ok := OnlyReader(bytes.NewReader(nil)).(io.WriterTo); ok {
		t.Error("OnlyReader is an io.WriterTo")
	}
	if _, ok := OnlyWriter(new(bytes.Buffer)).(io.ReaderFrom); ok {
		t.Error("OnlyWriter is an io.ReaderFrom")
	}
	if _, ok := any(&CountingSink{}).(io.ReaderFrom); ok {
		t.Error("CountingSink is an io.ReaderFrom")
	}
}

func TestErrAfterAndZeros(t *testing.T) {
	b, err := io.ReadAll(ErrAfter([]byte("abcdef"), 4, boom))
	if string(b) != "abcd" || err != boom {
		t.Errorf("ReadAll(ErrAfter) = %q, %v, want \"abcd\", boom", b, err)
	}
	p := []byte("xyz")
	if n, err := (Zeros{}).Read(p); n != 3 || err != nil || !bytes.Equal(p, []byte{0, 0, 0}) {
		t.Errorf("Zeros.Read = %d, %v, %q", n, err, p)
	}
}

func TestMemSink(t *testing.T) {
	var events []string
	s := &MemSink{OnEvent: func(ev string) { events = append(events, ev) }}
	s.Write([]byte("abc"))
	if s.Committed() || string(s.Taken()) != "abc" {
		t.Fatalf("before Commit: committed %v, taken %q", s.Committed(), s.Taken())
	}
	if err := s.Commit(); err != nil {
		t.Fatal(err)
	}
	s.Abort() // after a commit: changes nothing
	if c, commits, aborts := s.State(); string(c) != "abc" || commits != 1 || aborts != 1 || s.Aborted() {
		t.Errorf("State = %q, %d, %d; Aborted %v", c, commits, aborts, s.Aborted())
	}
	if strings.Join(events, " ") != "commit abort" {
		t.Errorf("events %q", events)
	}

	s = &MemSink{}
	s.Commit()
	if c, _, _ := s.State(); c == nil || !s.Committed() {
		t.Error("an empty commit reads as no commit")
	}

	s = &MemSink{WriteErr: boom, Limit: 4}
	if n, err := s.Write([]byte("abcdef")); n != 4 || err != boom {
		t.Errorf("Write over the limit = %d, %v, want 4, boom", n, err)
	}
	if n, err := s.Write([]byte("g")); n != 0 || err != boom || s.Err() != boom {
		t.Errorf("Write after the failure = %d, %v, want 0, boom", n, err)
	}
	if err := s.Commit(); !errors.Is(err, boom) {
		t.Errorf("Commit after a failed write = %v, want boom", err)
	}
	s.Abort()
	if !s.Aborted() || len(s.Taken()) != 0 || s.Written() != 4 {
		t.Errorf("after Abort: Aborted %v, taken %q, written %d", s.Aborted(), s.Taken(), s.Written())
	}

	s = &MemSink{CommitErr: boom}
	if err := s.Commit(); err != boom || s.Committed() {
		t.Errorf("Commit with CommitErr = %v, committed %v", err, s.Committed())
	}
}

func TestCountingSink(t *testing.T) {
	m := &MemSink{}
	c := &CountingSink{Sink: m}
	io.Copy(c, strings.NewReader("hello"))
	if c.N() != 5 {
		t.Errorf("N = %d, want 5", c.N())
	}
	c.Commit()
	if !m.Committed() {
		t.Error("Commit did not reach the sink")
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	old, ino := OldFile(t, dir, "db")
	if ino == 0 || ino != Inode(t, filepath.Join(dir, "db")) {
		t.Errorf("inode %d", ino)
	}
	CheckIntact(t, dir, "db", old, ino)

	// The checks fail when they should.
	os.WriteFile(filepath.Join(dir, ".db.x.fsink-tmp"), nil, 0o600)
	os.WriteFile(filepath.Join(dir, "new"), []byte("new"), 0o644) // a new inode while the old one exists
	os.Rename(filepath.Join(dir, "new"), filepath.Join(dir, "db"))
	ft := &fakeT{TB: t}
	CheckIntact(ft, dir, "db", old, ino)
	if ft.errors != 3 {
		t.Errorf("CheckIntact of a changed file with a temporary file left: %d errors, want 3", ft.errors)
	}
}

// fakeT counts the errors a check reports instead of failing the test.
type fakeT struct {
	testing.TB
	errors int
}

func (f *fakeT) Errorf(string, ...any) { f.errors++ }
func (f *fakeT) Helper()               {}

func TestPipes(t *testing.T) {
	pr, pw := BlockingPipe(t)
	rc, err := pw.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var flags int
	rc.Control(func(fd uintptr) { flags, err = unix.FcntlInt(fd, unix.F_GETFL, 0) })
	if err != nil || flags&unix.O_NONBLOCK != 0 {
		t.Errorf("BlockingPipe: flags %#x, %v; want blocking", flags, err)
	}
	ch := Drain(pr)
	data := Pattern(100000)
	pw.Write(data)
	pw.Close()
	if got := <-ch; !bytes.Equal(got, data) {
		t.Errorf("Drain read %d bytes, want the %d written", len(got), len(data))
	}
	if p := Pattern(8200); !bytes.Equal(p[:4093], p[4093:8186]) || bytes.Equal(p[:100], p[1:101]) {
		t.Error("Pattern does not repeat every 4093 bytes only")
	}
}

func TestMemSinkRF(t *testing.T) {
	m := &MemSink{WriteErr: boom, Limit: 3}
	var s io.Writer = MemSinkRF{m}
	n, err := s.(io.ReaderFrom).ReadFrom(strings.NewReader("abcdef"))
	if n != 3 || err != boom || m.ReadFroms() != 1 || string(m.Taken()) != "abc" || m.Err() != boom {
		t.Errorf("ReadFrom = %d, %v; %d calls, took %q, Err %v", n, err, m.ReadFroms(), m.Taken(), m.Err())
	}
}
