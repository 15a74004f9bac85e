package sink_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/iotest"
	"time"

	"github.com/fpipe/fpipe/internal/stagetest"
	"github.com/fpipe/fpipe/stages/sink"
)

// TestUmask must stay the first test of the package: sink reads the umask
// once per process (sync.Once), so it must run before any other test
// creates a new file without Mode. It changes the process umask, so it is
// not parallel (parallel tests start only after every sequential one).
func TestUmask(t *testing.T) {
	dir := t.TempDir()
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)

	name := filepath.Join(dir, "new")
	commitBytes(t, name, "data")
	if got := perm(t, name); got != 0o640 {
		t.Fatalf("new file under umask 027: mode %#o, want 0640", got)
	}

	t.Run("changed after the first Create", func(t *testing.T) {
		syscall.Umask(0o077)
		name := filepath.Join(dir, "new2")
		commitBytes(t, name, "data")
		if got := perm(t, name); got != 0o600 {
			// Not a bug for the tools (a process sets its umask before it
			// starts), but a long-lived process that changes it is not
			// followed.
			t.Skipf("DESIGN: new file after the umask changed 027 -> 077: mode %#o, want 0600: sink caches the umask of the first Create (sync.Once)", got)
		}
	})
}

// commitBytes replaces name with content through a Writer.
func commitBytes(t *testing.T, name, content string, opts ...sink.Option) {
	t.Helper()
	w, err := sink.Create(name, opts...)
	if err != nil {
		t.Fatalf("Create(%s) = %v", name, err)
	}
	if _, err := io.WriteString(w, content); err != nil {
		t.Fatalf("Write = %v", err)
	}
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit() = %v", err)
	}
}

func create(t *testing.T, name string, opts ...sink.Option) *sink.Writer {
	t.Helper()
	w, err := sink.Create(name, opts...)
	if err != nil {
		t.Fatalf("Create(%s) = %v, want nil", name, err)
	}
	t.Cleanup(func() { w.Abort() })
	return w
}

func writeFile(t *testing.T, name, content string, mode fs.FileMode) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(name, mode); err != nil { // past the umask
		t.Fatal(err)
	}
}

func content(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("ReadFile(%s) = %v", name, err)
	}
	return string(b)
}

func perm(t *testing.T, name string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode() & (fs.ModePerm | fs.ModeSetuid | fs.ModeSetgid | fs.ModeSticky)
}

func inode(t *testing.T, name string) uint64 {
	t.Helper()
	fi, err := os.Lstat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// temps lists the temporary files of fsink in dir.
func temps(t *testing.T, dir string) []string { return withSuffix(t, dir, sink.TempSuffix) }

// withSuffix lists the names in dir that end with suffix.
func withSuffix(t *testing.T, dir, suffix string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), suffix) {
			names = append(names, e.Name())
		}
	}
	return names
}

func noTemps(t *testing.T, dir string) {
	t.Helper()
	if ts := temps(t, dir); len(ts) > 0 {
		t.Errorf("temporary files left in the folder: %q", ts)
	}
}

func TestModes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		existing fs.FileMode // 0: no file before
		opts     []sink.Option
		want     fs.FileMode
	}{
		{"Mode on a new file", 0, []sink.Option{sink.Mode(0o600)}, 0o600},
		{"Mode 0755 on a new file", 0, []sink.Option{sink.Mode(0o755)}, 0o755},
		{"Mode with setgid", 0, []sink.Option{sink.Mode(fs.ModeSetgid | 0o750)}, 0o750 | fs.ModeSetgid},
		{"existing 0640 kept", 0o640, nil, 0o640},
		{"existing 0604 kept", 0o604, nil, 0o604},
		{"existing 0755 kept", 0o755, nil, 0o755},
		{"Mode over an existing file", 0o640, []sink.Option{sink.Mode(0o600)}, 0o600},
		{"existing 0640 kept with NoSync", 0o640, []sink.Option{sink.NoSync()}, 0o640},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			name := filepath.Join(t.TempDir(), "out")
			if tt.existing != 0 {
				writeFile(t, name, "old", tt.existing)
			}
			commitBytes(t, name, "new", tt.opts...)
			if got := perm(t, name); got != tt.want {
				t.Errorf("mode after Commit = %v, want %v", got, tt.want)
			}
			if got := content(t, name); got != "new" {
				t.Errorf("content after Commit = %q, want %q", got, "new")
			}
		})
	}
	t.Run("bad Mode", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		w, err := sink.Create(filepath.Join(dir, "out"), sink.Mode(fs.ModeDir|0o755))
		if w != nil || err == nil || !strings.Contains(err.Error(), "has bits other than permissions") {
			t.Errorf("Create with Mode(ModeDir|0755) = %v, %v, want nil and an error", w, err)
		}
		noTemps(t, dir)
	})
}

