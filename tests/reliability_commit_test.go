package tests

// Case families of the reliability matrix about where and how fsink
// commits: path resolution with symbolic links and "..", several outputs
// of one pipeline under faults, and appending beside other writers.

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

// leftovers lists fsink's private files (temporary files, kept old
// versions) in dir.
func leftovers(dir string) []string {
	var names []string
	for _, pat := range []string{".*.fsink-tmp", ".*.fsink-old"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, p := range m {
			names = append(names, filepath.Base(p))
		}
	}
	return names
}

// relPaths: the data lands where the kernel resolves the path, and the
// temporary file, the rename and the folder's fsync all happen in that
// folder. The tree: x/y, a -> x/y, x/y/link -> ../t (that is x/t).
func relPaths(t *testing.T) {
	tree := func(t *testing.T, dir string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(dir, "x", "y"), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, l := range [][2]string{{"x/y", "a"}, {"../t", "x/y/link"}, {"link", "x/y/link2"}, {"y/link2", "x/chain"}} {
			if err := os.Symlink(l[0], filepath.Join(dir, l[1])); err != nil {
				t.Fatal(err)
			}
		}
	}
	cases := []struct {
		name string
		argv []string
		onX  bool // x is a separate file system (tmpfs): a step in the wrong folder fails with EXDEV
	}{
		{"follow-relative-link-behind-a-link", []string{"fsink", "--follow", "a/link"}, false},
		{"follow-chain-of-links-in-two-folders", []string{"fsink", "--follow", "x/chain"}, false},
		{"follow-appended", []string{"fsink", "-a", "--follow", "a/link"}, false},
		{"dotdot-after-a-link", []string{"fsink", "a/../t"}, false},
		{"dotdot-after-a-link-other-fs", []string{"fsink", "a/../t"}, true},
		{"follow-other-fs", []string{"fsink", "--follow", "a/link"}, true},
		{"dotdot-under-fpipe-other-fs", []string{"fpipe", "fsink a/../t"}, true},
	}
	for _, c := range cases {
		inj := strings.Join(c.argv, " ") + " with x/y, a -> x/y, x/y/link -> ../t"
		if c.onX {
			inj += "; x on another file system"
		}
		relCase(t, c.name, c.argv[0], inj, "exit 0; the data in x/t, nothing in ./t or x/y/t, no temporary file left", func(t *testing.T) string {
			dir := t.TempDir()
			if c.onX {
				x := mountTmpfs(t, "size=1m")
				if err := os.Symlink(x, filepath.Join(dir, "x")); err != nil {
					t.Fatal(err)
				}
			}
			tree(t, dir)
			argv := append([]string{bin(c.argv[0])}, c.argv[1:]...)
			r := relRun(t, dir, strings.NewReader("NEW\n"), argv...)
			got, _ := os.ReadFile(filepath.Join(dir, "x", "t"))
			if r.code != 0 || string(got) != "NEW\n" {
				t.Errorf("%v; x/t = %q, want exit 0 and NEW", r, got)
			}
			for _, wrong := range []string{"t", "x/y/t"} {
				if _, err := os.Lstat(filepath.Join(dir, wrong)); err == nil {
					t.Errorf("%s was written", wrong)
				}
			}
			for _, d := range []string{dir, filepath.Join(dir, "x"), filepath.Join(dir, "x", "y")} {
				if l := leftovers(d); len(l) > 0 {
					t.Errorf("left in %s: %q", d, l)
				}
			}
			return fmt.Sprintf("%v; x/t = %q", r, got)
		})
	}
}

