package tests

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/fpipe/fpipe/internal/stagetest"
)

// The destination checks are the stages' tests' own.
var (
	oldDest     = stagetest.OldFile     // dir/name with yesterday's backup: content, inode
	inodeOf     = stagetest.Inode       // the inode of a path
	checkIntact = stagetest.CheckIntact // content and inode unchanged, no temporary file
	checkNoTemp = stagetest.CheckNoTemp // no temporary file left
)

// tempFiles lists fsink temporary files in dir.
func tempFiles(dir string) []string {
	m, _ := filepath.Glob(filepath.Join(dir, ".*.fsink-tmp"))
	return m
}

// startFsink starts fsink with a pipe as stdin, feeds it n bytes and waits
// until its temporary file holds them.
func startFsink(t *testing.T, dir string, n int, args ...string) (*exec.Cmd, io.WriteCloser, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(bin("fsink"), args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := in.Write(bytes.Repeat([]byte("new data "), n/9+1)[:n]); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	dest := filepath.Base(args[len(args)-1])
	for {
		if tf, _ := filepath.Glob(filepath.Join(dir, "."+dest+".*.fsink-tmp")); len(tf) == 1 {
			if st, err := os.Stat(tf[0]); err == nil && st.Size() >= int64(n) {
				break
			}
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("fsink did not write its temporary file; stderr: %s", stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	return cmd, in, &stderr
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

// TestFsinkSignals: SIGTERM, SIGINT, SIGHUP mid-stream abort the copy.
func TestFsinkSignals(t *testing.T) {
	for _, tc := range []struct {
		sig  syscall.Signal
		code int
		name string
	}{{syscall.SIGTERM, 143, "SIGTERM"}, {syscall.SIGINT, 130, "SIGINT"}, {syscall.SIGHUP, 129, "SIGHUP"}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			old, ino := oldDest(t, dir, "backup")
			cmd, in, stderr := startFsink(t, dir, 1<<20, "backup")
			if err := cmd.Process.Signal(tc.sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			in.Close()
			if got := exitCode(err); got != tc.code {
				t.Errorf("fsink after %s: exit %d, want %d", tc.name, got, tc.code)
			}
			if want := "fsink: " + tc.name + ": stopped, nothing committed\n"; stderr.String() != want {
				t.Errorf("stderr = %q, want %q", stderr.String(), want)
			}
			checkIntact(t, dir, "backup", old, ino)
		})
	}
}

// TestFsinkSigintIgnored: an fsink started with SIGINT ignored (as by
// nohup or & in a script) keeps going and commits.
func TestFsinkSigintIgnored(t *testing.T) {
	dir := t.TempDir()
	oldDest(t, dir, "backup")
	// sh -c 'trap "" INT; exec fsink backup' starts fsink with SIGINT ignored.
	cmd := exec.Command("sh", "-c", `trap "" INT; exec "$0" backup`, bin("fsink"))
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	in, _ := cmd.StdinPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("fresh "), 100000)
	in.Write(data[:300000])
	waitFor(t, func() bool { return len(tempFiles(dir)) == 1 })
	cmd.Process.Signal(syscall.SIGINT)
	time.Sleep(50 * time.Millisecond)
	in.Write(data[300000:])
	in.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("fsink with SIGINT ignored: %v, stderr %q", err, stderr.String())
	}
	got, _ := os.ReadFile(filepath.Join(dir, "backup"))
	if !bytes.Equal(got, data) {
		t.Errorf("backup has %d bytes, want the new %d", len(got), len(data))
	}
	checkNoTemp(t, dir)
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out waiting")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestFsinkSigkill: SIGKILL leaves the destination intact and a temporary
// file behind, which the next fsink removes once it is provably dead
// (lockable) and at least ten seconds old; a live one is never removed.
func TestFsinkSigkill(t *testing.T) {
	dir := t.TempDir()
	old, ino := oldDest(t, dir, "backup")
	cmd, in, _ := startFsink(t, dir, 1<<20, "backup")
	cmd.Process.Kill()
	cmd.Wait()
	in.Close()
	left := tempFiles(dir)
	if len(left) != 1 || !strings.HasPrefix(filepath.Base(left[0]), ".backup.") {
		t.Fatalf("after SIGKILL: temporary files %v, want one .backup.*.fsink-tmp", left)
	}
	got, _ := os.ReadFile(filepath.Join(dir, "backup"))
	if !bytes.Equal(got, old) || inodeOf(t, filepath.Join(dir, "backup")) != ino {
		t.Fatal("SIGKILL changed the destination")
	}

	// A live fsink's temporary file, aged artificially: never removed.
	live, liveIn, _ := startFsink(t, dir, 1000, "other")
	defer func() { live.Process.Kill(); live.Wait(); liveIn.Close() }()
	var liveTemp string
	for _, f := range tempFiles(dir) {
		if strings.HasPrefix(filepath.Base(f), ".other.") {
			liveTemp = f
		}
	}
	past := time.Now().Add(-time.Hour)
	os.Chtimes(liveTemp, past, past)

	// Fresh leftover: kept by the next fsink.
	run := func() {
		c := exec.Command(bin("fsink"), "third")
		c.Dir = dir
		c.Stdin = strings.NewReader("x")
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("fsink third: %v %s", err, out)
		}
	}
	run()
	if _, err := os.Stat(left[0]); err != nil {
		t.Fatalf("a leftover younger than ten seconds was removed: %v", err)
	}
	// Old and unlocked: removed.
	os.Chtimes(left[0], past, past)
	run()
	if _, err := os.Stat(left[0]); !os.IsNotExist(err) {
		t.Errorf("dead leftover %s not removed: %v", left[0], err)
	}
	if _, err := os.Stat(liveTemp); err != nil {
		t.Errorf("a live fsink's temporary file was removed: %v", err)
	}
}

// TestFsinkRace: fsinks racing to one destination leave exactly one input.
func TestFsinkRace(t *testing.T) {
	for _, n := range []int{2, 8} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			dir := t.TempDir()
			inputs := make([][]byte, n)
			sums := map[[32]byte]bool{}
			for i := range inputs {
				inputs[i] = bytes.Repeat([]byte{byte('a' + i)}, 2<<20)
				sums[sha256.Sum256(inputs[i])] = true
			}
			var wg sync.WaitGroup
			for i := range inputs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c := exec.Command(bin("fsink"), "dest")
					c.Dir = dir
					c.Stdin = bytes.NewReader(inputs[i])
					if out, err := c.CombinedOutput(); err != nil {
						t.Errorf("fsink %d: %v %s", i, err, out)
					}
				}()
			}
			wg.Wait()
			got, err := os.ReadFile(filepath.Join(dir, "dest"))
			if err != nil {
				t.Fatal(err)
			}
			if !sums[sha256.Sum256(got)] {
				t.Errorf("dest (%d bytes) is none of the inputs", len(got))
			}
			checkNoTemp(t, dir)
		})
	}
}

