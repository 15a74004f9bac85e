package sink_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fpipe/fpipe/stages/sink"
)

// olds lists the kept old versions in dir.
func olds(t *testing.T, dir string) []string { return withSuffix(t, dir, sink.OldSuffix) }

func TestTwoPhase(t *testing.T) {
	t.Parallel()
	prepared := func(t *testing.T, name, data string) *sink.Writer {
		w := create(t, name)
		w.Write([]byte(data))
		if err := w.Prepare(); err != nil {
			t.Fatalf("Prepare() = %v", err)
		}
		return w
	}
	t.Run("Prepare leaves the destination", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		name := filepath.Join(dir, "b")
		writeFile(t, name, "old", 0o644)
		w := prepared(t, name, "new")
		if got := content(t, name); got != "old" {
			t.Errorf("after Prepare: %q, want old", got)
		}
		w.Abort()
		if got := content(t, name); got != "old" {
			t.Errorf("after Abort: %q, want old", got)
		}
		noTemps(t, dir)
	})
	t.Run("Commit keeps the old version until Finish", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		name := filepath.Join(dir, "b")
		writeFile(t, name, "old", 0o644)
		ino := inode(t, name)
		w := prepared(t, name, "new")
		if err := w.Commit(); err != nil {
			t.Fatalf("Commit() = %v", err)
		}
		if got := content(t, name); got != "new" {
			t.Errorf("after Commit: %q, want new", got)
		}
		o := olds(t, dir)
		if len(o) != 1 || inode(t, filepath.Join(dir, o[0])) != ino {
			t.Fatalf("old versions %q, want one, the old inode", o)
		}
		w.Abort() // never takes back a Commit
		if got := content(t, name); got != "new" {
			t.Errorf("after Abort: %q, want new", got)
		}
		if err := w.Finish(); err != nil {
			t.Fatalf("Finish() = %v", err)
		}
		if o := olds(t, dir); len(o) != 0 {
			t.Errorf("old versions after Finish: %q", o)
		}
		noTemps(t, dir)
	})
	t.Run("Rollback puts the old version back", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		name := filepath.Join(dir, "b")
		writeFile(t, name, "old", 0o640)
		ino := inode(t, name)
		w := prepared(t, name, "new")
		if err := w.Commit(); err != nil {
			t.Fatalf("Commit() = %v", err)
		}
		if err := w.Rollback(); err != nil {
			t.Fatalf("Rollback() = %v", err)
		}
		if got := content(t, name); got != "old" || inode(t, name) != ino || perm(t, name) != 0o640 {
			t.Errorf("after Rollback: %q inode %d mode %#o, want old, the old inode and 0640", got, inode(t, name), perm(t, name))
		}
		if o := olds(t, dir); len(o) != 0 {
			t.Errorf("old versions after Rollback: %q", o)
		}
		noTemps(t, dir)
	})
	t.Run("Rollback of a new file removes it", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		name := filepath.Join(dir, "b")
		w := prepared(t, name, "new")
		if err := w.Commit(); err != nil {
			t.Fatalf("Commit() = %v", err)
		}
		if err := w.Rollback(); err != nil {
			t.Fatalf("Rollback() = %v", err)
		}
		if _, err := os.Lstat(name); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("after Rollback: %v, want no file", err)
		}
	})
	t.Run("Rollback leaves a file someone else put there", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		name := filepath.Join(dir, "b")
		writeFile(t, name, "old", 0o644)
		w := prepared(t, name, "new")
		if err := w.Commit(); err != nil {
			t.Fatalf("Commit() = %v", err)
		}
		writeFile(t, name+".x", "theirs", 0o644)
		os.Rename(name+".x", name)
		if err := w.Rollback(); err == nil {
			t.Errorf("Rollback() = nil, want an error")
		}
		if got := content(t, name); got != "theirs" {
			t.Errorf("after Rollback: %q, want theirs", got)
		}
		if o := olds(t, dir); len(o) != 1 {
			t.Errorf("old versions %q, want the old one kept", o)
		}
	})
	t.Run("Rollback before Commit is Abort", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		name := filepath.Join(dir, "b")
		writeFile(t, name, "old", 0o644)
		w := prepared(t, name, "new")
		if err := w.Rollback(); err != nil {
			t.Fatalf("Rollback() = %v", err)
		}
		if err := w.Commit(); err == nil {
			t.Errorf("Commit after Rollback = nil, want an error")
		}
		if got := content(t, name); got != "old" {
			t.Errorf("%q, want old", got)
		}
		noTemps(t, dir)
	})
	t.Run("Prepare refuses an empty stream", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		name := filepath.Join(dir, "b")
		writeFile(t, name, "old", 0o644)
		w := create(t, name)
		if err := w.Prepare(); !errors.Is(err, sink.ErrEmpty) {
			t.Errorf("Prepare() = %v, want ErrEmpty", err)
		}
		noTemps(t, dir)
	})
}

