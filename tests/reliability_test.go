package tests

// The reliability matrix: faults, signals and bad input over every tool,
// through the built binaries. Each case is a subtest and a row of a table
// that TestReliability prints at the end as Markdown, with a summary line
// "N cases, N passed, N failed". Without -reliability.full a fast subset
// runs (part of make test); with it, the full matrix (make reliability).

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

var (
	relFull = flag.Bool("reliability.full", false, "run the full reliability matrix (slow), not the fast subset")
	relMD   = flag.String("reliability.md", "", "also write the reliability table as Markdown to this file")
)

type relRow struct {
	name, tool, injected, expected, observed string
	pass                                     bool
}

var relTab struct {
	sync.Mutex
	rows    []relRow
	skipped []string
}

// relCase runs f as the subtest name and records its row: f fails the
// subtest (t.Error) on a mismatch and returns what it observed.
func relCase(t *testing.T, name, tool, injected, expected string, f func(t *testing.T) string) {
	t.Helper()
	t.Run(name, func(t *testing.T) {
		obs := "(stopped early: see the test log)"
		defer func() {
			relTab.Lock()
			defer relTab.Unlock()
			if t.Skipped() {
				relTab.skipped = append(relTab.skipped, t.Name())
				return
			}
			relTab.rows = append(relTab.rows, relRow{t.Name(), tool, injected, expected, obs, !t.Failed()})
		}()
		obs = f(t)
	})
}

func relTable() string {
	relTab.Lock()
	defer relTab.Unlock()
	var b strings.Builder
	esc := func(s string) string {
		s = strings.ReplaceAll(s, "|", `\|`)
		return strings.ReplaceAll(s, "\n", " ")
	}
	b.WriteString("| case | tool | injected | expected | observed | pass |\n|---|---|---|---|---|---|\n")
	passed := 0
	for _, r := range relTab.rows {
		p := "FAIL"
		if r.pass {
			p, passed = "ok", passed+1
		}
		name := strings.TrimPrefix(r.name, "TestReliability/")
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", esc(name), esc(r.tool), esc(r.injected), esc(r.expected), esc(r.observed), p)
	}
	if len(relTab.skipped) > 0 {
		fmt.Fprintf(&b, "\nSkipped: %s\n", strings.Join(relTab.skipped, ", "))
	}
	fmt.Fprintf(&b, "\n%d cases, %d passed, %d failed\n", len(relTab.rows), passed, len(relTab.rows)-passed)
	return b.String()
}

func TestReliability(t *testing.T) {
	start := time.Now()
	mode := "fast"
	if *relFull {
		mode = "full"
	}
	t.Cleanup(func() {
		out := relTable()
		fmt.Fprintf(os.Stdout, "\nReliability matrix (%s mode, %s):\n\n%s", mode, time.Since(start).Round(time.Second), out)
		if *relMD != "" {
			os.WriteFile(*relMD, []byte(out), 0o644)
		}
	})
	t.Run("crash", relCrash)
	t.Run("syscall", relSyscall)
	t.Run("devfull", relDevFull)
	t.Run("tmpfs", relTmpfs)
	t.Run("dest", relDest)
	t.Run("input", relInput)
	t.Run("race", relRace)
	t.Run("paths", relPaths)
	t.Run("outputs", relOutputs)
	t.Run("append", relAppend)
	t.Run("relay", relRelay)
	t.Run("bounded", relBounded)
	t.Run("closedfd", relClosedFD)
	t.Run("groups", relGroups)
	t.Run("s3", relS3)
	t.Run("files", relFiles)
}

// relResult is what a run of a tool gave.
type relResult struct {
	code           int
	stdout, stderr string
}

func (r relResult) String() string {
	s := strings.TrimSpace(r.stderr)
	if s == "" {
		s = "(no stderr)"
	}
	return fmt.Sprintf("exit %d, %s", r.code, s)
}