// TestOwnerKept needs root: an existing file owned by nobody keeps its
// owner across a replace.
func TestOwnerKept(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("needs root to give a file to another user")
	}
	name := filepath.Join(t.TempDir(), "out")
	writeFile(t, name, "old", 0o640)
	if err := os.Chown(name, 65534, 65534); err != nil {
		t.Skip("chown:", err)
	}
	commitBytes(t, name, "new")
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if st.Uid != 65534 || st.Gid != 65534 || fi.Mode().Perm() != 0o640 {
		t.Errorf("after Commit: owner %d:%d mode %v, want 65534:65534 -rw-r-----", st.Uid, st.Gid, fi.Mode())
	}
}

func TestCommit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := filepath.Join(dir, "out")
	writeFile(t, name, "old", 0o644)
	oldIno := inode(t, name)

	w := create(t, name)
	tmp := w.TempName()
	if filepath.Dir(tmp) != dir {
		t.Errorf("TempName() = %s, want it in %s", tmp, dir)
	}
	base := filepath.Base(tmp)
	if !strings.HasPrefix(base, ".out.") || !strings.HasSuffix(base, ".fsink-tmp") {
		t.Errorf("temporary file %q, want .out.XXXX.fsink-tmp", base)
	}
	fi, err := os.Lstat(tmp)
	if err != nil {
		t.Fatalf("temporary file: %v", err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Errorf("temporary file mode %v, want -rw-------", fi.Mode())
	}
	if _, err := io.WriteString(w, "new "); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("content")); err != nil {
		t.Fatal(err)
	}
	if got := w.Written(); got != int64(len("new content")) {
		t.Errorf("Written() = %d, want %d", got, len("new content"))
	}
	if got := content(t, name); got != "old" {
		t.Errorf("destination before Commit = %q, want %q", got, "old")
	}
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit() = %v", err)
	}
	if got := content(t, name); got != "new content" {
		t.Errorf("destination after Commit = %q, want %q", got, "new content")
	}
	if inode(t, name) == oldIno {
		t.Errorf("destination kept its inode across Commit, want a new file renamed over it")
	}
	if _, err := os.Lstat(tmp); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("temporary file after Commit: %v, want it gone", err)
	}
	if err := w.Commit(); err != nil {
		t.Errorf("second Commit() = %v, want nil", err)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort() after Commit = %v, want nil", err)
	}
	if got := content(t, name); got != "new content" {
		t.Errorf("destination after Abort after Commit = %q, want %q", got, "new content")
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Errorf("Write after Commit = nil error, want one")
	}
	noTemps(t, dir)
}

// TestHardLink: the destination's name gets the new content, the other
// names of the old file keep the old content (see the package doc).
func TestHardLink(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := filepath.Join(dir, "out")
	other := filepath.Join(dir, "other")
	writeFile(t, name, "old", 0o644)
	if err := os.Link(name, other); err != nil {
		t.Fatal(err)
	}
	commitBytes(t, name, "new")
	if a, b := content(t, name), content(t, other); a != "new" || b != "old" {
		t.Errorf("after Commit: out = %q, other link = %q, want new, old", a, b)
	}
}

func TestLongName(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := filepath.Join(dir, strings.Repeat("n", 250))
	w := create(t, name)
	if l := len(filepath.Base(w.TempName())); l > 255 {
		t.Errorf("temporary name is %d bytes long, want at most 255", l)
	}
	io.WriteString(w, "x")
	if err := w.Commit(); err != nil {
		t.Fatalf("Commit() = %v", err)
	}
	if got := content(t, name); got != "x" {
		t.Errorf("content = %q, want x", got)
	}
}

func TestAbort(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := filepath.Join(dir, "out")
	writeFile(t, name, "old", 0o644)
	oldIno := inode(t, name)

	w := create(t, name)
	io.WriteString(w, "partial")
	if err := w.Abort(); err != nil {
		t.Fatalf("Abort() = %v", err)
	}
	if got := content(t, name); got != "old" || inode(t, name) != oldIno {
		t.Errorf("destination after Abort = %q (inode changed: %v), want %q, same inode", got, inode(t, name) != oldIno, "old")
	}
	noTemps(t, dir)
	if err := w.Abort(); err != nil {
		t.Errorf("second Abort() = %v, want nil", err)
	}
	n, err := w.Write([]byte("more"))
	if n != 0 || err == nil {
		t.Errorf("Write after Abort = %d, %v, want 0 and an error", n, err)
	}
	if werr := w.Err(); werr == nil || werr != err {
		t.Errorf("Err() after Abort = %v, want the Write's error %v", werr, err)
	}
	if n, err := w.ReadFrom(strings.NewReader("more")); n != 0 || err == nil {
		t.Errorf("ReadFrom after Abort = %d, %v, want 0 and an error", n, err)
	}
	if err := w.Commit(); err == nil || !strings.Contains(err.Error(), "already aborted") {
		t.Errorf("Commit after Abort = %v, want already aborted", err)
	}
	if got := content(t, name); got != "old" {
		t.Errorf("destination after Commit after Abort = %q, want %q", got, "old")
	}
	noTemps(t, dir)
}

