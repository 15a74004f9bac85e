package term

import (
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// openPty opens a pseudo-terminal of the given width and returns its slave.
func openPty(t *testing.T, cols uint16) *os.File {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	t.Cleanup(func() { m.Close() })
	rc, err := m.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	rc.Control(func(fd uintptr) {
		if err = unix.IoctlSetPointerInt(int(fd), unix.TIOCSPTLCK, 0); err == nil {
			n, err = unix.IoctlGetInt(int(fd), unix.TIOCGPTN)
		}
	})
	if err != nil {
		t.Skipf("unlockpt/ptsname: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open slave: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	fd, ok := Terminal(s)
	if !ok {
		t.Fatalf("Terminal(%s) = false on a pseudo-terminal", s.Name())
	}
	if err := unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: cols}); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestTerminal(t *testing.T) {
	tty := openPty(t, 132)
	fd, ok := Terminal(tty)
	if !ok || !IsTerminal(tty) {
		t.Fatalf("Terminal(pty) = %d, %v, want true", fd, ok)
	}
	if got := Columns(fd); got != 132 {
		t.Errorf("Columns = %d, want 132", got)
	}
	unix.IoctlSetWinsize(fd, unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: 0})
	if got := Columns(fd); got != 80 {
		t.Errorf("Columns of a terminal that says 0 = %d, want 80", got)
	}
}

func TestNotTerminal(t *testing.T) {
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	defer pw.Close()
	f, err := os.CreateTemp(t.TempDir(), "x")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	closed := openPty(t, 80)
	closed.Close()
	for name, x := range map[string]any{
		"pipe": pw, "file": f, "closed terminal": closed, "nil": nil,
		"nil file": (*os.File)(nil), "not a file": &strings.Builder{},
	} {
		if fd, ok := Terminal(x); ok || fd != -1 || IsTerminal(x) {
			t.Errorf("Terminal(%s) = %d, %v, want -1, false", name, fd, ok)
		}
	}
	if got := Columns(-1); got != 80 {
		t.Errorf("Columns(-1) = %d, want 80", got)
	}
}

// TestKeepsNonBlocking: asking does not put the file into blocking mode,
// as os.File.Fd would.
func TestKeepsNonBlocking(t *testing.T) {
	tty := openPty(t, 80)
	for _, f := range []*os.File{tty, func() *os.File {
		_, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { pw.Close() })
		return pw
	}()} {
		IsTerminal(f)
		rc, err := f.SyscallConn()
		if err != nil {
			t.Fatal(err)
		}
		var flags int
		rc.Control(func(fd uintptr) { flags, err = unix.FcntlInt(fd, unix.F_GETFL, 0) })
		if err != nil {
			t.Fatal(err)
		}
		if flags&unix.O_NONBLOCK == 0 {
			t.Errorf("%s: in blocking mode after IsTerminal", f.Name())
		}
	}
}
