package tests

// The relay attacks and failures family: in shell pipes of our tools, a
// failing, killed or signalled stage must never let the sink commit,
// whatever another local user did to the note folder, whoever runs each
// side of a pipe, and a stale note must never fail a healthy run.

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// nobody runs a command as user and group 65534.
var nobody = []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"}

// needRootSetpriv skips t unless it runs as root with setpriv, which the
// cases that run a side of a pipe as another user need.
func needRootSetpriv(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: runs one side of a pipe as user nobody")
	}
	if _, err := exec.LookPath("setpriv"); err != nil {
		t.Skip("needs setpriv (util-linux)")
	}
	openBinDir.Do(func() { os.Chmod(binDir, 0o755) })
}

var openBinDir sync.Once

// relayDir is a folder that user nobody can use too.
func relayDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "fpipe-relay-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o777|os.ModeSticky)
	return dir
}

// relSh runs script with sh in dir, with env added to the environment.
func relSh(t *testing.T, dir string, env []string, script string) relResult {
	t.Helper()
	c := exec.Command("sh", "-c", script)
	c.Dir = dir
	c.Env = append(os.Environ(), env...)
	var out, errb bytes.Buffer
	c.Stdout, c.Stderr = &out, &errb
	done := make(chan error, 1)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- c.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		c.Process.Kill()
		err = <-done
		t.Errorf("%s: still running after 30 s", script)
	}
	r := relResult{exitCode(err), out.String(), errb.String()}
	relNoPanic(t, r.stderr)
	return r
}

// writeOld writes content into dir/name, owned by uid, and returns what
// checkSame needs.
func writeOld(t *testing.T, dir, name, content string, uid int) fileState {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chown(p, uid, uid)
	return stateOf(t, p)
}

type fileState struct {
	path string
	data string
	ino  uint64
}

func stateOf(t *testing.T, p string) fileState {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fileState{p, string(b), st.Sys().(*syscall.Stat_t).Ino}
}

// unchanged fails t if the file is not as it was; it says what it found.
func (f fileState) unchanged(t *testing.T) string {
	t.Helper()
	got, err := os.ReadFile(f.path)
	st, serr := os.Stat(f.path)
	if err != nil || serr != nil {
		t.Errorf("%s: %v %v", filepath.Base(f.path), err, serr)
		return filepath.Base(f.path) + " missing"
	}
	if string(got) != f.data || st.Sys().(*syscall.Stat_t).Ino != f.ino {
		t.Errorf("%s replaced: %d bytes (inode %d), want the old %d bytes (inode %d)", filepath.Base(f.path), len(got), st.Sys().(*syscall.Stat_t).Ino, len(f.data), f.ino)
		return filepath.Base(f.path) + " REPLACED"
	}
	return filepath.Base(f.path) + " kept"
}

// failsClosed checks the usual outcome of a failing pipeline: exit 1 (or
// want), the first cause named by fsink, the old file kept, no temp.
func failsClosed(t *testing.T, r relResult, want int, stderrHas string, old fileState) string {
	t.Helper()
	if r.code != want {
		t.Errorf("%v; want exit %d", r, want)
	}
	if stderrHas != "" && !strings.Contains(r.stderr, stderrHas) {
		t.Errorf("stderr %q; want it to say %q", r.stderr, stderrHas)
	}
	kept := old.unchanged(t)
	if tf := tempFiles(filepath.Dir(old.path)); len(tf) > 0 {
		t.Errorf("temporary files left: %v", tf)
	}
	return fmt.Sprintf("exit %d, %s; %s", r.code, lastLine(r.stderr), kept)
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	if s == "" {
		return "(no stderr)"
	}
	return s
}

const gzChain = "fread missing | fgz | fsink b.gz"

func relRelay(t *testing.T) {
	relayAttacks(t)
	relayUsers(t)
	relayStale(t)
	relayKill(t)
	relaySignals(t)
	relayReverse(t)
	relayFpipe(t)
	relayMessages(t)
}