// TestAbortConcurrent aborts while another goroutine writes, as a signal
// handler does.
func TestAbortConcurrent(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"Write", "ReadFrom"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			name := filepath.Join(dir, "out")
			writeFile(t, name, "old", 0o644)
			oldIno := inode(t, name)
			w := create(t, name)
			started := make(chan struct{})
			done := make(chan error, 1)
			go func() {
				chunk := bytes.Repeat([]byte("x"), 4096)
				var once sync.Once
				for {
					var err error
					if how == "Write" {
						_, err = w.Write(chunk)
					} else {
						_, err = w.ReadFrom(io.LimitReader(stagetest.OnlyReader(stagetest.Zeros{}), 1<<16))
					}
					once.Do(func() { close(started) })
					if err != nil {
						done <- err
						return
					}
				}
			}()
			<-started
			time.Sleep(5 * time.Millisecond)
			var wg sync.WaitGroup
			for range 3 {
				wg.Go(func() { w.Abort() })
			}
			wg.Wait()
			select {
			case err := <-done:
				if err == nil {
					t.Errorf("%s after Abort = nil error, want one", how)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("%s still succeeding 10 s after Abort", how)
			}
			if got := content(t, name); got != "old" || inode(t, name) != oldIno {
				t.Errorf("destination after Abort = %q, want %q with the same inode", got, "old")
			}
			noTemps(t, dir)
		})
	}
}

func TestNoClobber(t *testing.T) {
	t.Parallel()
	t.Run("exists at Create", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		name := filepath.Join(dir, "out")
		writeFile(t, name, "old", 0o644)
		w, err := sink.Create(name, sink.NoClobber())
		want := "sink " + name + ": file exists"
		if w != nil || err == nil || err.Error() != want || !errors.Is(err, fs.ErrExist) {
			t.Errorf("Create(existing, NoClobber) = %v, %v, want nil, %q", w, err, want)
		}
		noTemps(t, dir)
		if got := content(t, name); got != "old" {
			t.Errorf("destination = %q, want %q", got, "old")
		}
	})
	t.Run("appears before Commit", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		name := filepath.Join(dir, "out")
		w := create(t, name, sink.NoClobber())
		io.WriteString(w, "mine")
		writeFile(t, name, "interloper", 0o644)
		ino := inode(t, name)
		err := w.Commit()
		if err == nil || !errors.Is(err, fs.ErrExist) || !strings.Contains(err.Error(), "destination left unchanged") {
			t.Errorf("Commit() over a file created meanwhile = %v, want file exists, destination left unchanged", err)
		}
		if got := content(t, name); got != "interloper" || inode(t, name) != ino {
			t.Errorf("destination = %q, want the interloper untouched", got)
		}
		noTemps(t, dir)
	})
	t.Run("new file", func(t *testing.T) {
		t.Parallel()
		name := filepath.Join(t.TempDir(), "out")
		commitBytes(t, name, "new", sink.NoClobber())
		if got := content(t, name); got != "new" {
			t.Errorf("content = %q, want new", got)
		}
	})
}

func TestEmpty(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		existing string // "-": none
		opts     []sink.Option
		wantErr  bool
		want     string
	}{
		{"over a non-empty file", "old", nil, true, "old"},
		{"over a non-empty file with AllowEmpty", "old", []sink.Option{sink.AllowEmpty()}, false, ""},
		{"over an empty file", "", nil, false, ""},
		{"new file", "-", nil, false, ""},
		{"Append", "old", []sink.Option{sink.Append()}, false, "old"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			name := filepath.Join(dir, "out")
			var ino uint64
			if tt.existing != "-" {
				writeFile(t, name, tt.existing, 0o644)
				ino = inode(t, name)
			}
			w := create(t, name, tt.opts...)
			w.Write(nil)
			w.ReadFrom(strings.NewReader(""))
			err := w.Commit()
			if tt.wantErr {
				if !errors.Is(err, sink.ErrEmpty) {
					t.Errorf("Commit() = %v, want ErrEmpty", err)
				}
				want := "sink " + name + ": empty input would replace a non-empty file"
				if err != nil && err.Error() != want {
					t.Errorf("Commit() = %q, want %q", err, want)
				}
				if inode(t, name) != ino {
					t.Errorf("destination replaced, want it kept")
				}
			} else if err != nil {
				t.Errorf("Commit() = %v, want nil", err)
			}
			if got := content(t, name); got != tt.want {
				t.Errorf("destination = %q, want %q", got, tt.want)
			}
			noTemps(t, dir)
		})
	}
}