// TestFsinkEmptyUpstream: an upstream failure in a shell pipe keeps the
// destination (the relay tells fsink; the empty-input rule would too).
func TestFsinkEmptyUpstream(t *testing.T) {
	dir := t.TempDir()
	old, ino := oldDest(t, dir, "backup")
	c := exec.Command("sh", "-c", "fread missing-file | fsink backup")
	c.Dir = dir
	out, err := c.CombinedOutput()
	if exitCode(err) != 1 {
		t.Errorf("exit %d, want 1; output %s", exitCode(err), out)
	}
	if !strings.Contains(string(out), "fread: missing-file: no such file or directory") ||
		!strings.Contains(string(out), "fsink: the stage before failed: fread: missing-file: no such file or directory") {
		t.Errorf("output %q lacks fread's and fsink's messages", out)
	}
	checkIntact(t, dir, "backup", old, ino)
}

// TestFsinkOwnerMode: as root, a replaced file keeps mode 0640 and owner
// nobody:nogroup.
func TestFsinkOwnerMode(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "f")
	os.WriteFile(p, []byte("old"), 0o640)
	os.Chmod(p, 0o640)
	const nobody, nogroup = 65534, 65534
	if err := os.Chown(p, nobody, nogroup); err != nil {
		t.Fatal(err)
	}
	c := exec.Command(bin("fsink"), "f")
	c.Dir = dir
	c.Stdin = strings.NewReader("new")
	if out, err := c.CombinedOutput(); err != nil {
		t.Fatalf("%v %s", err, out)
	}
	st, _ := os.Stat(p)
	sys := st.Sys().(*syscall.Stat_t)
	if st.Mode().Perm() != 0o640 || sys.Uid != nobody || sys.Gid != nogroup {
		t.Errorf("after replace: mode %o owner %d:%d, want 640 %d:%d", st.Mode().Perm(), sys.Uid, sys.Gid, nobody, nogroup)
	}
}

