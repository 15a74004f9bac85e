package tests

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// relGroups: what fpipe's child stages start themselves (grandchildren)
// does not outlive a stopped pipeline: each child leads a process group,
// which gets SIGTERM, then SIGKILL after --grace.
func relGroups(t *testing.T) {
	// The child starts a grandchild (sleep) that writes its pid, then fails
	// when the test says so (or waits to be stopped).
	child := func(trap string, exit bool) string {
		end := "exit 3"
		if !exit {
			end = "sleep 60"
		}
		return fmt.Sprintf(`sh -c '%s sleep 60 & echo $! > gpid; while [ ! -e go ]; do sleep 0.02; done; %s'`, trap, end)
	}
	cases := []struct {
		name, injected string
		text           string
		signal         bool // stop fpipe with SIGTERM, else the child fails
		wantCode       int
		atLeast        time.Duration // fpipe waited for the grace period
	}{
		{"child-fails", "a child starts a grandchild, then exits 3", child("", true) + " | fsink out", false, 1, 0},
		{"child-fails-grandchild-ignores-TERM", "as above, the grandchild ignores SIGTERM", child(`trap "" TERM;`, true) + " | fsink out", false, 1, time.Second},
		{"fpipe-SIGTERM", "fpipe gets SIGTERM while a child and its grandchild run", child("", false) + " | fsink out", true, 143, 0},
		{"fpipe-SIGTERM-grandchild-ignores-TERM", "as above, the grandchild ignores SIGTERM", child(`trap "" TERM;`, false) + " | fsink out", true, 143, time.Second},
	}
	for _, c := range cases {
		relCase(t, "fpipe/"+c.name, "fpipe --grace 1s", c.injected+" (no terminal: as from cron)", fmt.Sprintf("exit %d; no grandchild left once fpipe has exited; nothing committed", c.wantCode), func(t *testing.T) string {
			dir := t.TempDir()
			cmd := exec.Command(bin("fpipe"), "--grace", "1s", c.text)
			cmd.Dir = dir
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true} // no controlling terminal
			var errb bytes.Buffer
			cmd.Stderr = &errb
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			gpid := 0
			for deadline := time.Now().Add(10 * time.Second); gpid == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				b, _ := os.ReadFile(filepath.Join(dir, "gpid"))
				gpid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
			}
			if gpid == 0 {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatal("the grandchild did not start")
			}
			defer syscall.Kill(gpid, syscall.SIGKILL)
			start := time.Now()
			if c.signal {
				cmd.Process.Signal(syscall.SIGTERM)
			} else {
				os.WriteFile(filepath.Join(dir, "go"), nil, 0o644)
			}
			cmd.Stdout = nil
			r := runTimeout(t, cmd, 20*time.Second)
			r.stderr = errb.String()
			el := time.Since(start)
			alive := processAlive(gpid)
			if r.code != c.wantCode || alive || el < c.atLeast {
				t.Errorf("%v after %v; grandchild %d alive: %v", r, el, gpid, alive)
			}
			if _, err := os.Lstat(filepath.Join(dir, "out")); err == nil {
				t.Errorf("out committed")
			}
			return fmt.Sprintf("%v after %v; grandchild alive: %v", r, el.Round(10*time.Millisecond), alive)
		})
	}
	relGroupsDaemon(t)
}

// relGroupsDaemon: a child that leaves a process running in the background
// with its stderr (sh -c 'sleep 30 >/dev/null &', ssh -f) does not hold
// fpipe up once the pipeline has ended cleanly.
func relGroupsDaemon(t *testing.T) {
	relCase(t, "fpipe/child-leaves-a-background-process", "fpipe", "a child starts a process in the background that keeps its stderr, then writes and exits 0",
		"exit 0 at once (not when the background process ends); the output committed", func(t *testing.T) string {
			dir := t.TempDir()
			cmd := exec.Command(bin("fpipe"), `sh -c 'sleep 30 >/dev/null & echo $! > gpid; echo hi' | fsink out`)
			cmd.Dir = dir
			cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
			// A file, not a buffer: the test's own Wait would wait for the
			// background process, which inherits it.
			errf, err := os.Create(filepath.Join(t.TempDir(), "stderr"))
			if err != nil {
				t.Fatal(err)
			}
			defer errf.Close()
			cmd.Stderr = errf
			start := time.Now()
			r := runTimeout(t, cmd, 20*time.Second)
			el := time.Since(start)
			b, _ := os.ReadFile(errf.Name())
			r.stderr = string(b)
			if b, err := os.ReadFile(filepath.Join(dir, "gpid")); err == nil {
				if pid, _ := strconv.Atoi(strings.TrimSpace(string(b))); pid > 0 {
					syscall.Kill(pid, syscall.SIGKILL)
				}
			}
			got, _ := os.ReadFile(filepath.Join(dir, "out"))
			if r.code != 0 || string(got) != "hi\n" || el > 10*time.Second {
				t.Errorf("%v after %v, out %q", r, el, got)
			}
			return fmt.Sprintf("%v after %v; out %q", r, el.Round(10*time.Millisecond), got)
		})
}

// processAlive reports whether pid is a process that is neither gone nor
// a zombie (a killed orphan may wait for init to reap it).
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z' && s[i+2] != 'X'
}