// relayAttacks: what another local user, or an unlucky environment, can
// do to the note folder must never turn a failure into a commit.
func relayAttacks(t *testing.T) {
	relCase(t, "foreign-tmp-folder", "fread | fgz | fsink", "as nobody: mkdir -m700 $TMPDIR/fpipe-0 (the old note folder) before root's run: "+gzChain,
		"exit 1, b.gz kept", func(t *testing.T) string {
			needRootSetpriv(t)
			dir := relayDir(t)
			tmp := filepath.Join(dir, "tmp")
			os.Mkdir(tmp, 0o777|os.ModeSticky)
			os.Chmod(tmp, 0o777|os.ModeSticky)
			if out, err := exec.Command(nobody[0], append(nobody[1:], "mkdir", "-m700", filepath.Join(tmp, "fpipe-0"))...).CombinedOutput(); err != nil {
				t.Fatalf("mkdir as nobody: %v %s", err, out)
			}
			old := writeOld(t, dir, "b.gz", "yesterday's good backup\n", 0)
			r := relSh(t, dir, []string{"TMPDIR=" + tmp}, gzChain)
			return failsClosed(t, r, 1, "fsink: the stage before failed: fread: missing", old)
		})
	relCase(t, "xdg-nowhere", "fread | fgz | fsink", "XDG_RUNTIME_DIR=/nonexistent/run, as root and as nobody (HOME=/nonexistent too): "+gzChain,
		"exit 1, b.gz kept, both times", func(t *testing.T) string {
			dir := relayDir(t)
			old := writeOld(t, dir, "b.gz", "yesterday's good backup\n", 0)
			r := relSh(t, dir, []string{"XDG_RUNTIME_DIR=/nonexistent/run"}, gzChain)
			obs := "root: " + failsClosed(t, r, 1, "fread: missing", old)
			if os.Geteuid() != 0 {
				return obs
			}
			needRootSetpriv(t)
			os.Chown(dir, 65534, 65534)
			old = writeOld(t, dir, "b.gz", "yesterday's good backup\n", 65534)
			n := strings.Join(nobody, " ")
			r = relSh(t, dir, []string{"XDG_RUNTIME_DIR=/nonexistent/run", "HOME=/nonexistent"},
				n+" fread missing | "+n+" fgz | "+n+" fsink b.gz")
			return obs + "; nobody: " + failsClosed(t, r, 1, "fsink: the stage before", old)
		})
	relCase(t, "note-folder-taken", "fread | fgz | fsink", "as nobody, with $HOME/.cache/fpipe created first by root (mode 0777) and no XDG_RUNTIME_DIR: "+gzChain,
		"exit 1, b.gz kept (the reason is lost, the failure is not)", func(t *testing.T) string {
			needRootSetpriv(t)
			dir := relayDir(t)
			home := filepath.Join(dir, "home")
			os.MkdirAll(filepath.Join(home, ".cache", "fpipe"), 0o777)
			os.Chown(home, 65534, 65534)
			os.Chown(filepath.Join(home, ".cache"), 65534, 65534)
			os.Chmod(filepath.Join(home, ".cache", "fpipe"), 0o777)
			work := filepath.Join(dir, "work")
			os.Mkdir(work, 0o755)
			os.Chown(work, 65534, 65534)
			// The old note folder in $TMPDIR taken too, for the old design.
			tmp := filepath.Join(dir, "tmp")
			os.Mkdir(tmp, 0o777)
			os.Chmod(tmp, 0o777|os.ModeSticky)
			os.Mkdir(filepath.Join(tmp, "fpipe-65534"), 0o700)
			old := writeOld(t, work, "b.gz", "yesterday's good backup\n", 65534)
			n := strings.Join(nobody, " ")
			r := relSh(t, work, []string{"HOME=" + home, "XDG_RUNTIME_DIR=", "TMPDIR=" + tmp},
				n+" fread missing | "+n+" fgz | "+n+" fsink b.gz")
			return failsClosed(t, r, 1, "fsink: the stage before", old)
		})
	relCase(t, "note-disk-full", "fread | fgz | fsink", "as nobody, XDG_RUNTIME_DIR on a full 4 KiB tmpfs: "+gzChain,
		"exit 1, b.gz kept", func(t *testing.T) string {
			needRootSetpriv(t)
			run := mountTmpfs(t, "size=4k,mode=0700,uid=65534,gid=65534")
			os.Chmod(filepath.Dir(run), 0o755)
			os.Chmod(filepath.Dir(filepath.Dir(run)), 0o755)
			if out, err := exec.Command(nobody[0], append(nobody[1:], "sh", "-c", "mkdir "+run+"/fpipe; head -c 1M /dev/zero > "+run+"/filler; true")...).CombinedOutput(); err != nil {
				t.Fatalf("filling the tmpfs: %v %s", err, out)
			}
			dir := relayDir(t)
			os.Chown(dir, 65534, 65534)
			old := writeOld(t, dir, "b.gz", "yesterday's good backup\n", 65534)
			n := strings.Join(nobody, " ")
			r := relSh(t, dir, []string{"XDG_RUNTIME_DIR=" + run, "HOME=/nonexistent", "TMPDIR=" + run},
				n+" fread missing | "+n+" fgz | "+n+" fsink b.gz")
			return failsClosed(t, r, 1, "fsink: the stage before", old)
		})
}