// relOutputs: the data and its sum file are one decision. When the sum
// file cannot be committed, the data file is put back (same inode, same
// bytes) and the run exits 1.
func relOutputs(t *testing.T) {
	type fault struct {
		name, inj string
		// setup makes committing dir/sums/s fail; prefix is an argv prefix
		// (strace) or nil.
		setup func(t *testing.T, dir string) (prefix []string, undo func())
	}
	faults := []fault{
		{"sum-file-immutable", "chattr +i on the sum file", func(t *testing.T, dir string) ([]string, func()) {
			s := filepath.Join(dir, "sums", "s")
			if out, err := exec.Command("chattr", "+i", s).CombinedOutput(); err != nil {
				t.Skipf("chattr +i does not work here: %v %s", err, out)
			}
			return nil, func() { exec.Command("chattr", "-i", s).Run() }
		}},
		{"sum-rename-EIO", "renameat in the sum file's folder fails with EIO (strace -P)", func(t *testing.T, dir string) ([]string, func()) {
			p := straceInject(t, "rename,renameat,renameat2", "rename,renameat,renameat2:error=EIO")
			return append(p, "-P", filepath.Join(dir, "sums")), func() {}
		}},
	}
	pipelines := []struct{ name, text string }{
		{"fpipe-fsum-o-then-fsink", "fread in | fsum -o sums/s --name b | fsink b"},
		{"fpipe-fsum-o-fgz-fsink", "fread in | fsum -o sums/s --name b | fgz | fsink b"},
		// cat is a child process: the two outputs are in two chains.
		{"fpipe-fsum-o-child-fsink", "fread in | fsum -o sums/s --name b | cat | fsink b"},
	}
	for _, f := range faults {
		for _, p := range pipelines {
			relCase(t, p.name+"/"+f.name, "fpipe", f.inj, "exit 1; b and the sum file as before (content, inode); no private file left", func(t *testing.T) string {
				dir := t.TempDir()
				os.Mkdir(filepath.Join(dir, "sums"), 0o755)
				os.WriteFile(filepath.Join(dir, "in"), bytes.Repeat([]byte("new data\n"), 10000), 0o644)
				oldB, inoB := oldDest(t, dir, "b")
				oldS := []byte("0000  b\n")
				os.WriteFile(filepath.Join(dir, "sums", "s"), oldS, 0o644)
				inoS := inodeOf(t, filepath.Join(dir, "sums", "s"))
				prefix, undo := f.setup(t, dir)
				defer undo()
				argv := append(prefix, bin("fpipe"), p.text)
				r := relRun(t, dir, nil, argv...)
				undo()
				if r.code != 1 {
					t.Errorf("%v, want exit 1", r)
				}
				checkIntact(t, dir, "b", oldB, inoB)
				checkIntact(t, filepath.Join(dir, "sums"), "s", oldS, inoS)
				for _, d := range []string{dir, filepath.Join(dir, "sums")} {
					if l := leftovers(d); len(l) > 0 {
						t.Errorf("left in %s: %q", d, l)
					}
				}
				return r.String()
			})
		}
	}
	relCase(t, "fpipe-both-commit", "fpipe", "none", "exit 0; b new, the sum file describes it; no private file left", func(t *testing.T) string {
		dir := t.TempDir()
		os.Mkdir(filepath.Join(dir, "sums"), 0o755)
		data := bytes.Repeat([]byte("new data\n"), 10000)
		os.WriteFile(filepath.Join(dir, "in"), data, 0o644)
		oldDest(t, dir, "b")
		os.WriteFile(filepath.Join(dir, "sums", "s"), []byte("0000  b\n"), 0o644)
		r := relRun(t, dir, nil, bin("fpipe"), "fread in | fsum -o sums/s --name b | fsink b")
		s, _ := os.ReadFile(filepath.Join(dir, "sums", "s"))
		if r.code != 0 || fileHex(filepath.Join(dir, "b")) != sumHex(data) || string(s) != sumHex(data)+"  b\n" {
			t.Errorf("%v; s = %q", r, s)
		}
		for _, d := range []string{dir, filepath.Join(dir, "sums")} {
			if l := leftovers(d); len(l) > 0 {
				t.Errorf("left in %s: %q", d, l)
			}
		}
		return r.String()
	})
	relCase(t, "sigkill-between-renames", "fpipe", "SIGKILL while the sum file's rename is delayed 3 s (strace -P), after the data file's rename",
		"b new; its old version kept as .b.XXXXXXXXXXXX.fsink-old; the sum file old; (full matrix: after 11 s the next fsink b reports the old version and keeps it)", func(t *testing.T) string {
			prefix := straceInject(t, "rename,renameat,renameat2", "rename,renameat,renameat2:delay_enter=3000000")
			dir := t.TempDir()
			os.Mkdir(filepath.Join(dir, "sums"), 0o755)
			data := bytes.Repeat([]byte("new data\n"), 10000)
			os.WriteFile(filepath.Join(dir, "in"), data, 0o644)
			oldB, _ := oldDest(t, dir, "b")
			os.WriteFile(filepath.Join(dir, "sums", "s"), []byte("0000  b\n"), 0o644)
			argv := append(prefix, "-P", filepath.Join(dir, "sums"), bin("fpipe"), "fread in | fsum -o sums/s --name b | fsink b")
			c := exec.Command(argv[0], argv[1:]...)
			c.Dir = dir
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
			waitFor(t, func() bool { return fileHex(filepath.Join(dir, "b")) == sumHex(data) })
			// strace's child now, not at its start (strace's own fork may
			// come first).
			syscall.Kill(tracee(t, c.Process.Pid), syscall.SIGKILL)
			c.Wait()
			kept := leftovers(dir)
			obs := fmt.Sprintf("b new: %v; left: %q", fileHex(filepath.Join(dir, "b")) == sumHex(data), kept)
			if len(kept) != 1 || !strings.HasSuffix(kept[0], ".fsink-old") || fileHex(filepath.Join(dir, kept[0])) != sumHex(oldB) {
				ents, _ := os.ReadDir(dir)
				var names []string
				for _, e := range ents {
					names = append(names, e.Name())
				}
				t.Fatalf("%s, want one .fsink-old file with the old b (folder: %q)", obs, names)
			}
			if s, _ := os.ReadFile(filepath.Join(dir, "sums", "s")); string(s) != "0000  b\n" {
				t.Errorf("sums/s = %q, want the old one", s)
			}
			if !*relFull {
				return obs
			}
			time.Sleep(11 * time.Second)
			r := relRun(t, dir, strings.NewReader("newer\n"), bin("fsink"), "b")
			if r.code != 0 || !strings.Contains(r.stderr, kept[0]+": left by a commit that was interrupted") {
				t.Errorf("next fsink: %v, want exit 0 and a report of %s", r, kept[0])
			}
			if fileHex(filepath.Join(dir, kept[0])) != sumHex(oldB) {
				t.Errorf("the reported old version changed")
			}
			return obs + "; next fsink: " + r.String()
		})
	relCase(t, "interrupted-commit-reported", "fsink", "an old version left by a dead writer (.b.X.fsink-old, 11 s old)", "exit 0; the leftover reported on stderr and kept", func(t *testing.T) string {
		if !*relFull {
			t.Skip("waits 11 s for the leftover to age (full matrix only)")
		}
		dir := t.TempDir()
		oldDest(t, dir, "b")
		left := filepath.Join(dir, ".b.0123456789ab.fsink-old")
		os.WriteFile(left, []byte("older\n"), 0o644)
		time.Sleep(11 * time.Second)
		r := relRun(t, dir, strings.NewReader("new\n"), bin("fsink"), "b")
		if r.code != 0 || !strings.Contains(r.stderr, "fsink: ./.b.0123456789ab.fsink-old: left by a commit that was interrupted") {
			t.Errorf("%v, want exit 0 and a report of the leftover", r)
		}
		if got, _ := os.ReadFile(left); string(got) != "older\n" {
			t.Errorf("the leftover changed: %q", got)
		}
		return r.String()
	})
}

