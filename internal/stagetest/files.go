package stagetest

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Fataler is what the file helpers need of a test: testing.TB and
// testscript's *TestScript both have it.
type Fataler interface {
	Fatalf(format string, args ...any)
}

// Inode is the inode number of the file at path; it stops the test if the
// file cannot be stat'ed.
func Inode(t Fataler, path string) uint64 {
	if h, ok := t.(interface{ Helper() }); ok {
		h.Helper()
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return st.Sys().(*syscall.Stat_t).Ino
}

// OldFile makes dir/name with known content, yesterday's good backup that
// a failed run must leave alone, and returns its content and inode.
func OldFile(t testing.TB, dir, name string) ([]byte, uint64) {
	t.Helper()
	old := bytes.Repeat([]byte("yesterday's good backup\n"), 1000)
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, old, 0o644); err != nil {
		t.Fatal(err)
	}
	return old, Inode(t, p)
}

// CheckIntact fails the test unless dir/name still has content old and
// inode ino, and no temporary file of the sink (.*.fsink-tmp) is left in
// dir.
func CheckIntact(t testing.TB, dir, name string, old []byte, ino uint64) {
	t.Helper()
	p := filepath.Join(dir, name)
	got, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, old) {
		t.Errorf("%s changed: %d bytes, want the old %d bytes", name, len(got), len(old))
	}
	if i := Inode(t, p); i != ino {
		t.Errorf("%s has inode %d, want the old %d", name, i, ino)
	}
	CheckNoTemp(t, dir)
}

// CheckNoTemp fails the test if a temporary file of the sink
// (.*.fsink-tmp) is left in dir.
func CheckNoTemp(t testing.TB, dir string) {
	t.Helper()
	ents, _ := os.ReadDir(dir)
	for _, e := range ents {
		if strings.HasSuffix(e.Name(), ".fsink-tmp") {
			t.Errorf("temporary file left: %s", e.Name())
		}
	}
}