// relayUsers: the writer and the reader of a pipe run as different users.
func relayUsers(t *testing.T) {
	n := strings.Join(nobody, " ")
	for _, tc := range []struct{ name, sh string }{
		{"writer-nobody-reader-root", n + " fread missing | fgz | fsink b.gz"},
		{"writer-root-reader-nobody", "fread missing | " + n + " fgz | " + n + " fsink b.gz"},
	} {
		relCase(t, tc.name, "fread | fgz | fsink", tc.sh, "exit 1, b.gz kept", func(t *testing.T) string {
			needRootSetpriv(t)
			dir := relayDir(t)
			os.Chown(dir, 65534, 65534)
			old := writeOld(t, dir, "b.gz", "yesterday's good backup\n", 65534)
			r := relSh(t, dir, nil, tc.sh)
			// The reason is lost between two users' note folders; the
			// failure is not.
			return failsClosed(t, r, 1, "fsink: the stage before", old)
		})
	}
}

// relayStale: a note left on a FIFO that nobody of ours read must not fail
// a later healthy run on a new FIFO that reuses the inode.
func relayStale(t *testing.T) {
	relCase(t, "stale-note-fifo-reuse", "fread > fifo; fsink < fifo",
		"mkfifo q; fread missing > q & cat q; rm q; mkfifo q2 (same inode); fread in > q2 & fsink c < q2",
		"the second run succeeds: exit 0, c = in", func(t *testing.T) string {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "in"), []byte("healthy data\n"), 0o644)
			ino := func(p string) uint64 {
				st, err := os.Stat(filepath.Join(dir, p))
				if err != nil {
					t.Fatal(err)
				}
				return st.Sys().(*syscall.Stat_t).Ino
			}
			reused := false
			for try := 0; try < 20 && !reused; try++ {
				os.Remove(filepath.Join(dir, "q"))
				os.Remove(filepath.Join(dir, "q2"))
				syscall.Mkfifo(filepath.Join(dir, "q"), 0o600)
				r := relSh(t, dir, nil, "fread missing > q & cat q > /dev/null; wait")
				if !strings.Contains(r.stderr, "missing") {
					t.Fatalf("first run: %v", r)
				}
				old := ino("q")
				os.Remove(filepath.Join(dir, "q"))
				syscall.Mkfifo(filepath.Join(dir, "q2"), 0o600)
				reused = ino("q2") == old
			}
			if !reused {
				t.Skip("the file system did not reuse the FIFO's inode in 20 tries")
			}
			r := relSh(t, dir, nil, "fread in > q2 & fsink c < q2; s=$?; wait; exit $s")
			got, _ := os.ReadFile(filepath.Join(dir, "c"))
			if r.code != 0 || string(got) != "healthy data\n" {
				t.Errorf("%v, c = %q; want exit 0 and the data", r, got)
			}
			return fmt.Sprintf("inode reused; %v; c = %q", r, got)
		})
}

