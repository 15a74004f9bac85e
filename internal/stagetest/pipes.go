package stagetest

import (
	"bytes"
	"io"
	"os"
	"sync"
	"syscall"
	"testing"
)

// BlockingPipe returns a pipe whose ends are in blocking mode, as a shell
// makes them (os.Pipe makes them non-blocking). Both ends are closed when
// the test ends.
func BlockingPipe(t testing.TB) (pr, pw *os.File) {
	t.Helper()
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	pr, pw = os.NewFile(uintptr(fds[0]), "pipe-r"), os.NewFile(uintptr(fds[1]), "pipe-w")
	t.Cleanup(func() { pr.Close(); pw.Close() })
	return pr, pw
}

// Drain reads pr in a goroutine until the write end closes, closes pr and
// sends what it read.
func Drain(pr *os.File) <-chan []byte {
	ch := make(chan []byte, 1)
	go func() {
		b, _ := io.ReadAll(pr)
		pr.Close()
		ch <- b
	}()
	return ch
}

// Pattern returns n bytes that repeat only every 4093 bytes (a prime: no
// alignment with power-of-two chunks), so a misplaced chunk shows.
func Pattern(n int) []byte {
	block := make([]byte, 4093)
	for i := range block {
		block[i] = byte(i*31 + i>>8)
	}
	return bytes.Repeat(block, n/len(block)+1)[:n]
}

// SyncBuffer is a bytes.Buffer that a writer (a tool's stderr) and a
// reader (the test polling it) may use at once.
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns what was written so far.
func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
