package tests

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fpipe/fpipe/internal/stagetest"
	"golang.org/x/sys/unix"
)

// relBounded: inputs that are not the stream (rate files, sum files,
// pipeline texts) can neither block the stream nor make memory grow.
func relBounded(t *testing.T) {
	relFrateRateFile(t)
	relSumFiles(t)
	relPipelineText(t)
}

// relPipelineText: fpipe given a pipeline text over its limits, as an
// argument or with -f: refused with exit 2 before it is parsed or run, in
// bounded memory, nothing created.
func relPipelineText(t *testing.T) {
	const fpipeRSSKiB = 40 * 1024
	fill := func(n int, s string) string { return strings.Repeat(s, n/len(s)+1)[:n] }
	cases := []struct {
		name, injected string
		text           string
		file           bool
		msg            string
	}{
		{"file-900KB-of-stages", "-f FILE: 900,000 bytes of \"| fgz\" (150,000 commands)", "fread a" + fill(900000-len("fread a"), " | fgz"), true, "pipeline of 900000 bytes: the limit is 65536 bytes"},
		{"file-900KB-one-word", "-f FILE: one word of 900,000 bytes", "fread " + fill(900000, "x") + " | fsink b", true, "the limit is 65536 bytes"},
		{"file-64KiB-of-stages", "-f FILE: 65,533 bytes of \"| fgz\" (10,922 commands)", "fread a" + strings.Repeat(" | fgz", (65536-len("fread a"))/6), true, "more than 1024 words: the limit is 1024"},
		{"file-64KB-nested-arithmetic", "-f FILE: 64,998 bytes of \"$((\" (21,666 deep)", strings.Repeat("$((", 21666), true, "more than 16 of ( { $ `"},
		{"file-64KB-nested-if", "-f FILE: 64,998 bytes of \"if \" (21,666 deep)", strings.Repeat("if ", 21666), true, "more than 1024 words"},
		{"arg-100KB", "an argument of 100,000 bytes", "fread a | fsink b #" + fill(100000, "x"), false, "the limit is 65536 bytes"},
		{"arg-65-stages", "65 commands", "fread a" + strings.Repeat(" | fgz", 63) + " | fsink b", false, "more than 64 commands: the limit is 64"},
		{"arg-1025-words", "1025 words", "fread" + strings.Repeat(" a", 1023) + " | fsink b", false, "more than 1024 words: the limit is 1024"},
	}
	for _, c := range cases {
		relCase(t, "fpipe-text/"+c.name, "fpipe", c.injected, fmt.Sprintf("exit 2, %q; nothing created; peak RSS at most %d KiB", c.msg, fpipeRSSKiB), func(t *testing.T) string {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "a"), []byte("data\n"), 0o644)
			argv := []string{bin("fpipe"), c.text}
			if c.file {
				os.WriteFile(filepath.Join(dir, "p"), []byte(c.text), 0o644)
				argv = []string{bin("fpipe"), "-f", "p"}
			}
			r, rss := runRSS(t, dir, nil, argv...)
			if r.code != 2 || !strings.Contains(r.stderr, c.msg) || len(r.stderr) > 200 {
				t.Errorf("%v; want exit 2 and %q in a short message", r, c.msg)
			}
			if rss > fpipeRSSKiB {
				t.Errorf("peak RSS %d KiB, want at most %d KiB", rss, fpipeRSSKiB)
			}
			if _, err := os.Lstat(filepath.Join(dir, "b")); err == nil {
				t.Errorf("b created")
			}
			return fmt.Sprintf("%v; peak RSS %d KiB", r, rss)
		})
	}
}

// plainRSSKiB is the peak RSS budget of a plain tool (fread, fsum, frate,
// fpv, fsink), in KiB.
const plainRSSKiB = 8 * 1024

// runRSS runs argv in dir with stdin (at most 2 minutes) under
// /usr/bin/time and returns what it gave and its peak RSS in KiB. (The
// rusage of a child that Go starts counts the test's own memory: the child
// shares it until exec.)
func runRSS(t *testing.T, dir string, stdin io.Reader, argv ...string) (relResult, int64) {
	t.Helper()
	if _, err := os.Stat("/usr/bin/time"); err != nil {
		t.Skip("/usr/bin/time is missing (apt-get install time)")
	}
	rssFile := filepath.Join(t.TempDir(), "rss")
	c := exec.Command("/usr/bin/time", append([]string{"-f", "%M", "-o", rssFile}, argv...)...)
	c.Dir = dir
	c.Stdin = stdin
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	r := runTimeout(t, c, 2*time.Minute)
	r.stdout = out.String()
	b, err := os.ReadFile(rssFile)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		t.Fatalf("/usr/bin/time wrote %q", b)
	}
	rss, err := strconv.ParseInt(f[len(f)-1], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return r, rss
}