// relayKill: SIGKILL to a writer of ours: the mark stays "running".
func relayKill(t *testing.T) {
	relCase(t, "sigkill-writer", "fread - | fsink", "SIGKILL to fread after 1 MiB went through",
		"fsink exit 1 (the stage before ended without saying it succeeded), backup kept", func(t *testing.T) string {
			dir := t.TempDir()
			old := writeOld(t, dir, "b", "yesterday's good backup\n", 0)
			procs, feed := startChain(t, dir, [][]string{{"fread", "-"}, {"fsink", "b"}})
			go feed.Write(randBytes(3, 4<<20))
			waitFor(t, func() bool { return tempSize(dir) >= 1<<20 })
			procs[0].cmd.Process.Kill()
			feed.Close()
			codes := waitChain(t, procs)
			if codes[0] != 137 || codes[1] != 1 || !strings.Contains(procs[1].stderr.String(), "the stage before ended without saying it succeeded") {
				t.Errorf("exits %v, fsink said %q; want 137, 1 and the generic reason", codes, procs[1].stderr.String())
			}
			return fmt.Sprintf("exits %v; %s; %s", codes, lastLine(procs[1].stderr.String()), old.unchanged(t))
		})
	relCase(t, "crash-writer", "fread - | fsink", "SIGSEGV sent to fread after 1 MiB (the Go runtime crashes, as on a real fault)",
		"fsink exit 1, backup kept", func(t *testing.T) string {
			dir := t.TempDir()
			old := writeOld(t, dir, "b", "yesterday's good backup\n", 0)
			procs, feed := startChain(t, dir, [][]string{{"fread", "-"}, {"fsink", "b"}})
			go feed.Write(randBytes(6, 4<<20))
			waitFor(t, func() bool { return tempSize(dir) >= 1<<20 })
			procs[0].cmd.Process.Signal(syscall.SIGSEGV)
			feed.Close()
			c0, c1 := exitCode(procs[0].cmd.Wait()), exitCode(procs[1].cmd.Wait())
			relNoPanic(t, procs[1].stderr.String())
			if c0 == 0 || c1 != 1 || !strings.Contains(procs[1].stderr.String(), "the stage before ended without saying it succeeded") {
				t.Errorf("exits %d, %d, fsink said %q; want a crash, 1 and the generic reason", c0, c1, procs[1].stderr.String())
			}
			return fmt.Sprintf("exits %d %d; %s; %s", c0, c1, lastLine(procs[1].stderr.String()), old.unchanged(t))
		})
	relCase(t, "sequential-writers", "{ fread; fread; } | fsink",
		"{ fread missing; fread in; } | fsink b, and { fread in; fread in2; } | fsink c with 3 MiB each",
		"first: exit 1, b kept; second: exit 0, c = in + in2", func(t *testing.T) string {
			dir := t.TempDir()
			a, b := randBytes(4, 3<<20), randBytes(5, 3<<20)
			os.WriteFile(filepath.Join(dir, "in"), a, 0o644)
			os.WriteFile(filepath.Join(dir, "in2"), b, 0o644)
			old := writeOld(t, dir, "b", "yesterday's good backup\n", 0)
			r := relSh(t, dir, nil, "{ fread missing; fread in; } | fsink b")
			obs := failsClosed(t, r, 1, "fsink: the stage before", old)
			r = relSh(t, dir, nil, "{ fread in; fread in2; } | fsink c")
			got, _ := os.ReadFile(filepath.Join(dir, "c"))
			if r.code != 0 || !bytes.Equal(got, append(a, b...)) {
				t.Errorf("%v, c has %d bytes; want exit 0 and both inputs", r, len(got))
			}
			return obs + fmt.Sprintf("; healthy: %v, c has %d bytes", r, len(got))
		})
}