// relAppend: fsink -a stopped midway takes its bytes back only when the file
// is exactly as it left it; it never removes what another writer added and
// never pads a truncated file with zeros.
func relAppend(t *testing.T) {
	const start = "line1\nline2\n"
	cases := []struct {
		name, inj string
		meddle    func(t *testing.T, p string)
		want      func(got string) bool
		wantText  string
		why       string // in stderr; "" none
	}{
		{"alone", "SIGTERM midway", func(*testing.T, string) {},
			func(got string) bool { return got == start }, "the file as before", ""},
		{"concurrent-appender", "another writer appends a line, then SIGTERM", func(t *testing.T, p string) {
			f, err := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString("theirs\n")
			f.Close()
		}, func(got string) bool { return strings.HasPrefix(got, start) && strings.HasSuffix(got, "theirs\n") },
			"their line kept, ours kept", "another writer appended to it meanwhile"},
		{"copytruncate", "logrotate copytruncate (truncate to 0), then SIGTERM", func(t *testing.T, p string) {
			os.Truncate(p, 0)
		}, func(got string) bool { return got == "" }, "empty: no NUL padding", "it was truncated meanwhile"},
		{"copytruncate-and-a-new-line", "truncate to 0, another writer appends, then SIGTERM", func(t *testing.T, p string) {
			os.Truncate(p, 0)
			f, _ := os.OpenFile(p, os.O_WRONLY|os.O_APPEND, 0)
			f.WriteString("after rotation\n")
			f.Close()
		}, func(got string) bool { return got == "after rotation\n" }, "only their line: no NULs", "it was truncated meanwhile"},
	}
	for _, c := range cases {
		relCase(t, c.name, "fsink -a", c.inj, "exit 143; "+c.wantText+"; stderr says why bytes stayed", func(t *testing.T) string {
			dir := t.TempDir()
			p := filepath.Join(dir, "log")
			os.WriteFile(p, []byte(start), 0o644)
			cmd := exec.Command(bin("fsink"), "-a", "log")
			cmd.Dir = dir
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			in, _ := cmd.StdinPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			in.Write([]byte("ours\n"))
			waitFor(t, func() bool { st, err := os.Stat(p); return err == nil && st.Size() == int64(len(start)+5) })
			c.meddle(t, p)
			cmd.Process.Signal(syscall.SIGTERM)
			err := cmd.Wait()
			in.Close()
			got, _ := os.ReadFile(p)
			obs := fmt.Sprintf("exit %d; log = %q; %s", exitCode(err), got, strings.TrimSpace(stderr.String()))
			if exitCode(err) != 143 || !c.want(string(got)) || bytes.IndexByte(got, 0) >= 0 {
				t.Errorf("%s", obs)
			}
			if c.why != "" && !strings.Contains(stderr.String(), "5 bytes appended, not taken back: "+c.why) {
				t.Errorf("stderr %q, want it to say %q", stderr.String(), c.why)
			}
			return obs
		})
	}
}
