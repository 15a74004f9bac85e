package tests

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestFpipeSignals: SIGINT, SIGTERM and SIGHUP to fpipe midway abort the
// sink, leave the destination and no temporary file, end every child, and
// exit 128+signal.
func TestFpipeSignals(t *testing.T) {
	for _, tc := range []struct {
		sig  syscall.Signal
		name string
	}{{syscall.SIGINT, "SIGINT"}, {syscall.SIGTERM, "SIGTERM"}, {syscall.SIGHUP, "SIGHUP"}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			old, ino := oldDest(t, dir, "backup")
			// A child that writes some data and then waits: the marker
			// argument lets the test find it in the process table.
			marker := fmt.Sprintf("fpipe-test-%s-%d", tc.name, time.Now().UnixNano())
			pipeline := fmt.Sprintf(`sh -c 'head -c 300000 /dev/zero; exec sleep 60' %s | cat | fsink backup`, marker)
			cmd := exec.Command(bin("fpipe"), pipeline)
			cmd.Dir = dir
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, func() bool {
				tf := tempFiles(dir)
				if len(tf) != 1 {
					return false
				}
				st, err := os.Stat(tf[0])
				return err == nil && st.Size() >= 300000
			})
			cmd.Process.Signal(tc.sig)
			err := cmd.Wait()
			if got := exitCode(err); got != 128+int(tc.sig) {
				t.Errorf("exit %d, want %d; stderr %q", got, 128+int(tc.sig), stderr.String())
			}
			if !strings.Contains(stderr.String(), "fpipe: "+tc.name+": stopped, nothing committed") {
				t.Errorf("stderr %q", stderr.String())
			}
			checkIntact(t, dir, "backup", old, ino)
			if out, _ := exec.Command("pgrep", "-f", marker).Output(); len(out) > 0 {
				t.Errorf("a child outlived fpipe: pids %s", out)
				exec.Command("pkill", "-f", marker).Run()
			}
		})
	}
}

// TestFpipeFsinkFails: a sink that fails (full disk) makes fpipe fail, and
// the child before it is stopped, not left running.
func TestFpipeChildStopped(t *testing.T) {
	dir := t.TempDir()
	marker := fmt.Sprintf("fpipe-test-stop-%d", time.Now().UnixNano())
	// the sink fails at once (a missing folder), the child would run a minute
	cmd := exec.Command(bin("fpipe"), fmt.Sprintf(`sh -c 'exec sleep 60' %s | fsink nodir/out`, marker))
	cmd.Dir = dir
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if exitCode(err) != 1 || !strings.Contains(string(out), "fpipe: stage 2 (fsink nodir/out): nodir/out: cannot create a temporary file in nodir") {
		t.Errorf("exit %d, output %q", exitCode(err), out)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
	if out, _ := exec.Command("pgrep", "-f", marker).Output(); len(out) > 0 {
		t.Errorf("a child outlived fpipe: pids %s", out)
		exec.Command("pkill", "-f", marker).Run()
	}
}

// TestFpipeKillChildAfterGrace: a child that ignores SIGTERM is killed after
// the grace period.
func TestFpipeKillChildAfterGrace(t *testing.T) {
	dir := t.TempDir()
	oldDest(t, dir, "backup")
	// The child ignores SIGTERM and execs into a sleep whose unusual
	// duration marks it in the process table.
	dur := fmt.Sprintf("59.%d", time.Now().UnixNano()%1000000)
	cmd := exec.Command(bin("fpipe"), "--grace", "300ms",
		fmt.Sprintf(`sh -c 'trap "" TERM; exec sleep %s' | sh -c 'exit 5' | fsink backup`, dur))
	cmd.Dir = dir
	out, err := os.Create(filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd.Stdout, cmd.Stderr = out, out
	start := time.Now()
	err = cmd.Run()
	b, _ := os.ReadFile(filepath.Join(dir, "out"))
	if exitCode(err) != 1 || !strings.Contains(string(b), "stage 2 (sh -c 'exit 5'): exited with status 5") {
		t.Errorf("exit %d, output %q", exitCode(err), b)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v, want about the 300ms grace", d)
	}
	if pids, _ := exec.Command("pgrep", "-f", "sleep "+dur).Output(); len(pids) > 0 {
		t.Errorf("the child that ignored SIGTERM outlived fpipe: %s", pids)
		exec.Command("pkill", "-f", "sleep "+dur).Run()
	}
	checkNoTemp(t, dir)
}

// TestFpipeTerminal: run from a terminal, in its foreground, fpipe keeps its
// children in its own process group, so that a child reading the terminal
// is not stopped by SIGTTIN: `fpipe 'cat | fsink x'` takes what is typed.
func TestFpipeTerminal(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script(1) is missing (util-linux)")
	}
	dir := t.TempDir()
	c := exec.Command("script", "-qec", bin("fpipe")+" 'cat | fsink x'", "/dev/null")
	c.Dir = dir
	in, err := c.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	c.Stdout, c.Stderr = &out, &out
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		time.Sleep(300 * time.Millisecond)
		in.Write([]byte("typed\n"))
		time.Sleep(300 * time.Millisecond)
		in.Write([]byte{4}) // ^D: the end of input
		time.Sleep(2 * time.Second)
		in.Close()
	}()
	r := runTimeout(t, c, 20*time.Second)
	got, _ := os.ReadFile(filepath.Join(dir, "x"))
	if r.code != 0 || string(got) != "typed\n" {
		t.Errorf("exit %d, x = %q; terminal: %q", r.code, got, out.String())
	}
}