// chainProc is one process of a pipeline that a test wires itself.
type chainProc struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
}

// startChain starts argvs joined by pipes in dir; the first reads from
// the returned writer.
func startChain(t *testing.T, dir string, argvs [][]string) ([]chainProc, io.WriteCloser) {
	t.Helper()
	var procs []chainProc
	var prevR *os.File
	feedR, feed, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	prevR = feedR
	var toClose []*os.File
	for i, argv := range argvs {
		path := bin(argv[0])
		if _, err := os.Stat(path); err != nil {
			path = argv[0] // not ours: from PATH
		}
		c := exec.Command(path, argv[1:]...)
		c.Dir = dir
		c.Stdin = prevR
		toClose = append(toClose, prevR)
		if i < len(argvs)-1 {
			r, w, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			c.Stdout = w
			toClose = append(toClose, w)
			prevR = r
		}
		var eb bytes.Buffer
		c.Stderr = &eb
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		procs = append(procs, chainProc{c, &eb})
	}
	for _, f := range toClose {
		f.Close()
	}
	return procs, feed
}

func waitChain(t *testing.T, procs []chainProc) []int {
	t.Helper()
	codes := make([]int, len(procs))
	for i, p := range procs {
		done := make(chan error, 1)
		go func() { done <- p.cmd.Wait() }()
		select {
		case err := <-done:
			codes[i] = exitCode(err)
		case <-time.After(20 * time.Second):
			for _, q := range procs {
				q.cmd.Process.Kill()
			}
			codes[i] = exitCode(<-done)
			t.Errorf("%s still running 20 s after the signal", p.cmd.Args[0])
		}
		relNoPanic(t, p.stderr.String())
	}
	return codes
}

// relaySignals sends each catchable fatal signal to each stage of
// fread - | fgz | fsum -o | fsink in the middle of the stream.
func relaySignals(t *testing.T) {
	sigs := []syscall.Signal{syscall.SIGQUIT, syscall.SIGABRT, syscall.SIGUSR1}
	if *relFull {
		sigs = []syscall.Signal{syscall.SIGQUIT, syscall.SIGABRT, syscall.SIGUSR1, syscall.SIGUSR2,
			syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGALRM, syscall.SIGVTALRM,
			syscall.SIGXCPU, syscall.SIGXFSZ, syscall.SIGPWR, syscall.SIGSTKFLT,
			syscall.SIGSYS, syscall.SIGTRAP, syscall.SIGIO, syscall.Signal(35), syscall.Signal(64)}
	}
	chain := [][]string{{"fread", "-"}, {"fgz"}, {"fsum", "-o", "b.gz.sha256", "--name", "b.gz"}, {"fsink", "b.gz"}}
	for _, sig := range sigs {
		for victim := range chain {
			name := fmt.Sprintf("signal/%s/%s", strings.ReplaceAll(unix2name(sig), "+", ""), chain[victim][0])
			relCase(t, name, "fread | fgz | fsum -o | fsink", fmt.Sprintf("%s to %s after 1 MiB reached fsink", unix2name(sig), chain[victim][0]),
				fmt.Sprintf("%s exits %d; b.gz and b.gz.sha256 kept, no temp of b.gz", chain[victim][0], 128+int(sig)), func(t *testing.T) string {
					dir := t.TempDir()
					old := writeOld(t, dir, "b.gz", "yesterday's good backup\n", 0)
					oldSum := writeOld(t, dir, "b.gz.sha256", "0000  b.gz\n", 0)
					procs, feed := startChain(t, dir, chain)
					go func() { feed.Write(randBytes(uint64(sig), 16<<20)) }()
					waitFor(t, func() bool { return tempSize(dir) >= 1<<20 })
					procs[victim].cmd.Process.Signal(sig)
					time.Sleep(20 * time.Millisecond)
					feed.Close()
					codes := waitChain(t, procs)
					if codes[victim] != 128+int(sig) {
						t.Errorf("%s exit %d, want %d; stderr %q", chain[victim][0], codes[victim], 128+int(sig), procs[victim].stderr.String())
					}
					if codes[3] == 0 {
						t.Errorf("fsink exit 0, want a failure")
					}
					kept := old.unchanged(t) + ", " + oldSum.unchanged(t)
					// fsum -o killed by SIGPIPE (after fsink stopped) leaves
					// its temporary file to the next run, as SIGKILL does.
					if tf, _ := filepath.Glob(filepath.Join(dir, ".b.gz.[^s]*.fsink-tmp")); len(tf) > 0 {
						t.Errorf("temporary files left: %v", tf)
					}
					return fmt.Sprintf("exits %v; fsink: %s; %s", codes, lastLine(procs[3].stderr.String()), kept)
				})
		}
	}
	relCase(t, "sigpipe-quiet", "fread | head", "fread 8 MiB | head -c1", "exit 0 from the pipeline, no stderr (SIGPIPE as cat)", func(t *testing.T) string {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, "big"), randBytes(9, 8<<20), 0o644)
		r := relSh(t, dir, nil, "fread big | head -c1 > /dev/null")
		if r.code != 0 || r.stderr != "" {
			t.Errorf("%v; want exit 0 and no stderr", r)
		}
		return r.String()
	})
}

