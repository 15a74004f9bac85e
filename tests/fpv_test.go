package tests

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// openPty opens a pseudo-terminal of the given width: the master, to read
// what is drawn, and the slave, to give a process as its terminal.
func openPty(t *testing.T, cols uint16) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals: %v", err)
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		t.Skipf("unlockpt: %v", err)
	}
	n, err := unix.IoctlGetInt(fd, unix.TIOCGPTN)
	if err != nil {
		m.Close()
		t.Skipf("ptsname: %v", err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skipf("open slave: %v", err)
	}
	if err := unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 24, Col: cols}); err != nil {
		t.Fatal(err)
	}
	return m, s
}

// TestFpvTerminal runs fpv with its stderr on a pseudo-terminal 60 columns
// wide: the line is redrawn in place at most 5 times a second, never wider
// than the terminal, and ends with the last line.
func TestFpvTerminal(t *testing.T) {
	master, slave := openPty(t, 60)
	defer master.Close()
	const size = 1 << 20
	cmd := exec.Command(bin("fpv"), "-s", "1MiB", "-N", "t")
	in, _ := cmd.StdinPipe()
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = slave
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	screen := make(chan string)
	go func() {
		b, _ := io.ReadAll(master) // ends with EIO once fpv has gone
		screen <- string(b)
	}()
	chunk := make([]byte, 64<<10)
	for range size / len(chunk) { // 1 MiB over about 1.6 s
		in.Write(chunk)
		time.Sleep(100 * time.Millisecond)
	}
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	got := <-screen
	if out.Len() != size {
		t.Errorf("fpv passed %d bytes, want %d", out.Len(), size)
	}
	frames := strings.Split(got, "\r")
	// The tty turns the last "\n" into "\r\n": the last frame is then empty.
	if len(frames) < 4 || frames[len(frames)-1] != "\n" {
		t.Fatalf("screen %q: want redraws and a last line", got)
	}
	last := frames[len(frames)-2]
	frames = frames[1 : len(frames)-2]
	if max := int(el/(200*time.Millisecond)) + 1; len(frames) > max {
		t.Errorf("%d redraws in %v: more than 5 a second", len(frames), el)
	}
	for _, f := range frames {
		if len(f) > 59 || strings.Contains(f, "\n") {
			t.Errorf("frame %q: wider than the terminal or a new line", f)
		}
		if !strings.HasPrefix(f, "t: ") || !strings.Contains(f, "%") {
			t.Errorf("frame %q: no name or no percentage", f)
		}
	}
	if !strings.HasPrefix(last, "t: 1.00 MiB in 0:00:0") || !strings.Contains(last, " average: done") {
		t.Errorf("last line %q", last)
	}
	t.Logf("%d frames in %v; first %q; last %q", len(frames), el, frames[0], last)
}

// TestFpvStalled: off a terminal, a line comes every interval even while no
// data flows, and the current rate falls to zero.
func TestFpvStalled(t *testing.T) {
	cmd := exec.Command(bin("fpv"), "-i", "0.1")
	in, _ := cmd.StdinPipe()
	var stderr bytes.Buffer
	cmd.Stdout = io.Discard
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	in.Write([]byte("hello"))
	time.Sleep(1500 * time.Millisecond)
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	if len(lines) < 5 {
		t.Fatalf("%d lines in 1.5 s at -i 0.1:\n%s", len(lines), stderr.String())
	}
	if l := lines[len(lines)-2]; !strings.Contains(l, "5 B in 0:00:01, 0 B/s now") {
		t.Errorf("line before the last: %q, want 0 B/s now", l)
	}
}