func TestAppend(t *testing.T) {
	t.Parallel()
	t.Run("Commit", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		name := filepath.Join(dir, "out")
		writeFile(t, name, "old\n", 0o640)
		ino := inode(t, name)
		w := create(t, name, sink.Append())
		if w.TempName() != "" {
			t.Errorf("TempName() = %q while appending, want \"\"", w.TempName())
		}
		io.WriteString(w, "new\n")
		w.ReadFrom(strings.NewReader("more\n"))
		if err := w.Commit(); err != nil {
			t.Fatalf("Commit() = %v", err)
		}
		if got := content(t, name); got != "old\nnew\nmore\n" || inode(t, name) != ino || perm(t, name) != 0o640 {
			t.Errorf("after Commit: %q, mode %v, same inode %v, want old, new, more, 0640, same inode", got, perm(t, name), inode(t, name) == ino)
		}
		noTemps(t, dir)
	})
	t.Run("Abort truncates back", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		name := filepath.Join(dir, "out")
		writeFile(t, name, "old\n", 0o644)
		ino := inode(t, name)
		w := create(t, name, sink.Append())
		io.WriteString(w, strings.Repeat("new\n", 10000))
		if err := w.Abort(); err != nil {
			t.Fatalf("Abort() = %v", err)
		}
		if got := content(t, name); got != "old\n" || inode(t, name) != ino {
			t.Errorf("after Abort: %q, want %q with the same inode", got, "old\n")
		}
	})
	t.Run("new file with Mode", func(t *testing.T) {
		t.Parallel()
		name := filepath.Join(t.TempDir(), "out")
		commitBytes(t, name, "new", sink.Append(), sink.Mode(0o600))
		if got := content(t, name); got != "new" || perm(t, name) != 0o600 {
			t.Errorf("after Commit: %q, %v, want new, 0600", got, perm(t, name))
		}
	})
	t.Run("NoClobber does not stop Append", func(t *testing.T) {
		t.Parallel()
		name := filepath.Join(t.TempDir(), "out")
		writeFile(t, name, "old", 0o644)
		commitBytes(t, name, "new", sink.Append(), sink.NoClobber())
		if got := content(t, name); got != "oldnew" {
			t.Errorf("after Commit: %q, want oldnew", got)
		}
	})
	t.Run("Abort on a new file", func(t *testing.T) {
		t.Parallel()
		name := filepath.Join(t.TempDir(), "out")
		w := create(t, name, sink.Append())
		io.WriteString(w, "new")
		w.Abort()
		if _, err := os.Lstat(name); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("Append then Abort on a destination that did not exist leaves an empty file behind (Lstat: %v), want no file: abortLocked only truncates", err)
		}
	})
}

func TestRefused(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sub := filepath.Join(dir, "sub")
	os.Mkdir(sub, 0o755)
	link := filepath.Join(dir, "link")
	target := filepath.Join(dir, "target")
	writeFile(t, target, "target", 0o644)
	os.Symlink("target", link)
	linkToDir := filepath.Join(dir, "link-to-dir")
	os.Symlink("sub", linkToDir)
	dangling := filepath.Join(dir, "dangling")
	os.Symlink("nowhere", dangling)
	loop := filepath.Join(dir, "loop")
	os.Symlink("loop", loop)
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()

	tests := []struct {
		name string
		path string
		opts []sink.Option
		want string // after "sink PATH: "
	}{
		{"directory", sub, nil, "is a directory"},
		{"directory with a slash", sub + "/", nil, "is a directory"},
		{"symbolic link", link, nil, "is a symbolic link"},
		{"dangling symbolic link", dangling, nil, "is a symbolic link"},
		{"symbolic link with Append", link, []sink.Option{sink.Append()}, "is a symbolic link"},
		{"link to a directory with Follow", linkToDir, []sink.Option{sink.Follow()}, "is a directory"},
		{"link loop with Follow", loop, []sink.Option{sink.Follow()}, "too many levels of symbolic links"},
		{"FIFO", fifo, nil, "is a FIFO; not replaced"},
		{"FIFO with Append", fifo, []sink.Option{sink.Append()}, "is a FIFO; not replaced"},
		{"socket", sock, nil, "is a socket; not replaced"},
		{"device", "/dev/null", nil, "is a device; not replaced"},
		{"device with Append", "/dev/null", []sink.Option{sink.Append()}, "is a device; not replaced"},
		{"empty path", "", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var before fs.FileInfo
			if tt.path != "" {
				before, _ = os.Lstat(tt.path)
			}
			w, err := sink.Create(tt.path, tt.opts...)
			want := "sink " + tt.path + ": " + tt.want
			if tt.path == "" {
				want = "empty destination path"
			}
			if w != nil || err == nil || err.Error() != want {
				t.Errorf("Create(%q) = %v, %v, want nil, %q", tt.path, w, err, want)
				if w != nil {
					w.Abort()
				}
			}
			if before != nil {
				after, err := os.Lstat(tt.path)
				if err != nil || !os.SameFile(before, after) || after.Mode() != before.Mode() {
					t.Errorf("Create(%q) changed the refused destination", tt.path)
				}
			}
		})
	}
	noTemps(t, dir)
	noTemps(t, sub)
	if got := content(t, target); got != "target" {
		t.Errorf("link target = %q, want untouched", got)
	}
}