func unix2name(s syscall.Signal) string {
	if s >= 34 && s <= 64 {
		return "SIGRTMIN+" + strconv.Itoa(int(s)-34)
	}
	return map[syscall.Signal]string{syscall.SIGQUIT: "SIGQUIT", syscall.SIGABRT: "SIGABRT", syscall.SIGUSR1: "SIGUSR1",
		syscall.SIGUSR2: "SIGUSR2", syscall.SIGTERM: "SIGTERM", syscall.SIGINT: "SIGINT", syscall.SIGHUP: "SIGHUP",
		syscall.SIGALRM: "SIGALRM", syscall.SIGVTALRM: "SIGVTALRM", syscall.SIGPROF: "SIGPROF", syscall.SIGXCPU: "SIGXCPU",
		syscall.SIGXFSZ: "SIGXFSZ", syscall.SIGPWR: "SIGPWR", syscall.SIGSTKFLT: "SIGSTKFLT", syscall.SIGSYS: "SIGSYS",
		syscall.SIGTRAP: "SIGTRAP", syscall.SIGIO: "SIGIO"}[s]
}

// relayReverse: fsum -o in a shell pipe commits its sum file only when
// the stages after it committed.
func relayReverse(t *testing.T) {
	for _, tc := range []struct {
		name, sh, expected string
		wantSum            bool
	}{
		{"fsum-o-empty-refused", "true | fsum -o b.sha256 --name b | fsink b", "fsink refuses the empty input: b and b.sha256 kept, fsum exit 1", false},
		{"fsum-o-no-clobber", "fread in | fsum -o b.sha256 --name b | fsink --no-clobber b", "fsink refuses: b and b.sha256 kept", false},
		{"fsum-o-through-fgz", "fread in | fsum -o b.sha256 --name b | fgz | fsink -n b", "fsink refuses after fgz: b.sha256 kept", false},
		{"fsum-o-commits", "fread in | fsum -o b.sha256 --name b | fgz | fsink b", "all commit: b.sha256 describes in", true},
		{"fsum-o-foreign-reader", "fread in | fsum -o b.sha256 --name b | cat > /dev/null", "a program that is not ours read everything: b.sha256 written", true},
	} {
		relCase(t, tc.name, "fsum -o | fsink", tc.sh, tc.expected, func(t *testing.T) string {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "in"), randBytes(11, 1<<20), 0o644)
			old := writeOld(t, dir, "b", "yesterday's good backup\n", 0)
			oldSum := writeOld(t, dir, "b.sha256", sumHex([]byte("yesterday's good backup\n"))+"  b\n", 0)
			r := relSh(t, dir, nil, tc.sh)
			if !tc.wantSum {
				if r.code == 0 {
					t.Errorf("%v; want a failure", r)
				}
				return fmt.Sprintf("%v; %s, %s", r, old.unchanged(t), oldSum.unchanged(t))
			}
			got, _ := os.ReadFile(filepath.Join(dir, "b.sha256"))
			want := sumHex(randBytes(11, 1<<20)) + "  b\n"
			if r.code != 0 || string(got) != want {
				t.Errorf("%v, b.sha256 = %q; want exit 0 and %q", r, got, want)
			}
			return fmt.Sprintf("%v; b.sha256 = the new sum: %v", r, string(got) == want)
		})
	}
	relCase(t, "fsum-o-reader-sigkill", "fsum -o | fgz", "fread - | fsum -o s | fgz | sleep 30 (fgz read everything and blocks on its output); SIGKILL to fgz",
		"fsum exit 1, s kept", func(t *testing.T) string {
			dir := t.TempDir()
			oldSum := writeOld(t, dir, "s", "0000  b\n", 0)
			procs, feed := startChain(t, dir, [][]string{{"fread", "-"}, {"fsum", "-o", "s", "--name", "b"}, {"fgz"}, {"sleep", "30"}})
			feed.Write(randBytes(12, 2<<20))
			feed.Close()
			// fsum has handed its output off once its stdout is /dev/null.
			fd1 := fmt.Sprintf("/proc/%d/fd/1", procs[1].cmd.Process.Pid)
			waitFor(t, func() bool { l, _ := os.Readlink(fd1); return l == os.DevNull })
			procs[2].cmd.Process.Kill()
			procs[3].cmd.Process.Kill()
			codes := waitChain(t, procs)
			if codes[1] != 1 || !strings.Contains(procs[1].stderr.String(), "not committed") {
				t.Errorf("exits %v, fsum said %q; want fsum to exit 1, not committed", codes, procs[1].stderr.String())
			}
			return fmt.Sprintf("exits %v; fsum: %s; %s", codes, lastLine(procs[1].stderr.String()), oldSum.unchanged(t))
		})
}