// relSumFiles: fsum --verify and fsum -c with long sum files and absurd
// lines. The sum file is streamed: peak RSS stays in the plain budget.
func relSumFiles(t *testing.T) {
	lines := 200_000
	if *relFull {
		lines = 2_000_000
	}
	dir := t.TempDir()
	data := randBytes(23, 1000)
	os.WriteFile(filepath.Join(dir, "f"), data, 0o644)
	good := fmt.Sprintf("%x  f\n", sha256.Sum256(data))
	gen := func(name string, line func(i int) string) {
		fh, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriterSize(fh, 1<<20)
		for i := range lines {
			w.WriteString(line(i))
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		fh.Close()
	}
	gen("same", func(int) string { return good })
	gen("distinct", func(i int) string {
		if i == lines-1 {
			return good
		}
		return fmt.Sprintf("%064x  other%d\n", i, i)
	})
	long := filepath.Join(dir, "long")
	os.WriteFile(long, bytes.Repeat([]byte("a"), 64<<20), 0o644)
	n := fmt.Sprintf("%d", lines)
	// fsum -c opens and hashes a file per line: threads for the blocking
	// calls and the garbage of each open add about 1 MiB to the plain budget,
	// whatever the sum file's length (200,000 and 2,000,000 lines: 7.2-8.1 MiB).
	checkRSSKiB := int64(plainRSSKiB + 1024)
	cases := []struct {
		name, injected string
		args           []string
		code           int
		msg            string
	}{
		{"verify/same-name", n + " lines, all for the name --verify asks for", []string{"--verify", "same", "--name", "f"}, 1, "more than one sha256 line for f"},
		{"verify/same-line-no-name", n + " lines, all the same, no --name", []string{"--verify", "same"}, 1, "more than one checksum line"},
		{"verify/match-last", n + " lines, the one for --name last", []string{"--verify", "distinct", "--name", "f"}, 0, ""},
		{"verify/64MiB-line", "one line of 64 MiB, no newline", []string{"--verify", "long", "--name", "f"}, 1, "1: line longer than 16384 bytes"},
		{"check/same-name", n + " lines naming one file (-c --quiet)", []string{"-c", "--quiet", "same"}, 0, ""},
		{"check/64MiB-line", "one line of 64 MiB, no newline (-c --warn)", []string{"-c", "--warn", "long"}, 1, "1: line longer than 16384 bytes"},
	}
	for _, c := range cases {
		budget := int64(plainRSSKiB)
		if c.args[0] == "-c" {
			budget = checkRSSKiB
		}
		relCase(t, "fsum-"+c.name, "fsum "+c.args[0], "sum file: "+c.injected,
			fmt.Sprintf("exit %d%s; peak RSS at most %d KiB", c.code, map[bool]string{true: ", " + c.msg}[c.msg != ""], budget), func(t *testing.T) string {
				var stdin io.Reader
				if c.args[0] == "--verify" {
					stdin = bytes.NewReader(data)
				}
				r, rss := runRSS(t, dir, stdin, append([]string{bin("fsum")}, c.args...)...)
				if r.code != c.code || !strings.Contains(r.stderr, c.msg) || strings.Count(r.stderr, "\n") > 2 {
					t.Errorf("%v; want exit %d and %q", r, c.code, c.msg)
				}
				if c.code == 0 && c.args[0] == "--verify" && r.stdout != string(data) {
					t.Errorf("the stream was not passed through")
				}
				if rss > budget {
					t.Errorf("peak RSS %d KiB, want at most %d KiB", rss, budget)
				}
				return fmt.Sprintf("%v; peak RSS %d KiB", r, rss)
			})
	}
}

// relFrateRateFile: frate --rate-file whose FILE, at a reload signal, is
// something that cannot be read quickly. frate keeps the old rate, says so,
// and the stream and its end go on.
func relFrateRateFile(t *testing.T) {
	type kind struct {
		name, injected string
		// mk replaces the rate file rf; it may return a cleanup.
		mk func(t *testing.T, rf string) func()
	}
	replace := func(t *testing.T, rf string, mk func(tmp string) error) {
		tmp := rf + ".new"
		if err := mk(tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, rf); err != nil {
			t.Fatal(err)
		}
	}
	kinds := []kind{
		{"fifo-no-writer", "FILE becomes a FIFO that nobody writes to", func(t *testing.T, rf string) func() {
			replace(t, rf, func(p string) error { return syscall.Mkfifo(p, 0o644) })
			return nil
		}},
		{"fifo-silent-writer", "FILE becomes a FIFO that a writer holds open and never writes", func(t *testing.T, rf string) func() {
			replace(t, rf, func(p string) error { return syscall.Mkfifo(p, 0o644) })
			// O_RDWR opens a FIFO without waiting for a reader.
			w, err := os.OpenFile(rf, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			return func() { w.Close() }
		}},
		{"dev-zero", "FILE becomes a symbolic link to /dev/zero", func(t *testing.T, rf string) func() {
			replace(t, rf, func(p string) error { return os.Symlink("/dev/zero", p) })
			return nil
		}},
		{"directory", "FILE becomes a directory", func(t *testing.T, rf string) func() {
			os.Remove(rf)
			replace(t, rf, func(p string) error { return os.Mkdir(p, 0o755) })
			return nil
		}},
		{"huge-line", "FILE becomes 16 MiB of digits without a newline", func(t *testing.T, rf string) func() {
			replace(t, rf, func(p string) error { return os.WriteFile(p, bytes.Repeat([]byte("7"), 16<<20), 0o644) })
			return nil
		}},
	}
	for _, k := range kinds {
		for _, sig := range []syscall.Signal{syscall.SIGHUP, syscall.SIGUSR1} {
			if !*relFull && sig == syscall.SIGUSR1 && k.name != "fifo-no-writer" {
				continue
			}
			relCase(t, "frate-rate-file/"+k.name+"/"+unix.SignalName(sig), "frate --rate-file", k.injected+", then "+unix.SignalName(sig)+", then the input ends",
				"the old rate kept and said so; every byte copied; exit 0 within seconds", func(t *testing.T) string {
					return frateReload(t, k.mk, sig)
				})
		}
	}
	for _, k := range kinds[:3] {
		relCase(t, "frate-rate-file/at-start/"+k.name, "frate --rate-file", k.injected+" before frate starts",
			"refused at once (exit 1 or 2), the reason on stderr; nothing read", func(t *testing.T) string {
				dir := t.TempDir()
				rf := filepath.Join(dir, "rate")
				os.WriteFile(rf, []byte("1M\n"), 0o644)
				if undo := k.mk(t, rf); undo != nil {
					defer undo()
				}
				c := exec.Command(bin("frate"), "--rate-file", rf)
				c.Stdin = strings.NewReader("data")
				var out, errb bytes.Buffer
				c.Stdout, c.Stderr = &out, &errb
				r := runTimeout(t, c, 10*time.Second)
				if r.code != 1 && r.code != 2 || !strings.Contains(r.stderr, "frate: ") || out.Len() != 0 {
					t.Errorf("%v, stdout %q; want exit 1 or 2 with the reason", r, out.String())
				}
				return r.String()
			})
	}
}

// frateReload runs frate --rate-file at 1 MiB/s, makes the rate file bad
// with mk, sends sig, then ends the input.
func frateReload(t *testing.T, mk func(t *testing.T, rf string) func(), sig syscall.Signal) string {
	dir := t.TempDir()
	rf := filepath.Join(dir, "rate")
	os.WriteFile(rf, []byte("1M\n"), 0o644)
	c := exec.Command(bin("frate"), "--rate-file", rf)
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer pw.Close()
	c.Stdin = pr
	var errb stagetest.SyncBuffer
	c.Stderr = &errb
	out, _ := c.StdoutPipe()
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	pr.Close()
	var n int64
	copied := make(chan struct{})
	go func() { n, _ = io.Copy(io.Discard, out); close(copied) }()
	pw.Write([]byte("x"))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if m, err := unreadBytes(pw); err == nil && m == 0 {
			break
		}
		if time.Now().After(deadline) {
			c.Process.Kill()
			c.Wait()
			t.Fatal("frate does not read")
		}
	}
	if undo := mk(t, rf); undo != nil {
		defer undo()
	}
	c.Process.Signal(sig)
	// The reload has happened once it said so.
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(errb.String(), "keeping") && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	pw.Write(make([]byte, 9999))
	pw.Close()
	done := make(chan error, 1)
	go func() { <-copied; done <- c.Wait() }()
	var code int
	start := time.Now()
	select {
	case err := <-done:
		code = exitCode(err)
	case <-time.After(10 * time.Second):
		c.Process.Kill()
		<-done
		t.Fatalf("frate did not end 10 s after the end of its input (reload blocked); stderr %q", errb.String())
	}
	stderr := strings.TrimSpace(errb.String())
	if code != 0 || n != 10000 || !strings.Contains(stderr, "keeping 1MiB/s") || strings.Count(stderr, "\n") != 0 {
		t.Errorf("exit %d, %d bytes, stderr %q; want exit 0, 10000 bytes, one line keeping 1MiB/s", code, n, stderr)
	}
	return fmt.Sprintf("exit %d after %v, %d bytes; %s", code, time.Since(start).Round(10*time.Millisecond), n, stderr)
}

// runTimeout runs the started-or-not command c and waits at most d; a
// command still running then is killed and the test fails.
func runTimeout(t *testing.T, c *exec.Cmd, d time.Duration) relResult {
	t.Helper()
	if c.Process == nil {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	select {
	case err := <-done:
		r := relResult{code: exitCode(err)}
		if b, ok := c.Stderr.(*bytes.Buffer); ok {
			r.stderr = b.String()
		}
		relNoPanic(t, r.stderr)
		return r
	case <-time.After(d):
		c.Process.Kill()
		<-done
		t.Errorf("%s hung (killed after %v)", strings.Join(c.Args, " "), d)
		return relResult{-1, "", "hung"}
	}
}