func TestFollow(t *testing.T) {
	t.Parallel()
	t.Run("chain of two links", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		sub := filepath.Join(dir, "sub")
		os.Mkdir(sub, 0o755)
		target := filepath.Join(sub, "target")
		writeFile(t, target, "old", 0o640)
		l2 := filepath.Join(sub, "l2")
		l1 := filepath.Join(dir, "l1")
		os.Symlink("target", l2) // relative to sub
		os.Symlink("sub/l2", l1) // relative to dir
		w := create(t, l1, sink.Follow())
		if got := filepath.Dir(w.TempName()); got != sub {
			t.Errorf("temporary file in %s, want in the target's folder %s", got, sub)
		}
		if !strings.HasPrefix(filepath.Base(w.TempName()), ".target.") {
			t.Errorf("temporary file %s, want it named after the target", filepath.Base(w.TempName()))
		}
		io.WriteString(w, "new")
		if err := w.Commit(); err != nil {
			t.Fatalf("Commit() = %v", err)
		}
		if got := content(t, target); got != "new" || perm(t, target) != 0o640 {
			t.Errorf("target after Commit = %q, %v, want new, 0640", got, perm(t, target))
		}
		for link, want := range map[string]string{l1: "sub/l2", l2: "target"} {
			if got, err := os.Readlink(link); err != nil || got != want {
				t.Errorf("Readlink(%s) = %q, %v, want the link kept, to %q", link, got, err, want)
			}
		}
		noTemps(t, dir)
		noTemps(t, sub)
	})
	t.Run("absolute link", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		target := filepath.Join(dir, "target")
		writeFile(t, target, "old", 0o644)
		link := filepath.Join(dir, "link")
		os.Symlink(target, link)
		commitBytes(t, link, "new", sink.Follow())
		if got := content(t, target); got != "new" {
			t.Errorf("target = %q, want new", got)
		}
		if fi, err := os.Lstat(link); err != nil || fi.Mode()&fs.ModeSymlink == 0 {
			t.Errorf("link after Commit: %v, %v, want still a link", fi, err)
		}
	})
	t.Run("dangling link", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		link := filepath.Join(dir, "link")
		os.Symlink("new-target", link)
		commitBytes(t, link, "created", sink.Follow())
		if got := content(t, filepath.Join(dir, "new-target")); got != "created" {
			t.Errorf("new target = %q, want created", got)
		}
		if got, _ := os.Readlink(link); got != "new-target" {
			t.Errorf("link now points to %q, want new-target", got)
		}
	})
	t.Run("Follow on a plain file", func(t *testing.T) {
		t.Parallel()
		name := filepath.Join(t.TempDir(), "out")
		writeFile(t, name, "old", 0o644)
		commitBytes(t, name, "new", sink.Follow())
		if got := content(t, name); got != "new" {
			t.Errorf("content = %q, want new", got)
		}
	})
	t.Run("Append through a link", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		target := filepath.Join(dir, "target")
		writeFile(t, target, "old", 0o644)
		link := filepath.Join(dir, "link")
		os.Symlink("target", link)
		commitBytes(t, link, "new", sink.Follow(), sink.Append())
		if got := content(t, target); got != "oldnew" {
			t.Errorf("target = %q, want oldnew", got)
		}
	})
}

