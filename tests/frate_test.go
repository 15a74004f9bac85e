package tests

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// arrivals reads r to the end and notes when each byte count arrived,
// from start.
type arrivals struct {
	mu    sync.Mutex
	start time.Time
	at    []time.Duration
	total []int64
}

func (a *arrivals) read(r io.Reader) {
	buf := make([]byte, 1<<20)
	var n int64
	for {
		k, err := r.Read(buf)
		if k > 0 {
			n += int64(k)
			a.mu.Lock()
			a.at = append(a.at, time.Since(a.start))
			a.total = append(a.total, n)
			a.mu.Unlock()
		}
		if err != nil {
			return
		}
	}
}

// bytesBetween is how many bytes arrived in (from, to].
func (a *arrivals) bytesBetween(from, to time.Duration) int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	var before, upto int64
	for i, t := range a.at {
		if t <= from {
			before = a.total[i]
		}
		if t <= to {
			upto = a.total[i]
		}
	}
	return upto - before
}

// runFrate runs frate with args on input, and returns when the output
// arrived. The bytes must come through unchanged.
func runFrate(t *testing.T, input []byte, args ...string) (*arrivals, time.Duration) {
	t.Helper()
	cmd := exec.Command(bin("frate"), args...)
	cmd.Stdin = bytes.NewReader(input)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	a := &arrivals{start: time.Now()}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	a.read(out)
	el := time.Since(a.start)
	if err := cmd.Wait(); err != nil || stderr.Len() > 0 {
		t.Fatalf("frate %s: %v, %s", strings.Join(args, " "), err, stderr.String())
	}
	if n := a.total[len(a.total)-1]; n != int64(len(input)) {
		t.Fatalf("frate passed %d bytes of %d", n, len(input))
	}
	return a, el
}

// TestFrateTiming checks the real binary loosely (the machine is shared and
// noisy; the exact timing is the unit tests' job, on a fake clock).
func TestFrateTiming(t *testing.T) {
	t.Run("5 bytes at 1 B/s", func(t *testing.T) {
		t.Parallel()
		_, el := runFrate(t, []byte("hello"), "1")
		if el < 4900*time.Millisecond || el > 6*time.Second {
			t.Errorf("5 bytes at 1 B/s took %v, want about 5 s", el)
		}
	})
	t.Run("2 MiB at 4 MiB/s", func(t *testing.T) {
		t.Parallel()
		a, el := runFrate(t, make([]byte, 2<<20), "4MiB")
		if el < 490*time.Millisecond || el > 800*time.Millisecond {
			t.Errorf("2 MiB at 4 MiB/s took %v, want about 0.5 s", el)
		}
		// Never ahead of the rate, by more than a pipe buffer the reader may
		// not have emptied yet.
		for i, at := range a.at {
			if allowed := int64(at.Seconds()*4*(1<<20)) + 64<<10; a.total[i] > allowed {
				t.Errorf("%d bytes at %v: ahead of the rate", a.total[i], at)
				break
			}
		}
	})
}

// TestFratePause stops frate for a second in the middle: afterwards it goes
// on at the rate, with at most one burst saved, not with a flood.
func TestFratePause(t *testing.T) {
	const rate = 4 << 20
	cmd := exec.Command(bin("frate"), "4MiB")
	cmd.Stdin = bytes.NewReader(make([]byte, rate*3/2))
	out, _ := cmd.StdoutPipe()
	a := &arrivals{start: time.Now()}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		cmd.Process.Signal(syscall.SIGSTOP)
		time.Sleep(time.Second)
		cmd.Process.Signal(syscall.SIGCONT)
	}()
	a.read(out)
	el := time.Since(a.start)
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if el < 2400*time.Millisecond {
		t.Errorf("1.5 s of data with a 1 s pause took %v: it caught up", el)
	}
	// In the 200 ms after SIGCONT: 0.8 MiB at the rate, one burst, and what
	// the pipe held; a catch-up would be 4 MiB.
	if n := a.bytesBetween(1300*time.Millisecond, 1500*time.Millisecond); n > 1200<<10 {
		t.Errorf("%d bytes in the 200 ms after SIGCONT: a flood", n)
	}
}

// TestFrateRateFile starts at 1 KiB/s and is sped up by a reload signal:
// the new rate applies at once, even to the piece that is waiting. Writing
// to a pipe, SIGUSR1 reloads (SIGHUP stops a tool writing to a pipe);
// writing to a file, SIGHUP reloads too.
func TestFrateRateFile(t *testing.T) {
	for _, c := range []struct {
		name   string
		sig    syscall.Signal
		toFile bool
	}{
		{"SIGUSR1 to a pipe", syscall.SIGUSR1, false},
		{"SIGHUP to a file", syscall.SIGHUP, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			rf := filepath.Join(dir, "rate")
			os.WriteFile(rf, []byte("1K\n"), 0o644)
			cmd := exec.Command(bin("frate"), "--rate-file", rf)
			pr, pw, err := os.Pipe() // the input: frate has started once it took the first byte
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stdin = pr
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			var out io.Reader
			var outFile string
			if c.toFile {
				outFile = filepath.Join(dir, "out")
				f, err := os.Create(outFile)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Close()
				cmd.Stdout = f
			} else {
				out, _ = cmd.StdoutPipe()
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			pr.Close()
			pw.Write([]byte("x"))
			// frate is running and reading once the first byte left the
			// pipe; its handler is set before it reads.
			for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
				if n, err := unreadBytes(pw); err == nil && n == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("frate does not read")
				}
			}
			os.WriteFile(rf, []byte("# faster\n100MiB/s\n"), 0o644)
			start := time.Now()
			cmd.Process.Signal(c.sig)
			go func() {
				pw.Write(make([]byte, 1<<20-1)) // 17 minutes at 1 KiB/s
				pw.Close()
			}()
			var n int64
			if out != nil {
				n, _ = io.Copy(io.Discard, out)
			}
			err = cmd.Wait()
			el := time.Since(start)
			if err != nil || stderr.Len() > 0 {
				t.Fatalf("frate: %v, %s", err, stderr.String())
			}
			if outFile != "" {
				st, _ := os.Stat(outFile)
				n = st.Size()
			}
			if n != 1<<20 || el > 3*time.Second {
				t.Errorf("after %v, %d bytes took %v; want 1 MiB at once", c.sig, n, el)
			}
		})
	}
}

// unreadBytes is how much is waiting in the pipe that w writes to.
func unreadBytes(w *os.File) (int, error) {
	rc, err := w.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var ierr error
	rc.Control(func(fd uintptr) { n, ierr = unix.IoctlGetInt(int(fd), unix.TIOCINQ) })
	return n, ierr
}

// TestFrateBadArgsReadNothing: a bad rate exits 2 at once, without waiting
// for input that never comes.
func TestFrateBadArgsReadNothing(t *testing.T) {
	for _, args := range [][]string{{"0"}, {"-1"}, {"NaN"}, {"1X"}, {"--burst", "0", "1M"}} {
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin("frate"), args...)
		cmd.Stdin = pr
		done := make(chan error, 1)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		pr.Close()
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			if exitCode(err) != 2 {
				t.Errorf("frate %q: exit %d, want 2", args, exitCode(err))
			}
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			t.Errorf("frate %q waited for input", args)
		}
		pw.Close()
	}
}
