package tests

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
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

// TestFpvDiskFull: under fpipe, fpv's last line says that the sink after
// it could not write (a full 1 MiB tmpfs), with the cause. (In a shell
// pipe, fpv is then killed by SIGPIPE while it writes, as pv and cat are;
// the refusals at commit are in fpv_outcome.txtar.)
func TestFpvDiskFull(t *testing.T) {
	dir := mountTmpfs(t, "size=1m")
	old, ino := oldDest(t, dir, "backup")
	cmd := exec.Command(bin("fpipe"), "fread --length 4M /dev/zero | fpv | fsink backup")
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); exitCode(err) != 1 {
		t.Errorf("exit %d, want 1", exitCode(err))
	}
	want := []string{
		`^\S+ fpipe: stage 2 \(fpv\): .* average: failed: stage 3 \(fsink backup\): .*backup: no space left on device$`,
		`^fpipe: stage 3 \(fsink backup\): .*backup: no space left on device$`,
	}
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	if len(lines) != len(want) {
		t.Fatalf("stderr %q, want %d lines", stderr.String(), len(want))
	}
	for i, re := range want {
		if !regexp.MustCompile(re).MatchString(lines[i]) {
			t.Errorf("line %d %q, want %s", i+1, lines[i], re)
		}
	}
	checkIntact(t, dir, "backup", old, ino)
}

// TestFpvForeignReader: after fpv, a program that is not ours and holds the
// pipe without reading it does not hold fpv up: fpv says "done" and exits
// as it did before it asked for a verdict.
func TestFpvForeignReader(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	sleep := exec.Command("sleep", "5")
	sleep.Stdin = r
	if err := sleep.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { sleep.Process.Kill(); sleep.Wait() }()
	r.Close()
	fpv := exec.Command(bin("fpv"))
	fpv.Stdin = strings.NewReader(strings.Repeat("x", 1000))
	fpv.Stdout = w
	var stderr bytes.Buffer
	fpv.Stderr = &stderr
	time.Sleep(100 * time.Millisecond) // sleep runs its own program
	start := time.Now()
	err = fpv.Run()
	w.Close()
	if d := time.Since(start); err != nil || d > 2*time.Second {
		t.Errorf("fpv = %v after %v, want a prompt success", err, d)
	}
	if !strings.HasSuffix(stderr.String(), " average: done\n") {
		t.Errorf("stderr %q", stderr.String())
	}
}

// TestFpvInterrupted: a stopped run still ends with fpv's last line, at
// once: under fpipe with the signal, in a shell pipe as "interrupted".
func TestFpvInterrupted(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"fpipe", []string{bin("fpipe"), "fread /dev/zero | fpv -L 1m | fsink out"}, " average: failed: SIGTERM: stopped, nothing committed"},
		{"shell", []string{bin("fpv"), "-L", "1m", "/dev/zero"}, " average: failed: interrupted"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(c.args[0], c.args[1:]...)
			cmd.Dir = dir
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if c.name == "shell" { // into fsink, through a pipe
				sink := exec.Command(bin("fsink"), "out")
				sink.Dir = dir
				pipe, err := sink.StdinPipe()
				if err != nil {
					t.Fatal(err)
				}
				cmd.Stdout = pipe.(*os.File)
				if err := sink.Start(); err != nil {
					t.Fatal(err)
				}
				defer sink.Wait()
				defer pipe.Close()
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(500 * time.Millisecond)
			start := time.Now()
			cmd.Process.Signal(syscall.SIGTERM)
			err := cmd.Wait()
			if d := time.Since(start); d > time.Second {
				t.Errorf("ended %v after SIGTERM", d)
			}
			if exitCode(err) != 128+int(syscall.SIGTERM) {
				t.Errorf("exit %d, want %d", exitCode(err), 128+int(syscall.SIGTERM))
			}
			if !strings.Contains(stderr.String(), c.want+"\n") {
				t.Errorf("stderr %q, want a last line ending %q", stderr.String(), c.want)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "out")); err == nil {
		t.Error("out was committed")
	}
}

// TestFpvInterruptedWaiting: a signal while fpv waits for the verdict (its
// own stream was complete) ends it at once, with a last line that does not
// claim what it does not know; the tool after it still commits.
func TestFpvInterruptedWaiting(t *testing.T) {
	dir := t.TempDir()
	// frate reads it all at once and takes about a second to pass it on
	sink := exec.Command("sh", "-c", bin("frate")+" 64 | "+bin("fsink")+" out")
	sink.Dir = dir
	pipe, err := sink.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	fpv := exec.Command(bin("fpv"))
	fpv.Stdin = strings.NewReader(strings.Repeat("some data\n", 10))
	fpv.Stdout = pipe.(*os.File)
	var stderr bytes.Buffer
	fpv.Stderr = &stderr
	if err := sink.Start(); err != nil {
		t.Fatal(err)
	}
	if err := fpv.Start(); err != nil {
		t.Fatal(err)
	}
	pipe.Close()
	time.Sleep(300 * time.Millisecond)
	start := time.Now()
	fpv.Process.Signal(syscall.SIGTERM)
	err = fpv.Wait()
	if d := time.Since(start); d > time.Second {
		t.Errorf("ended %v after SIGTERM", d)
	}
	if exitCode(err) != 128+int(syscall.SIGTERM) {
		t.Errorf("exit %d", exitCode(err))
	}
	if want := " average: failed: stopped before the next stage said whether it committed\n"; !strings.HasSuffix(stderr.String(), want) {
		t.Errorf("stderr %q, want it to end with %q", stderr.String(), want)
	}
	if err := sink.Wait(); err != nil {
		t.Errorf("fsink: %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "out")); err != nil || string(b) != strings.Repeat("some data\n", 10) {
		t.Errorf("out: %q, %v", b, err)
	}
}