// relRun runs argv in dir with stdin and returns its exit status and
// output; it fails t if stderr shows a panic or a stack trace.
func relRun(t *testing.T, dir string, stdin io.Reader, argv ...string) relResult {
	t.Helper()
	c := exec.Command(argv[0], argv[1:]...)
	c.Dir = dir
	c.Stdin = stdin
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	err := c.Run()
	r := relResult{exitCode(err), out.String(), errb.String()}
	relNoPanic(t, r.stderr)
	return r
}

func relNoPanic(t *testing.T, stderr string) {
	t.Helper()
	if strings.Contains(stderr, "panic:") || strings.Contains(stderr, "goroutine ") {
		t.Errorf("stderr shows a panic or stack trace:\n%s", stderr)
	}
}

func sumHex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func fileHex(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return "missing"
	}
	return sumHex(b)
}

func randBytes(seed uint64, n int) []byte {
	b := make([]byte, n)
	io.ReadFull(newRand(seed), b)
	return b
}

// straceInject returns the argv prefix that runs a command under strace
// with the given -e options, or skips t without a working strace.
func straceInject(t *testing.T, trace string, injects ...string) []string {
	t.Helper()
	p := needStrace(t)
	argv := []string{p, "-f", "-qq", "-o", "/dev/null", "-e", "trace=" + trace}
	for _, in := range injects {
		argv = append(argv, "-e", "inject="+in)
	}
	return argv
}

// tracee returns the pid of strace's child once it has one.
func tracee(t *testing.T, pid int) int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/task/%d/children", pid, pid))
		if f := strings.Fields(string(b)); len(f) > 0 {
			c, _ := strconv.Atoi(f[0])
			return c
		}
		time.Sleep(time.Millisecond)
	}
	t.Fatal("strace started no child")
	return 0
}

// crashTool describes how to run one tool that commits a file, for the
// crash-point matrix.
type crashTool struct {
	name string
	// argv is the command line, run in dir; dest is the file it commits.
	argv func(dir string) []string
	dest string
	// fifo: the input comes through a FIFO "in" in dir, not stdin.
	fifo bool
	// passes: the tool copies its input to stdout (progress is counted there).
	passes bool
}

var crashTools = []crashTool{
	{name: "fsink", argv: func(string) []string { return []string{bin("fsink"), "dest"} }, dest: "dest"},
	{name: "fsum -o", argv: func(string) []string { return []string{bin("fsum"), "-o", "dest", "--name", "n"} }, dest: "dest", passes: true},
	{name: "fpipe", argv: func(string) []string { return []string{bin("fpipe"), "fread in | fsink dest"} }, dest: "dest", fifo: true},
}

// relCrash kills fsink, fsum -o and fpipe with SIGKILL, SIGTERM and SIGINT
// at many points across a copy and during the commit: the destination must
// be the old or the complete new content, and after a catchable signal no
// temporary file may remain.
func relCrash(t *testing.T) {
	points, size := 20, 1<<20
	if *relFull {
		points, size = 200, 4<<20
	}
	data := randBytes(7, size)
	old := []byte("the old content, which must survive\n")
	for _, tool := range crashTools {
		for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM, syscall.SIGINT} {
			name := strings.ReplaceAll(tool.name, " ", "") + "/" + sigName(sig)
			injected := fmt.Sprintf("%s at %d points: before the first byte, across %d bytes, and at random times during fsync/rename/fsync (slowed by strace delay_enter)", sigName(sig), points, size)
			expected := "dest sha256 = old or new every time"
			if sig != syscall.SIGKILL {
				expected += "; no temp file left; exit " + strconv.Itoa(128+int(sig)) + " (or 0 after the commit)"
			}
			relCase(t, name, tool.name, injected, expected, func(t *testing.T) string {
				return crashMatrix(t, tool, sig, points, data, old)
			})
		}
	}
}

