package tests

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestRelaySigterm: SIGTERM to fread midway in `fread - | fsink backup`
// makes fsink abort, though it only saw an end of input.
func TestRelaySigterm(t *testing.T) {
	dir := t.TempDir()
	old, ino := oldDest(t, dir, "backup")
	pr, pw, err := os.Pipe() // fread | fsink
	if err != nil {
		t.Fatal(err)
	}
	fread := exec.Command(bin("fread"), "-")
	feed, err := fread.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	fread.Stdout = pw
	var freadErr, fsinkErr bytes.Buffer
	fread.Stderr = &freadErr
	fsink := exec.Command(bin("fsink"), "backup")
	fsink.Dir = dir
	fsink.Stdin = pr
	fsink.Stderr = &fsinkErr
	if err := fread.Start(); err != nil {
		t.Fatal(err)
	}
	if err := fsink.Start(); err != nil {
		t.Fatal(err)
	}
	pr.Close()
	pw.Close()
	feed.Write(bytes.Repeat([]byte("partial dump\n"), 20000))
	waitFor(t, func() bool {
		tf := tempFiles(dir)
		if len(tf) != 1 {
			return false
		}
		st, err := os.Stat(tf[0])
		return err == nil && st.Size() >= 260000
	})
	fread.Process.Signal(syscall.SIGTERM)
	if got := exitCode(fread.Wait()); got != 143 {
		t.Errorf("fread exit %d, want 143; stderr %q", got, freadErr.String())
	}
	feed.Close()
	if got := exitCode(fsink.Wait()); got != 1 {
		t.Errorf("fsink exit %d, want 1", got)
	}
	if want := "fsink: the stage before failed: fread: SIGTERM: stopped\n"; fsinkErr.String() != want {
		t.Errorf("fsink stderr %q, want %q", fsinkErr.String(), want)
	}
	checkIntact(t, dir, "backup", old, ino)
}

// TestRelayReadError: an I/O error reading the input midway (injected with
// strace) makes fread fail, and fsink after it keeps the old backup.
func TestRelayReadError(t *testing.T) {
	strace := needStrace(t)
	dir := t.TempDir()
	old, ino := oldDest(t, dir, "backup")
	big := filepath.Join(dir, "big")
	if err := os.WriteFile(big, bytes.Repeat([]byte("0123456789abcdef"), 1<<18), 0o644); err != nil {
		t.Fatal(err)
	}
	// fread moves file data into a pipe with splice; fail the second one.
	c := exec.Command("sh", "-c", strace+` -f -qq -o /dev/null -e trace=splice -e inject=splice:error=EIO:when=2 "$0" big | "$1" backup`, bin("fread"), bin("fsink"))
	c.Dir = dir
	out, err := c.CombinedOutput()
	if exitCode(err) != 1 {
		t.Errorf("exit %d, want 1: %s", exitCode(err), out)
	}
	for _, want := range []string{"fread: big: input/output error", "fsink: the stage before failed: fread: big: input/output error"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}
	checkIntact(t, dir, "backup", old, ino)
}