func TestCreateFails(t *testing.T) {
	t.Parallel()
	t.Run("missing folder", func(t *testing.T) {
		t.Parallel()
		dir := filepath.Join(t.TempDir(), "nodir")
		name := filepath.Join(dir, "out")
		w, err := sink.Create(name)
		want := "sink " + name + ": cannot create a temporary file in " + dir + ": no such file or directory"
		if w != nil || err == nil || err.Error() != want || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Create(%s) = %v, %v, want nil, %q", name, w, err, want)
		}
	})
	t.Run("missing folder with Append", func(t *testing.T) {
		t.Parallel()
		name := filepath.Join(t.TempDir(), "nodir", "out")
		w, err := sink.Create(name, sink.Append())
		want := "sink " + name + ": no such file or directory"
		if err == nil || err.Error() != want {
			t.Errorf("Create(%s, Append) = %v, %v, want nil, %q", name, w, err, want)
		}
	})
	t.Run("read-only folder", func(t *testing.T) {
		t.Parallel()
		if os.Geteuid() == 0 {
			t.Skip("root ignores folder permissions")
		}
		dir := t.TempDir()
		os.Chmod(dir, 0o555)
		defer os.Chmod(dir, 0o755)
		name := filepath.Join(dir, "out")
		w, err := sink.Create(name)
		want := "sink " + name + ": cannot create a temporary file in " + dir + ": permission denied"
		if w != nil || err == nil || err.Error() != want {
			t.Errorf("Create(%s) = %v, %v, want nil, %q", name, w, err, want)
		}
	})
	t.Run("a file as folder", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		file := filepath.Join(dir, "file")
		writeFile(t, file, "x", 0o644)
		name := filepath.Join(file, "out")
		w, err := sink.Create(name)
		if w != nil || err == nil || !errors.Is(err, syscall.ENOTDIR) {
			t.Errorf("Create(%s) = %v, %v, want nil and not a directory", name, w, err)
		}
	})
}

// TestLeftovers checks which temporary files Create removes beside its
// destination: only those whose writer is provably gone.
func TestLeftovers(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	old := time.Now().Add(-time.Minute)
	mk := func(name string, age time.Time) string {
		p := filepath.Join(dir, name)
		writeFile(t, p, "leftover", 0o600)
		if err := os.Chtimes(p, age, age); err != nil {
			t.Fatal(err)
		}
		return p
	}
	dead := mk(".x.0123456789ab.fsink-tmp", old)
	dead2 := mk(".y.z.ba9876543210.fsink-tmp", old)
	fresh := mk(".x.00000000aaaa.fsink-tmp", time.Now())
	locked := mk(".x.111111111111.fsink-tmp", old)
	noDot := mk("x.222222222222.fsink-tmp", old)
	otherSuffix := mk(".x.333333333333.fsink-tmp.bak", old)
	oldDir := filepath.Join(dir, ".d.444444444444.fsink-tmp")
	os.Mkdir(oldDir, 0o700)
	os.Chtimes(oldDir, old, old)
	oldLink := filepath.Join(dir, ".l.555555555555.fsink-tmp")
	os.Symlink("nowhere", oldLink)

	// A lock held through another open file description of the same file:
	// flock locks belong to the description, so Create's own open conflicts.
	lf, err := os.Open(locked)
	if err != nil {
		t.Fatal(err)
	}
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	// A live Writer of this process whose temporary file has not changed
	// for a minute (a throttled copy).
	live := create(t, filepath.Join(dir, "live"))
	io.WriteString(live, "live data")
	os.Chtimes(live.TempName(), old, old)

	w := create(t, filepath.Join(dir, "out"))

	gone := []string{dead, dead2}
	kept := []string{fresh, locked, noDot, otherSuffix, oldDir, oldLink, live.TempName(), w.TempName()}
	for _, p := range gone {
		if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("dead leftover %s: %v, want it removed", filepath.Base(p), err)
		}
	}
	for _, p := range kept {
		if _, err := os.Lstat(p); err != nil {
			t.Errorf("%s: %v, want it kept", filepath.Base(p), err)
		}
	}
	// The live Writer still commits.
	if err := live.Commit(); err != nil {
		t.Errorf("live Writer's Commit() = %v", err)
	}
	if got := content(t, filepath.Join(dir, "live")); got != "live data" {
		t.Errorf("live Writer's file = %q, want live data", got)
	}

	// A user's own file whose name merely looks like a temporary file
	// (no random part) is not fsink's to remove.
	t.Run("user file", func(t *testing.T) {
		dir := t.TempDir()
		mine := filepath.Join(dir, ".notes.fsink-tmp")
		writeFile(t, mine, "precious", 0o644)
		os.Chtimes(mine, old, old)
		commitBytes(t, filepath.Join(dir, "out"), "x")
		if _, err := os.Lstat(mine); err != nil {
			t.Fatalf("Create removed %s, a file that does not match .NAME.<12 hex>.fsink-tmp (%v): removeLeftovers matches only the prefix . and the suffix", filepath.Base(mine), err)
		}
	})
}