func sigName(s syscall.Signal) string {
	return map[syscall.Signal]string{syscall.SIGKILL: "SIGKILL", syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT", syscall.SIGHUP: "SIGHUP"}[s]
}

func crashMatrix(t *testing.T, tool crashTool, sig syscall.Signal, points int, data, old []byte) string {
	dir := t.TempDir()
	dest := filepath.Join(dir, tool.dest)
	oldSum := sumHex(old)
	// The complete new content: a clean run.
	newSum := func() string {
		if tool.fifo {
			os.WriteFile(filepath.Join(dir, "in"), data, 0o644)
			defer os.Remove(filepath.Join(dir, "in"))
		}
		r := relRun(t, dir, bytes.NewReader(data), tool.argv(dir)...)
		if r.code != 0 {
			t.Fatalf("clean run: %v", r)
		}
		return fileHex(dest)
	}()
	var strace []string
	if p, err := exec.LookPath("strace"); err == nil && exec.Command(p, "-qq", "-o", "/dev/null", "true").Run() == nil {
		strace = []string{p, "-f", "-qq", "-o", "/dev/null", "-e", "trace=fsync,rename,renameat,renameat2",
			"-e", "inject=fsync:delay_enter=25000", "-e", "inject=rename,renameat,renameat2:delay_enter=15000"}
	}
	commitPoints := points / 5
	if strace == nil {
		commitPoints = 0
	}
	streamPoints := points - commitPoints
	rng := rand.New(rand.NewPCG(uint64(sig), uint64(len(tool.name))))
	var nOld, nNew, nBad, nTemp, nCode, hangs int
	var bad []string
	for i := 0; i < points; i++ {
		os.WriteFile(dest, old, 0o644)
		for _, f := range tempFiles(dir) {
			os.Remove(f)
		}
		commit := i >= streamPoints
		k := 0
		if !commit && streamPoints > 1 {
			k = int(int64(i) * int64(len(data)) / int64(streamPoints-1))
		}
		if i%2 == 1 && k%2 == 0 && k > 0 {
			k-- // odd k: input kept open until the tool exits
		} else if i%2 == 0 && k%2 == 1 {
			k--
		}
		if hangs >= 2 && k%2 == 1 {
			k-- // the tool hangs with its input open: close it at once from now on
		}
		code, what := crashPoint(t, dir, tool, sig, data, k, commit, strace, rng)
		if strings.Contains(what, "still running") {
			hangs++
		}
		switch fileHex(dest) {
		case oldSum:
			nOld++
		case newSum:
			nNew++
		default:
			nBad++
			bad = append(bad, what)
		}
		if sig != syscall.SIGKILL && len(tempFiles(dir)) > 0 {
			nTemp++
			bad = append(bad, what+": temp left")
		}
		want := 128 + int(sig)
		if code != want && !(commit && code == 0) {
			nCode++
			bad = append(bad, fmt.Sprintf("%s: exit %d", what, code))
		}
	}
	obs := fmt.Sprintf("%d points (%d in the stream, %d in the commit): %d old, %d new, %d other; %d with a temp left; %d unexpected exits",
		points, streamPoints, commitPoints, nOld, nNew, nBad, nTemp, nCode)
	if hangs > 0 {
		obs += fmt.Sprintf("; %d still running 1 s after the signal with the input open (then SIGKILLed; later points close the input at once)", hangs)
	}
	if sig == syscall.SIGKILL {
		obs = fmt.Sprintf("%d points (%d in the stream, %d in the commit): %d old, %d new, %d other; %d unexpected exits",
			points, streamPoints, commitPoints, nOld, nNew, nBad, nCode)
	}
	if nBad > 0 || (sig != syscall.SIGKILL && nTemp > 0) || nCode > 0 || hangs > 0 {
		if len(bad) > 5 {
			bad = bad[:5]
		}
		t.Errorf("%s; first problems: %s", obs, strings.Join(bad, "; "))
	}
	return obs
}

// crashPoint runs the tool once, feeds it k bytes (or, when commit, all of
// them and end of input), sends sig and returns the exit status.
func crashPoint(t *testing.T, dir string, tool crashTool, sig syscall.Signal, data []byte, k int, commit bool, strace []string, rng *rand.Rand) (int, string) {
	argv := tool.argv(dir)
	var delay time.Duration
	what := fmt.Sprintf("after %d bytes, input closed at once", k)
	if k%2 == 1 {
		what = fmt.Sprintf("after %d bytes, input kept open", k)
	}
	if commit {
		argv = append(append([]string{}, strace...), argv...)
		delay = time.Duration(rng.Int64N(int64(120 * time.Millisecond)))
		what = fmt.Sprintf("%v after the end of input", delay.Round(time.Millisecond))
	}
	c := exec.Command(argv[0], argv[1:]...)
	c.Dir = dir
	var stderr bytes.Buffer
	c.Stderr = &stderr
	var in io.WriteCloser
	fifo := filepath.Join(dir, "in")
	if tool.fifo {
		os.Remove(fifo)
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
	} else {
		w, err := c.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		in = w
	}
	var seen atomic.Int64
	var outDone chan struct{}
	if tool.passes {
		r, err := c.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		outDone = make(chan struct{})
		go func() {
			defer close(outDone)
			buf := make([]byte, 64<<10)
			for {
				n, err := r.Read(buf)
				seen.Add(int64(n))
				if err != nil {
					return
				}
			}
		}()
	}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	target := c.Process.Pid
	if commit {
		target = tracee(t, c.Process.Pid)
	}
	kill := func() { syscall.Kill(target, sig) }
	// Half the stream points end the input right after the signal, as a
	// Ctrl-C to a shell pipeline does (the stage before dies too); the other
	// half keep it open until the tool has exited.
	keepOpen := k%2 == 1
	finish := func() int {
		errc := make(chan error, 1)
		go func() { errc <- c.Wait() }()
		var err error
		if keepOpen && in != nil {
			select {
			case err = <-errc:
			case <-time.After(time.Second):
				what += " (still running 1 s after the signal)"
				c.Process.Kill()
				err = <-errc
			}
			in.Close()
		} else {
			if in != nil {
				in.Close()
			}
			// A tool that does not end after a fatal signal is a failure
			// of its own; never let it hang the whole suite.
			select {
			case err = <-errc:
			case <-time.After(20 * time.Second):
				what += " (still running 20 s after the signal, input closed)"
				c.Process.Kill()
				err = <-errc
			}
		}
		if outDone != nil {
			<-outDone
		}
		relNoPanic(t, stderr.String())
		if e := strings.TrimSpace(stderr.String()); e != "" {
			what += " [stderr: " + strings.ReplaceAll(e, "\n", " / ") + "]"
		}
		return exitCode(err)
	}
	if k == 0 && !commit {
		// Before the first byte: at once, or within a few milliseconds.
		time.Sleep(time.Duration(rng.Int64N(int64(5 * time.Millisecond))))
		kill()
		if tool.fifo {
			// Unblock a reader that may have opened the FIFO.
			if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
				f.Close()
			}
		}
		what = "before the first byte"
		code := finish()
		return code, what
	}
	if tool.fifo {
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		in = f
	}
	n := len(data)
	if !commit {
		n = k
	}
	if _, err := in.Write(data[:n]); err != nil {
		kill()
		what += " (write failed: " + err.Error() + ")"
		code := finish()
		return code, what
	}
	if commit {
		in.Close()
		in = nil
		time.Sleep(delay)
		kill()
		code := finish()
		return code, what
	}
	// Wait until the tool has taken the k bytes.
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if tool.passes {
			if seen.Load() >= int64(k) {
				break
			}
		} else if tempSize(dir) >= int64(k) {
			break
		}
		time.Sleep(200 * time.Microsecond)
	}
	kill()
	code := finish()
	return code, what
}

func tempSize(dir string) int64 {
	var n int64
	for _, f := range tempFiles(dir) {
		if st, err := os.Stat(f); err == nil {
			n += st.Size()
		}
	}
	return n
}
