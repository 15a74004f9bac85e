package zerocopy

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/fpipe/fpipe/internal/stagetest"
	"golang.org/x/sys/unix"
)

func tempFile(t *testing.T, data []byte) *os.File {
	t.Helper()
	name := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(name, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(name, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestIsPipe(t *testing.T) {
	t.Parallel()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	ff, err := os.OpenFile(fifo, os.O_RDWR, 0) // O_RDWR: does not wait for a peer
	if err != nil {
		t.Fatal(err)
	}
	defer ff.Close()
	closed := tempFile(t, nil)
	closed.Close()
	null, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	tests := []struct {
		name string
		f    *os.File
		want bool
	}{
		{"pipe read end", pr, true},
		{"pipe write end", pw, true},
		{"FIFO", ff, true},
		{"regular file", tempFile(t, []byte("x")), false},
		{"device", null, false},
		{"closed file", closed, false},
	}
	for _, tt := range tests {
		if got := IsPipe(tt.f); got != tt.want {
			t.Errorf("IsPipe(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// pipeSize is the pipe's buffer size, read without Fd (which would switch
// a non-blocking pipe to blocking mode).
func pipeSize(t *testing.T, f *os.File) int {
	t.Helper()
	rc, err := f.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var size int
	var ferr error
	rc.Control(func(fd uintptr) { size, ferr = unix.FcntlInt(fd, unix.F_GETPIPE_SZ, 0) })
	if ferr != nil {
		t.Fatal(ferr)
	}
	return size
}

func TestGrowPipe(t *testing.T) {
	t.Parallel()
	pr, pw := stagetest.BlockingPipe(t)
	GrowPipe(pw)
	size := pipeSize(t, pr)
	if size < PipeSize {
		if os.Geteuid() != 0 {
			t.Skipf("pipe buffer %d after GrowPipe: the limit (/proc/sys/fs/pipe-max-size) is lower for this user", size)
		}
		t.Errorf("pipe buffer after GrowPipe = %d, want >= %d", size, PipeSize)
	}
	GrowPipe(pw) // again: no change, no error
	GrowPipe(tempFile(t, nil))
	closed := tempFile(t, nil)
	closed.Close()
	GrowPipe(closed) // a hint: errors are ignored
	GrowPipe(nil)
}

// TestGrowPipeKeepsChosenSize: a pipe whose size was set on purpose (the
// relay marks pipes with their size) is left as it is.
func TestGrowPipeKeepsChosenSize(t *testing.T) {
	t.Parallel()
	pr, pw := stagetest.BlockingPipe(t)
	rc, err := pw.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var set int
	rc.Control(func(fd uintptr) { set, err = unix.FcntlInt(fd, unix.F_SETPIPE_SZ, 256<<10) })
	if err != nil {
		t.Skipf("F_SETPIPE_SZ 256 KiB: %v", err)
	}
	GrowPipe(pr)
	if size := pipeSize(t, pw); size != set {
		t.Errorf("pipe buffer after GrowPipe = %d, want the %d chosen", size, set)
	}
}

func TestSpliceFileToPipe(t *testing.T) {
	t.Parallel()
	data := stagetest.Pattern(3<<20 + 11)
	tests := []struct {
		name   string
		offset int64
		n      int64
		want   []byte
	}{
		{"all", 0, -1, data},
		{"from an offset", 1000, -1, data[1000:]},
		{"limit within one chunk", 0, 12345, data[:12345]},
		{"limit over chunks", 7, spliceChunk + 1, data[7 : 7+spliceChunk+1]},
		{"limit past the end", 0, 1 << 40, data},
		{"zero", 0, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := tempFile(t, data)
			src.Seek(tt.offset, io.SeekStart)
			pr, pw := stagetest.BlockingPipe(t)
			out := stagetest.Drain(pr)
			moved, handled, err := Splice(pw, src, tt.n)
			pw.Close()
			got := <-out
			if !handled || err != nil || moved != int64(len(tt.want)) {
				t.Errorf("Splice = %d, %v, %v, want %d, true, nil", moved, handled, err, len(tt.want))
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("the pipe carried %d bytes, want %d identical", len(got), len(tt.want))
			}
			// The file offset moved on by what was spliced.
			if pos, _ := src.Seek(0, io.SeekCurrent); pos != tt.offset+moved {
				t.Errorf("file offset after Splice = %d, want %d", pos, tt.offset+moved)
			}
		})
	}
}

func TestSplicePipeToFile(t *testing.T) {
	t.Parallel()
	data := stagetest.Pattern(2<<20 + 3)
	dst := tempFile(t, nil)
	pr, pw := stagetest.BlockingPipe(t)
	go func() {
		pw.Write(data)
		pw.Close()
	}()
	moved, handled, err := Splice(dst, pr, -1)
	if !handled || err != nil || moved != int64(len(data)) {
		t.Errorf("Splice(file, pipe) = %d, %v, %v, want %d, true, nil", moved, handled, err, len(data))
	}
	got, _ := os.ReadFile(dst.Name())
	if !bytes.Equal(got, data) {
		t.Errorf("the file has %d bytes, want %d identical", len(got), len(data))
	}
}

func TestSpliceNotHandled(t *testing.T) {
	t.Parallel()
	t.Run("file to file", func(t *testing.T) {
		t.Parallel()
		src, dst := tempFile(t, []byte("data")), tempFile(t, nil)
		moved, handled, err := Splice(dst, src, -1)
		if moved != 0 || handled || err != nil {
			t.Errorf("Splice(file, file) = %d, %v, %v, want 0, false, nil", moved, handled, err)
		}
	})
	t.Run("empty non-blocking pipe", func(t *testing.T) {
		t.Parallel()
		pr, pw, err := os.Pipe() // non-blocking in Go
		if err != nil {
			t.Fatal(err)
		}
		defer pr.Close()
		defer pw.Close()
		moved, handled, err := Splice(tempFile(t, nil), pr, -1)
		if moved != 0 || handled || err != nil {
			t.Errorf("Splice(file, empty pipe) = %d, %v, %v, want 0, false, nil", moved, handled, err)
		}
	})
	t.Run("closed file", func(t *testing.T) {
		t.Parallel()
		src := tempFile(t, []byte("data"))
		src.Close()
		_, pw := stagetest.BlockingPipe(t)
		moved, handled, err := Splice(pw, src, -1)
		if moved != 0 || handled || err != nil {
			t.Errorf("Splice(pipe, closed file) = %d, %v, %v, want 0, false, nil", moved, handled, err)
		}
	})
}

// TestSpliceWouldBlock: a non-blocking pipe that fills up after a partial
// move ends Splice with an error WouldBlock recognises.
func TestSpliceWouldBlock(t *testing.T) {
	t.Parallel()
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	size := pipeSize(t, pw) // not pw.Fd(): that would make it blocking
	src := tempFile(t, stagetest.Pattern(4*size))
	moved, handled, err := Splice(pw, src, -1)
	if !handled || !WouldBlock(err) || moved <= 0 || moved > int64(size) {
		t.Errorf("Splice(full pipe) = %d, %v, %v, want 0 < n <= %d, true, would block", moved, handled, err, size)
	}
	// Now full: nothing moves, and the caller is told to go on its own way.
	moved, handled, err = Splice(pw, src, -1)
	if moved != 0 || handled || err != nil {
		t.Errorf("Splice(full pipe) again = %d, %v, %v, want 0, false, nil", moved, handled, err)
	}
	if WouldBlock(nil) || WouldBlock(errors.New("x")) {
		t.Errorf("WouldBlock is true for other errors")
	}
}

func TestSpliceBrokenPipe(t *testing.T) {
	t.Parallel()
	pr, pw := stagetest.BlockingPipe(t)
	pr.Close()
	src := tempFile(t, stagetest.Pattern(100_000))
	moved, handled, err := Splice(pw, src, -1)
	var pe *fs.PathError
	if moved != 0 || !handled || !errors.As(err, &pe) || pe.Op != "write" || pe.Path != "pipe-w" || pe.Err != syscall.EPIPE {
		t.Errorf("Splice(broken pipe) = %d, %v, %#v, want 0, true, write pipe-w: broken pipe", moved, handled, err)
	}
}

func TestClassify(t *testing.T) {
	t.Parallel()
	pr, pw := stagetest.BlockingPipe(t)
	file := tempFile(t, nil)
	tests := []struct {
		name     string
		dst, src *os.File
		errno    syscall.Errno
		wantOp   string
		wantPath string
	}{
		{"EPIPE", pw, file, unix.EPIPE, "write", pw.Name()},
		{"ENOSPC", file, pr, unix.ENOSPC, "write", file.Name()},
		{"EDQUOT", file, pr, unix.EDQUOT, "write", file.Name()},
		{"EFBIG", file, pr, unix.EFBIG, "write", file.Name()},
		{"EROFS", file, pr, unix.EROFS, "write", file.Name()},
		{"EIO from a pipe into a file", file, pr, unix.EIO, "write", file.Name()},
		{"EIO from a file into a pipe", pw, file, unix.EIO, "read", file.Name()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := classify(tt.dst, tt.src, tt.errno)
			var pe *fs.PathError
			if !errors.As(err, &pe) || pe.Op != tt.wantOp || pe.Path != tt.wantPath || pe.Err != tt.errno {
				t.Errorf("classify(%s) = %v, want %s %s: %v", tt.name, err, tt.wantOp, tt.wantPath, tt.errno)
			}
		})
	}
}