// TestReadFrom checks that every source the fast paths know arrives whole.
func TestReadFrom(t *testing.T) {
	t.Parallel()
	data := stagetest.Pattern(3<<20 + 5)
	src := filepath.Join(t.TempDir(), "src")
	writeFile(t, src, string(data), 0o644)
	pipeOf := func(t *testing.T, pr, pw *os.File) io.Reader {
		go func() {
			pw.Write(data)
			pw.Close()
		}()
		t.Cleanup(func() { pr.Close() })
		return pr
	}
	tests := []struct {
		name string
		src  func(t *testing.T) io.Reader
		want []byte
	}{
		{"os.Pipe", func(t *testing.T) io.Reader {
			pr, pw, err := os.Pipe()
			if err != nil {
				t.Fatal(err)
			}
			return pipeOf(t, pr, pw)
		}, data},
		{"blocking pipe", func(t *testing.T) io.Reader {
			var fds [2]int
			if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
				t.Fatal(err)
			}
			return pipeOf(t, os.NewFile(uintptr(fds[0]), "r"), os.NewFile(uintptr(fds[1]), "w"))
		}, data},
		{"blocking pipe limited", func(t *testing.T) io.Reader {
			var fds [2]int
			if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
				t.Fatal(err)
			}
			return &io.LimitedReader{R: pipeOf(t, os.NewFile(uintptr(fds[0]), "r"), os.NewFile(uintptr(fds[1]), "w")), N: 1<<20 + 1}
		}, data[:1<<20+1]},
		{"file", func(t *testing.T) io.Reader {
			f, err := os.Open(src)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			return f
		}, data},
		{"file from an offset", func(t *testing.T) io.Reader {
			f, err := os.Open(src)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			f.Seek(12345, io.SeekStart)
			return f
		}, data[12345:]},
		{"LimitedReader of a file", func(t *testing.T) io.Reader {
			f, err := os.Open(src)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			return &io.LimitedReader{R: f, N: 1<<20 + 7}
		}, data[:1<<20+7]},
		{"plain reader", func(t *testing.T) io.Reader { return stagetest.OnlyReader(bytes.NewReader(data)) }, data},
		{"HalfReader", func(t *testing.T) io.Reader { return iotest.HalfReader(bytes.NewReader(data)) }, data},
		{"OneByteReader", func(t *testing.T) io.Reader { return iotest.OneByteReader(bytes.NewReader(data[:5000])) }, data[:5000]},
		{"device", func(t *testing.T) io.Reader {
			f, err := os.Open("/dev/zero")
			if err != nil {
				t.Skip(err)
			}
			t.Cleanup(func() { f.Close() })
			return &io.LimitedReader{R: f, N: 100_000}
		}, make([]byte, 100_000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			name := filepath.Join(dir, "out")
			writeFile(t, name, "old", 0o644)
			w := create(t, name, sink.NoSync())
			r := tt.src(t)
			n, err := w.ReadFrom(r)
			if n != int64(len(tt.want)) || err != nil {
				t.Errorf("ReadFrom = %d, %v, want %d, nil", n, err, len(tt.want))
			}
			if lr, ok := r.(*io.LimitedReader); ok && lr.N != 0 {
				t.Errorf("LimitedReader.N after ReadFrom = %d, want 0", lr.N)
			}
			if w.Written() != int64(len(tt.want)) {
				t.Errorf("Written() = %d, want %d", w.Written(), len(tt.want))
			}
			if err := w.Commit(); err != nil {
				t.Fatalf("Commit() = %v", err)
			}
			got, _ := os.ReadFile(name)
			if !bytes.Equal(got, tt.want) {
				t.Errorf("destination has %d bytes, want %d identical to the source", len(got), len(tt.want))
			}
			noTemps(t, dir)
		})
	}
	t.Run("Write and ReadFrom mixed", func(t *testing.T) {
		t.Parallel()
		name := filepath.Join(t.TempDir(), "out")
		w := create(t, name)
		w.Write(data[:10])
		f, _ := os.Open(src)
		defer f.Close()
		f.Seek(10, io.SeekStart)
		w.ReadFrom(&io.LimitedReader{R: f, N: 1000})
		w.Write(data[1010:1020])
		w.ReadFrom(stagetest.OnlyReader(bytes.NewReader(data[1020:2000])))
		if err := w.Commit(); err != nil {
			t.Fatal(err)
		}
		if got, _ := os.ReadFile(name); !bytes.Equal(got, data[:2000]) {
			t.Errorf("destination has %d bytes, want data[:2000]", len(got))
		}
	})
}