// mountTmpfs mounts a small tmpfs (root only) and returns its path.
func mountTmpfs(t *testing.T, opts string) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root to mount a tmpfs")
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", opts, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	return dir
}

// TestFsinkDiskFull: on a full 1 MiB tmpfs, fsink fails, the destination is
// intact, the temporary file is gone and the free space is back.
func TestFsinkDiskFull(t *testing.T) {
	dir := mountTmpfs(t, "size=1m")
	old, ino := oldDest(t, dir, "backup")
	var before syscall.Statfs_t
	syscall.Statfs(dir, &before)
	c := exec.Command("sh", "-c", fmt.Sprintf("%s --length 4M /dev/zero | %s backup", bin("fread"), bin("fsink")))
	c.Dir = dir
	out, err := c.CombinedOutput()
	if exitCode(err) != 1 {
		t.Errorf("exit %d, want 1", exitCode(err))
	}
	if want := "fsink: backup: no space left on device\n"; !strings.HasSuffix(string(out), want) {
		t.Errorf("output %q, want it to end with %q", out, want)
	}
	checkIntact(t, dir, "backup", old, ino)
	var after syscall.Statfs_t
	syscall.Statfs(dir, &after)
	if after.Bfree != before.Bfree {
		t.Errorf("free blocks %d, before %d", after.Bfree, before.Bfree)
	}
}

// TestFsinkReadOnlyFolder: a read-only folder fails before any input is read.
func TestFsinkReadOnlyFolder(t *testing.T) {
	dir := mountTmpfs(t, "size=1m,ro")
	c := exec.Command(bin("fsink"), filepath.Join(dir, "out"))
	// stdin is a pipe nobody writes to: fsink must fail without reading it.
	r, w, _ := os.Pipe()
	defer w.Close()
	c.Stdin = r
	out, err := c.CombinedOutput()
	r.Close()
	if exitCode(err) != 1 || !strings.Contains(string(out), "cannot create a temporary file in "+dir+": read-only file system") {
		t.Errorf("exit %d, output %q", exitCode(err), out)
	}
}

// TestFsinkFsyncFails: an fsync error (injected with strace) means no
// rename: the destination is intact and the temporary file removed.
func TestFsinkFsyncFails(t *testing.T) {
	strace := needStrace(t)
	dir := t.TempDir()
	old, ino := oldDest(t, dir, "backup")
	c := exec.Command(strace, "-f", "-qq", "-o", "/dev/null", "-e", "trace=fsync", "-e", "inject=fsync:error=EIO:when=1", bin("fsink"), "backup")
	c.Dir = dir
	c.Stdin = strings.NewReader("new content that must not land")
	out, err := c.CombinedOutput()
	if exitCode(err) != 1 {
		t.Errorf("exit %d, want 1", exitCode(err))
	}
	if want := "fsink: backup: fsync: input/output error; destination left unchanged\n"; string(out) != want {
		t.Errorf("output %q, want %q", out, want)
	}
	checkIntact(t, dir, "backup", old, ino)
}

// TestFsinkDirFsyncFails: the folder's fsync failing after the rename is
// said as such.
func TestFsinkDirFsyncFails(t *testing.T) {
	strace := needStrace(t)
	dir := t.TempDir()
	oldDest(t, dir, "backup")
	c := exec.Command(strace, "-f", "-qq", "-o", "/dev/null", "-e", "trace=fsync", "-e", "inject=fsync:error=EIO", "-P", dir, bin("fsink"), "backup")
	c.Dir = dir
	c.Stdin = strings.NewReader("new")
	out, err := c.CombinedOutput()
	if exitCode(err) != 1 || !strings.Contains(string(out), "renamed, but syncing the folder failed: input/output error") {
		t.Errorf("exit %d, output %q", exitCode(err), out)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "backup")); string(got) != "new" {
		t.Errorf("backup = %q, want the renamed new content", got)
	}
}

func needStrace(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("strace")
	if err != nil {
		t.Skip("strace is missing (apt-get install strace)")
	}
	if err := exec.Command(p, "-qq", "-o", "/dev/null", "true").Run(); err != nil {
		t.Skipf("strace cannot trace here: %v", err)
	}
	return p
}