// TestInterrupted: an old version whose writer died (no lock, linked long
// ago) is reported by the next Create and kept; a live one is not reported.
func TestInterrupted(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := filepath.Join(dir, "b")
	writeFile(t, name, "old", 0o644)
	w := create(t, name)
	w.Write([]byte("new"))
	w.Prepare()
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	// A live writer's kept file is not reported.
	if w2 := create(t, name); len(w2.Interrupted()) != 0 {
		t.Errorf("Interrupted() = %q with the writer alive, want none", w2.Interrupted())
	}
	// A dead writer's: its kept file, linked more than 10 s ago, unlocked.
	dead := filepath.Join(dir, ".b.0123456789ab"+sink.OldSuffix)
	writeFile(t, dead, "older", 0o644)
	// A link of the current b, left by a writer killed before its rename:
	// nothing to report, it is removed.
	redundant := filepath.Join(dir, ".b.ba9876543210"+sink.OldSuffix)
	if err := os.Link(name, redundant); err != nil {
		t.Fatal(err)
	}
	if testing.Short() {
		t.Skip("waits 10 s for the leftover to age (its ctime cannot be set)")
	}
	time.Sleep(10*time.Second + 100*time.Millisecond)
	w3 := create(t, name)
	if got := w3.Interrupted(); len(got) != 1 || got[0] != dead {
		t.Errorf("Interrupted() = %q, want [%s]", got, dead)
	}
	if got := content(t, dead); got != "older" {
		t.Errorf("the reported file was changed: %q", got)
	}
	if _, err := os.Lstat(redundant); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a link of the current file was kept: %v", err)
	}
	w.Finish()
}

// TestAppendTakeBack: Abort takes appended bytes back only when the file is
// exactly as the Writer left it.
func TestAppendTakeBack(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		meddle  func(t *testing.T, name string)
		want    string // the file after Abort
		wantWhy string // "": taken back
	}{
		{"alone", func(*testing.T, string) {}, "line1\n", ""},
		{"another writer appended", func(t *testing.T, name string) {
			f, _ := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
			f.WriteString("theirs\n")
			f.Close()
		}, "line1\nours\ntheirs\n", "another writer appended to it meanwhile"},
		{"copytruncate", func(t *testing.T, name string) {
			os.Truncate(name, 0)
		}, "", "it was truncated meanwhile"},
		{"copytruncate and a new line", func(t *testing.T, name string) {
			os.Truncate(name, 0)
			f, _ := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0)
			f.WriteString("x\n")
			f.Close()
		}, "x\n", "it was truncated meanwhile"},
		{"renamed away (logrotate create)", func(t *testing.T, name string) {
			os.Rename(name, name+".1")
			writeFile(t, name, "fresh\n", 0o644)
		}, "fresh\n", "the file was renamed or replaced meanwhile"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			name := filepath.Join(t.TempDir(), "log")
			writeFile(t, name, "line1\n", 0o644)
			w := create(t, name, sink.Append())
			w.Write([]byte("ours\n"))
			tt.meddle(t, name)
			err := w.Abort()
			if got := content(t, name); got != tt.want {
				t.Errorf("after Abort: %q, want %q", got, tt.want)
			}
			switch {
			case tt.wantWhy == "" && err != nil:
				t.Errorf("Abort() = %v, want nil", err)
			case tt.wantWhy != "":
				want := "sink " + name + ": 5 bytes appended, not taken back: " + tt.wantWhy
				if !errors.Is(err, sink.ErrNotTakenBack) || err.Error() != want {
					t.Errorf("Abort() = %v, want %q", err, want)
				}
			}
		})
	}
}