// TestReadFromError: an input that fails halfway returns its error, is not
// taken for a write error, and Abort then leaves the destination intact.
func TestReadFromError(t *testing.T) {
	t.Parallel()
	boom := errors.New("upstream broke")
	data := stagetest.Pattern(1 << 20)
	dir := t.TempDir()
	name := filepath.Join(dir, "out")
	writeFile(t, name, "old", 0o644)
	ino := inode(t, name)
	w := create(t, name)
	n, err := w.ReadFrom(stagetest.ErrAfter(data, 600_000, boom))
	if n != 600_000 || !errors.Is(err, boom) {
		t.Errorf("ReadFrom(failing reader) = %d, %v, want 600000, %v", n, err, boom)
	}
	if werr := w.Err(); werr != nil {
		t.Errorf("Err() after an input error = %v, want nil (not a write error)", werr)
	}
	if err := w.Abort(); err != nil {
		t.Errorf("Abort() = %v", err)
	}
	if got := content(t, name); got != "old" || inode(t, name) != ino {
		t.Errorf("destination after Abort = %q, want old with the same inode", got)
	}
	noTemps(t, dir)
}

// redirectToFull makes the Writer's temporary file descriptor point at
// /dev/full, so that every write to it fails with ENOSPC.
func redirectToFull(t *testing.T, w *sink.Writer) {
	t.Helper()
	tmp, err := filepath.EvalSymlinks(w.TempName())
	if err != nil {
		t.Fatal(err)
	}
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skip("no /dev/full")
	}
	defer full.Close()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	for _, e := range ents {
		if l, _ := os.Readlink("/proc/self/fd/" + e.Name()); l == tmp {
			var fd int
			fmt.Sscan(e.Name(), &fd)
			if err := syscall.Dup3(int(full.Fd()), fd, syscall.O_CLOEXEC); err != nil {
				t.Fatal(err)
			}
			return
		}
	}
	t.Fatal("no descriptor open on the temporary file")
}

// TestWriteErrorSticky: the first write error sticks; Commit refuses to
// go on and removes the temporary file.
func TestWriteErrorSticky(t *testing.T) {
	t.Parallel()
	data := stagetest.Pattern(300_000)
	src := filepath.Join(t.TempDir(), "src")
	writeFile(t, src, string(data), 0o644)
	ways := []struct {
		name string
		do   func(w *sink.Writer) error
	}{
		{"Write", func(w *sink.Writer) error { _, err := w.Write(data); return err }},
		{"ReadFrom plain", func(w *sink.Writer) error {
			_, err := w.ReadFrom(stagetest.OnlyReader(bytes.NewReader(data)))
			return err
		}},
		{"ReadFrom file", func(w *sink.Writer) error {
			f, err := os.Open(src)
			if err != nil {
				return err
			}
			defer f.Close()
			_, err = w.ReadFrom(f)
			return err
		}},
		{"ReadFrom pipe", func(w *sink.Writer) error {
			pr, pw, err := os.Pipe()
			if err != nil {
				return err
			}
			defer pr.Close()
			go func() { pw.Write(data); pw.Close() }()
			_, err = w.ReadFrom(pr)
			return err
		}},
	}
	for _, way := range ways {
		t.Run(way.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			name := filepath.Join(dir, "out")
			writeFile(t, name, "old", 0o644)
			ino := inode(t, name)
			w := create(t, name)
			redirectToFull(t, w)
			err := way.do(w)
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatalf("%s into a full file = %v, want ENOSPC", way.name, err)
			}
			want := "write " + name + ": no space left on device"
			if err.Error() != want {
				t.Errorf("%s error = %q, want %q", way.name, err, want)
			}
			if werr := w.Err(); werr == nil || werr.Error() != want {
				t.Errorf("Err() = %v, want %q", werr, want)
			}
			// Sticky: later calls fail the same way without writing.
			before := w.Written()
			if n, err := w.Write([]byte("x")); n != 0 || err == nil || err.Error() != want {
				t.Errorf("Write after the error = %d, %v, want 0, %q", n, err, want)
			}
			if n, err := w.ReadFrom(strings.NewReader("x")); n != 0 || err == nil || err.Error() != want {
				t.Errorf("ReadFrom after the error = %d, %v, want 0, %q", n, err, want)
			}
			if w.Written() != before {
				t.Errorf("Written() went from %d to %d after the error", before, w.Written())
			}
			if err := w.Commit(); err == nil || err.Error() != want {
				t.Errorf("Commit() after a write error = %v, want %q", err, want)
			}
			if got := content(t, name); got != "old" || inode(t, name) != ino {
				t.Errorf("destination = %q, want old with the same inode", got)
			}
			noTemps(t, dir)
		})
	}
}
