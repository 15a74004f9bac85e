package unixfs

import (
	"io/fs"
	"testing"

	"golang.org/x/sys/unix"
)

func TestPerm(t *testing.T) {
	for _, c := range []struct {
		m    uint32
		want fs.FileMode
	}{
		{unix.S_IFREG | 0o640, 0o640},
		{unix.S_IFREG | unix.S_ISUID | 0o755, fs.ModeSetuid | 0o755},
		{unix.S_IFDIR | unix.S_ISGID | unix.S_ISVTX | 0o1777, fs.ModeSetgid | fs.ModeSticky | 0o777},
	} {
		if got := Perm(c.m); got != c.want {
			t.Errorf("Perm(%#o) = %v, want %v", c.m, got, c.want)
		}
	}
}

func TestSplitPath(t *testing.T) {
	for _, c := range []struct{ p, dir, base string }{
		{"t", ".", "t"},
		{"/t", "/", "t"},
		{"a/../t", "a/..", "t"},
		{"a/b/", "a/b", ""},
	} {
		if dir, base := SplitPath(c.p); dir != c.dir || base != c.base {
			t.Errorf("SplitPath(%q) = %q, %q, want %q, %q", c.p, dir, base, c.dir, c.base)
		}
	}
}