// relayFpipe: fpipe at both ends of shell pipes relays like every tool.
func relayFpipe(t *testing.T) {
	for _, tc := range []struct{ name, sh, dest, stderr string }{
		{"fpipe-reader", "fread missing | fpipe 'fgz | fsink b.gz'", "b.gz", "the stage before failed: fread: missing"},
		{"fpipe-reader-child", "fread p missing | fpipe 'cat | fsink b.gz'", "b.gz", "fpipe"},
		{"fpipe-writer", "fpipe -q 'fread p missing' | fsink b.gz", "b.gz", "fsink: the stage before failed: fpipe"},
	} {
		relCase(t, tc.name, "fpipe", tc.sh, "exit 1, "+tc.dest+" kept", func(t *testing.T) string {
			dir := t.TempDir()
			os.WriteFile(filepath.Join(dir, "p"), []byte("partial\n"), 0o644)
			old := writeOld(t, dir, tc.dest, "yesterday's good backup\n", 0)
			r := relSh(t, dir, nil, tc.sh)
			return failsClosed(t, r, 1, tc.stderr, old)
		})
	}
}

// relayMessages: a name cannot forge a second line of error.
func relayMessages(t *testing.T) {
	relCase(t, "newline-in-name", "fread", `fread 'a<newline>fsink: forged'`, "one line on stderr, the name quoted as coreutils does", func(t *testing.T) string {
		dir := t.TempDir()
		r := relSh(t, dir, nil, `fread "$(printf 'a\nfsink: forged')"`)
		want := `fread: 'a'$'\n''fsink: forged': no such file or directory` + "\n"
		if r.code != 1 || r.stderr != want {
			t.Errorf("%v; want exit 1 and %q", r, want)
		}
		return r.String()
	})
}
